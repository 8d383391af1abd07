/**
 * Writing to the outbox: a notification an incident is owed, and one delivery per channel its
 * routing names, in the caller's transaction (the change that made it due). Also what the
 * writers read to decide: the routing (routes and default channels), the silences, and what was
 * already written for an incident. The dispatcher's side (claiming, attempts) is
 * db/queries/deliveries.ts.
 */
import { asc, desc, eq, gt } from 'drizzle-orm';
import { Routing, type Route } from '@/lib/alerts/notify/routing';
import type { SentNotification, DueNotification } from '@/lib/alerts/notify/schedule';
import type { Silence } from '@/lib/alerts/notify/silences';
import type { NotificationMessage } from '@/lib/alerts/notify/webhook';
import {
  notificationChannels,
  notificationDeliveries,
  notificationRoutes,
  notifications,
  silences,
} from '../schema';
import type { Executor } from './executor';

/**
 * The routing as the writers apply it: provisioned routes first (in the file's order), then the
 * ones set in the browser, by position; the default channels are the enabled channels marked
 * default. Only enabled channels receive anything: a route that names a disabled or unknown
 * channel skips it.
 */
export async function loadRouting(
  x: Executor,
): Promise<{ routing: Routing; enabled: Set<string> }> {
  const routes = await x
    .select()
    .from(notificationRoutes)
    .orderBy(
      desc(notificationRoutes.provisioned),
      asc(notificationRoutes.position),
      asc(notificationRoutes.id),
    );
  const channels = await x
    .select({
      id: notificationChannels.id,
      isDefault: notificationChannels.isDefault,
      enabled: notificationChannels.enabled,
    })
    .from(notificationChannels)
    .orderBy(asc(notificationChannels.id));
  const enabled = new Set(channels.filter((c) => c.enabled).map((c) => c.id));
  const routing: Routing = {
    routes: routes.map((r): Route => ({
      ...(r.name ? { name: r.name } : {}),
      match: r.match,
      channels: r.channels,
      continue: r.continue,
    })),
    defaultChannels: channels.filter((c) => c.enabled && c.isDefault).map((c) => c.id),
  };
  return { routing, enabled };
}

/** Silences that are active at `now` or start later (ended ones can mute nothing). */
export async function currentSilences(
  x: Executor,
  now: Date,
): Promise<(Silence & { dbId: number })[]> {
  const rows = await x.select().from(silences).where(gt(silences.endsAt, now));
  return rows.map((r) => ({
    dbId: r.id,
    id: String(r.id),
    matchers: r.matchers,
    createdBy: r.createdBy,
    comment: r.comment,
    startsAt: r.startsAt.getTime(),
    endsAt: r.endsAt.getTime(),
  }));
}

/** Every notification written for an incident, as the schedule reads them. */
export async function sentNotifications(
  x: Executor,
  incidentId: number,
): Promise<SentNotification[]> {
  const rows = await x
    .select({
      kind: notifications.kind,
      sequence: notifications.sequence,
      createdAt: notifications.createdAt,
      severity: notifications.severity,
    })
    .from(notifications)
    .where(eq(notifications.incidentId, incidentId));
  return rows
    .filter((r) => r.kind !== 'test')
    .map((r) => ({
      kind: r.kind as SentNotification['kind'],
      sequence: r.sequence,
      at: r.createdAt.getTime(),
      severity: r.severity,
    }));
}

/** The channels that already have a delivery of some notification of the incident. */
export async function notifiedChannels(x: Executor, incidentId: number): Promise<string[]> {
  const rows = await x
    .selectDistinct({ channelId: notificationDeliveries.channelId })
    .from(notificationDeliveries)
    .innerJoin(notifications, eq(notifications.id, notificationDeliveries.notificationId))
    .where(eq(notifications.incidentId, incidentId));
  return rows.map((r) => r.channelId).sort();
}

/**
 * Writes a due notification and its deliveries. Returns the notification's id, or null when a
 * racing writer already wrote this (incident, sequence): the unique index makes the second
 * write a no-op instead of a duplicate.
 */
export async function writeNotification(
  x: Executor,
  due: DueNotification,
  message: NotificationMessage,
  channelIds: readonly string[],
  now: Date,
): Promise<number | null> {
  const [row] = await x
    .insert(notifications)
    .values({
      incidentId: due.incidentId,
      sequence: due.sequence,
      kind: due.kind,
      key: due.key,
      severity: due.severity,
      message,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: notifications.id });
  if (!row) return null;
  if (channelIds.length > 0) {
    await x.insert(notificationDeliveries).values(
      channelIds.map((channelId) => ({
        notificationId: row.id,
        channelId,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      })),
    );
  }
  return row.id;
}

/**
 * A test send from the settings page: a notification of kind `test` (no incident) with one
 * delivery to `channelId`, due now. The dispatcher delivers it like any other.
 */
export async function writeTestNotification(
  x: Executor,
  input: { key: string; channelId: string; message: NotificationMessage; now: Date },
): Promise<{ notificationId: number; deliveryId: number }> {
  const [row] = await x
    .insert(notifications)
    .values({
      incidentId: null,
      sequence: 0,
      kind: 'test',
      key: input.key,
      severity: input.message.incident.severity,
      message: input.message,
      createdAt: input.now,
    })
    .returning({ id: notifications.id });
  if (!row) throw new Error('insert into notifications returned no row');
  const [delivery] = await x
    .insert(notificationDeliveries)
    .values({ notificationId: row.id, channelId: input.channelId, nextAttemptAt: input.now })
    .returning({ id: notificationDeliveries.id });
  if (!delivery) throw new Error('insert into notification_deliveries returned no row');
  return { notificationId: row.id, deliveryId: delivery.id };
}

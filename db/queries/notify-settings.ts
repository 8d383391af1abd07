/**
 * The notification settings as people change them (the settings page and its API): channels,
 * the routes set in the browser, the default channels, silences. The provisioned rows (from
 * PULSE_NOTIFY_CONFIG or PULSE_WEBHOOK_URL) are listed with the others and changed by nothing
 * here but the flags the use cases allow.
 *
 * **Credentials.** `notification_channels.secret` holds a channel's whole configuration, its
 * credentials included. The list and get queries never select it; only
 * {@link channelForChange} does, for the use cases that merge a change into it or mask it out of
 * an error text, and its result is never returned to a client.
 */
import { and, asc, desc, eq, gt, inArray, lte, sql as dsql } from 'drizzle-orm';
import type { ChannelConfig } from '@/lib/alerts/notify/config-file';
import type { Route } from '@/lib/alerts/notify/routing';
import type { ChannelType } from '@/lib/alerts/notify/settings-input';
import {
  silenceState,
  type ChannelView,
  type RouteView,
  type SilenceView,
} from '@/lib/alerts/notify/settings-view';
import type { SilenceMatchers } from '@/lib/alerts/notify/silences';
import {
  incidents,
  notificationChannels,
  notificationAttempts,
  notificationDeliveries,
  notificationRoutes,
  notifications,
  silences,
  users,
} from '../schema';
import type { Executor } from './executor';

// ---- channels --------------------------------------------------------------------------------

function channelQuery(x: Executor) {
  return x
    .select({
      id: notificationChannels.id,
      type: notificationChannels.type,
      target: notificationChannels.target,
      isDefault: notificationChannels.isDefault,
      enabled: notificationChannels.enabled,
      provisioned: notificationChannels.provisioned,
      createdBy: users.username,
      createdAt: notificationChannels.createdAt,
      updatedAt: notificationChannels.updatedAt,
    })
    .from(notificationChannels)
    .leftJoin(users, eq(users.id, notificationChannels.createdBy));
}

type ChannelRow = Awaited<ReturnType<typeof channelQuery>>[number];

/** The latest delivery to each of the channels: its status and when it last changed. */
async function lastDeliveries(
  x: Executor,
  ids: readonly string[],
): Promise<Map<string, ChannelView['lastDelivery']>> {
  if (ids.length === 0) return new Map();
  const rows = await x
    .selectDistinctOn([notificationDeliveries.channelId], {
      channelId: notificationDeliveries.channelId,
      status: notificationDeliveries.status,
      updatedAt: notificationDeliveries.updatedAt,
    })
    .from(notificationDeliveries)
    .where(inArray(notificationDeliveries.channelId, [...ids]))
    .orderBy(notificationDeliveries.channelId, desc(notificationDeliveries.id));
  return new Map(rows.map((r) => [r.channelId, { status: r.status, at: r.updatedAt.getTime() }]));
}

function toChannelView(row: ChannelRow, last: ChannelView['lastDelivery']): ChannelView {
  return {
    id: row.id,
    type: row.type,
    target: row.target,
    isDefault: row.isDefault,
    enabled: row.enabled,
    provisioned: row.provisioned,
    hasSecret: true,
    createdBy: row.createdBy,
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
    lastDelivery: last,
  };
}

/** Every channel, provisioned ones first, then by id; never their credentials. */
export async function listChannels(x: Executor): Promise<ChannelView[]> {
  const rows = await channelQuery(x).orderBy(
    desc(notificationChannels.provisioned),
    asc(notificationChannels.id),
  );
  const last = await lastDeliveries(
    x,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toChannelView(r, last.get(r.id) ?? null));
}

/** One channel as listed; null when there is none with this id. */
export async function getChannel(x: Executor, id: string): Promise<ChannelView | null> {
  const [row] = await channelQuery(x).where(eq(notificationChannels.id, id));
  if (!row) return null;
  return toChannelView(row, (await lastDeliveries(x, [id])).get(id) ?? null);
}

export interface ChannelForChange {
  id: string;
  type: ChannelType;
  provisioned: boolean;
  isDefault: boolean;
  enabled: boolean;
  /** The stored configuration, credentials included: for the server's use only. */
  config: ChannelConfig;
}

/**
 * A channel with its stored configuration, locked for a change when `forUpdate`; null when
 * there is none. The only query that reads the credentials: never return its result.
 */
export async function channelForChange(
  x: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<ChannelForChange | null> {
  const query = x
    .select({
      id: notificationChannels.id,
      type: notificationChannels.type,
      provisioned: notificationChannels.provisioned,
      isDefault: notificationChannels.isDefault,
      enabled: notificationChannels.enabled,
      secret: notificationChannels.secret,
    })
    .from(notificationChannels)
    .where(eq(notificationChannels.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) return null;
  const { secret, ...rest } = row;
  return { ...rest, config: secret as unknown as ChannelConfig };
}

/** Inserts a channel set in the browser; false when the id is taken. */
export async function insertChannel(
  x: Executor,
  input: {
    config: ChannelConfig;
    target: string;
    isDefault: boolean;
    enabled: boolean;
    createdBy: number | null;
    now: Date;
  },
): Promise<boolean> {
  const rows = await x
    .insert(notificationChannels)
    .values({
      id: input.config.id,
      type: input.config.type,
      target: input.target,
      secret: input.config as unknown as Record<string, unknown>,
      isDefault: input.isDefault,
      enabled: input.enabled,
      provisioned: false,
      createdBy: input.createdBy,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .onConflictDoNothing()
    .returning({ id: notificationChannels.id });
  return rows.length > 0;
}

/** Changes a channel's configuration (with its target) and/or its flags. */
export async function updateChannel(
  x: Executor,
  id: string,
  change: {
    config?: ChannelConfig | undefined;
    target?: string | undefined;
    isDefault?: boolean | undefined;
    enabled?: boolean | undefined;
  },
  now: Date,
): Promise<void> {
  await x
    .update(notificationChannels)
    .set({
      ...(change.config ? { secret: change.config as unknown as Record<string, unknown> } : {}),
      ...(change.target !== undefined ? { target: change.target } : {}),
      ...(change.isDefault !== undefined ? { isDefault: change.isDefault } : {}),
      ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
      updatedAt: now,
    })
    .where(eq(notificationChannels.id, id));
}

export async function deleteChannel(x: Executor, id: string): Promise<void> {
  await x.delete(notificationChannels).where(eq(notificationChannels.id, id));
}

/** Every channel's id and whether it is provisioned or a default (to check a change against). */
export async function channelIds(
  x: Executor,
): Promise<{ id: string; provisioned: boolean; isDefault: boolean }[]> {
  return x
    .select({
      id: notificationChannels.id,
      provisioned: notificationChannels.provisioned,
      isDefault: notificationChannels.isDefault,
    })
    .from(notificationChannels)
    .orderBy(asc(notificationChannels.id));
}

/** The channels set in the browser are defaults exactly when listed (provisioned ones stay). */
export async function setBrowserDefaults(
  x: Executor,
  ids: readonly string[],
  now: Date,
): Promise<void> {
  await x
    .update(notificationChannels)
    .set({
      isDefault: ids.length > 0 ? inArray(notificationChannels.id, [...ids]) : dsql`false`,
      updatedAt: now,
    })
    .where(eq(notificationChannels.provisioned, false));
}

// ---- routes ----------------------------------------------------------------------------------

/**
 * Serialises the writers of the routes and of what they name (replacing the routes, deleting a
 * channel), in the caller's transaction. Readers (the outbox's `loadRouting`) are not blocked.
 */
export async function lockRouting(x: Executor): Promise<void> {
  await x.execute(dsql`lock table ${notificationRoutes} in exclusive mode`);
}

/** Every route in the order routing applies them: provisioned ones first, then by position. */
export async function listRoutes(x: Executor): Promise<RouteView[]> {
  const rows = await x
    .select()
    .from(notificationRoutes)
    .orderBy(
      desc(notificationRoutes.provisioned),
      asc(notificationRoutes.position),
      asc(notificationRoutes.id),
    );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    match: r.match,
    channels: r.channels,
    continue: r.continue,
    provisioned: r.provisioned,
  }));
}

/** The routes that name a channel (a channel about to be deleted). */
export async function routesNaming(x: Executor, channelId: string): Promise<RouteView[]> {
  const all = await listRoutes(x);
  return all.filter((r) => r.channels.includes(channelId));
}

/** Replaces the routes set in the browser by `routes`, in this order; provisioned ones stay. */
export async function replaceBrowserRoutes(
  x: Executor,
  routes: readonly Route[],
  now: Date,
): Promise<void> {
  await x.delete(notificationRoutes).where(eq(notificationRoutes.provisioned, false));
  if (routes.length === 0) return;
  await x.insert(notificationRoutes).values(
    routes.map((route, position) => ({
      position,
      name: route.name ?? null,
      match: route.match,
      channels: route.channels,
      continue: route.continue,
      provisioned: false,
      updatedAt: now,
    })),
  );
}

// ---- silences --------------------------------------------------------------------------------

type SilenceRow = typeof silences.$inferSelect;

function toSilenceView(row: SilenceRow, now: number): SilenceView {
  const times = { startsAt: row.startsAt.getTime(), endsAt: row.endsAt.getTime() };
  return {
    id: row.id,
    matchers: row.matchers,
    comment: row.comment,
    createdBy: row.createdBy,
    ...times,
    provisioned: row.provisioned,
    incidentId: row.incidentId,
    state: silenceState(times, now),
  };
}

/** How long an ended silence stays listed. */
export const ENDED_LISTED_MS = 7 * 86_400_000;

/**
 * Silences in force or yet to start (soonest end first), then those ended within the last
 * week (latest end first), at most `limit` of those.
 */
export async function listSilences(
  x: Executor,
  now: Date,
  options: { endedLimit?: number } = {},
): Promise<SilenceView[]> {
  const current = await x
    .select()
    .from(silences)
    .where(gt(silences.endsAt, now))
    .orderBy(asc(silences.endsAt), asc(silences.id));
  const ended = await x
    .select()
    .from(silences)
    .where(
      and(
        lte(silences.endsAt, now),
        gt(silences.endsAt, new Date(now.getTime() - ENDED_LISTED_MS)),
      ),
    )
    .orderBy(desc(silences.endsAt), desc(silences.id))
    .limit(options.endedLimit ?? 20);
  return [...current, ...ended].map((row) => toSilenceView(row, now.getTime()));
}

export async function getSilence(
  x: Executor,
  id: number,
  now: Date,
  options: { forUpdate?: boolean } = {},
): Promise<SilenceView | null> {
  const query = x.select().from(silences).where(eq(silences.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row ? toSilenceView(row, now.getTime()) : null;
}

export async function insertSilence(
  x: Executor,
  input: {
    matchers: SilenceMatchers;
    comment: string;
    createdBy: string;
    startsAt: Date;
    endsAt: Date;
    incidentId: number | null;
    now: Date;
  },
): Promise<SilenceView> {
  const [row] = await x
    .insert(silences)
    .values({
      matchers: input.matchers,
      comment: input.comment,
      createdBy: input.createdBy,
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      provisioned: false,
      incidentId: input.incidentId,
      createdAt: input.now,
    })
    .returning();
  if (!row) throw new Error('insert into silences returned no row');
  return toSilenceView(row, input.now.getTime());
}

/** Ends a silence now (one yet to start never starts). A silence already over is left as is. */
export async function expireSilence(x: Executor, id: number, now: Date): Promise<void> {
  await x
    .update(silences)
    .set({
      endsAt: now,
      startsAt: dsql`least(${silences.startsAt}, ${now.toISOString()}::timestamptz)`,
    })
    .where(and(eq(silences.id, id), gt(silences.endsAt, now)));
}

/** Whether an incident exists (a silence created from one names it). */
export async function incidentExists(x: Executor, id: number): Promise<boolean> {
  const [row] = await x.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, id));
  return row !== undefined;
}

/**
 * Makes every open incident's notifications due a look now: a silence that starts mutes them,
 * one that ends releases what it held (the sweep of `next_check_at` writes it). Returns their
 * ids.
 */
export async function recheckOpenIncidents(x: Executor, now: Date): Promise<number[]> {
  const rows = await x
    .update(incidents)
    .set({ nextCheckAt: now })
    .where(eq(incidents.status, 'open'))
    .returning({ id: incidents.id });
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

// ---- test sends ------------------------------------------------------------------------------

export interface FirstAttempt {
  outcome: 'delivered' | 'retry' | 'failed';
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** The first attempt at a delivery, once the dispatcher recorded one; else null. */
export async function firstAttempt(x: Executor, deliveryId: number): Promise<FirstAttempt | null> {
  const [row] = await x
    .select({
      outcome: notificationAttempts.outcome,
      statusCode: notificationAttempts.statusCode,
      latencyMs: notificationAttempts.latencyMs,
      error: notificationAttempts.error,
    })
    .from(notificationAttempts)
    .where(eq(notificationAttempts.deliveryId, deliveryId))
    .orderBy(asc(notificationAttempts.attempt), asc(notificationAttempts.id))
    .limit(1);
  return row ?? null;
}

/**
 * Withdraws a test send nobody took: deletes the notification when its delivery is still
 * pending and untried (a worker that starts later must not send a stale test). Returns false
 * when a dispatcher has it meanwhile (it is then left to finish).
 */
export async function withdrawUntakenTest(
  x: Executor,
  ids: { notificationId: number; deliveryId: number },
): Promise<boolean> {
  const [delivery] = await x
    .select({
      status: notificationDeliveries.status,
      attempts: notificationDeliveries.attempts,
    })
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.id, ids.deliveryId))
    .for('update');
  if (!delivery || delivery.status !== 'pending' || delivery.attempts > 0) return false;
  await x
    .delete(notifications)
    .where(and(eq(notifications.id, ids.notificationId), eq(notifications.kind, 'test')));
  return true;
}

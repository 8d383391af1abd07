/**
 * The dispatcher's side of the outbox (the writers' side is ./outbox.ts): claiming due
 * deliveries for one attempt each, recording every attempt with its outcome, and the read
 * models of delivery — an incident's delivery log, one delivery's result (a test send), the
 * health of each channel and the depth of the outbox.
 *
 * **Claiming** is `FOR UPDATE SKIP LOCKED` over the due rows — `pending` whose time has come,
 * or `sending` whose lease ran out (the dispatcher holding it died mid-attempt) — so two
 * dispatchers never claim the same row, and marks them `sending` with a lease and the attempt
 * counted, in one transaction. An attempt whose holder died is therefore never lost: its lease
 * runs out and the next claim takes it again (at least once; the receiver dedupes on the
 * notification's key, the same on every attempt). That lost attempt is recorded when it is taken
 * over, so the log shows it.
 *
 * **Credentials**: a channel's `secret` (its ChannelConfig: URLs with tokens, signing secret,
 * SMTP password) is read by the claim only, for the transport. No read model selects it.
 */
import { and, asc, count, eq, inArray, max, ne, or, sql as dsql, type SQL } from 'drizzle-orm';
import {
  CHANNEL_HEALTH_WINDOW_MS,
  channelListed,
  channelState,
  type ChannelHealth,
  type NotificationHealth,
  type OutboxDepth,
} from '@/lib/alerts/notify/delivery-health';
import type { NextStep } from '@/lib/alerts/notify/retry';
import type { NotificationMessage } from '@/lib/alerts/notify/webhook';
import {
  notificationAttempts,
  notificationChannels,
  notificationDeliveries,
  notifications,
} from '../schema';
import type { Executor } from './executor';

export type { ChannelHealth, NotificationHealth, OutboxDepth };
export type ChannelType = (typeof notificationChannels.$inferSelect)['type'];
export type DeliveryStatus = (typeof notificationDeliveries.$inferSelect)['status'];
export type AttemptOutcome = (typeof notificationAttempts.$inferSelect)['outcome'];

/** A delivery claimed for one attempt: everything its transport needs, credentials included. */
export interface ClaimedDelivery {
  id: number;
  notificationId: number;
  channelId: string;
  channelType: ChannelType;
  /** The channel's settings with its credentials (lib/alerts/notify ChannelConfig as stored). */
  channelConfig: Record<string, unknown>;
  /** The attempt this claim makes, 1-based. */
  attempt: number;
  /** The notification's Idempotency-Key. */
  key: string;
  message: NotificationMessage;
  /** When the notification was written: the retry budget's age counts from it. */
  createdAt: Date;
  /** Past this, another dispatcher may take the delivery over. */
  leaseUntil: Date;
}

export interface ClaimOptions {
  now: Date;
  /** How long the claim holds: the attempt's timeout and a margin to record its outcome. */
  leaseMs: number;
  /** Most deliveries claimed in all (the dispatcher's free slots). */
  limit: number;
  /** Most deliveries in flight per channel. */
  perChannel: number;
  /** Deliveries this dispatcher already has in flight, per channel id. */
  inFlight?: ReadonlyMap<string, number>;
}

export interface ClaimResult {
  claimed: ClaimedDelivery[];
  /** Failed at once, without an attempt: their channel was deleted or disabled. */
  refused: { id: number; channelId: string; reason: string }[];
  /** Attempts taken over from a dispatcher that died holding them (recorded as lost). */
  takenOver: number;
}

/**
 * A time as a parameter of raw SQL. drizzle's postgres-js driver passes dates through
 * unserialised (its columns map them), so raw SQL gets ISO text and a cast.
 */
const ts = (date: Date) => dsql`${date.toISOString()}::timestamptz`;

/** A due delivery: pending and due, or sending with its lease run out. */
const isDue = (now: Date) =>
  dsql`((d.status = 'pending' and d.next_attempt_at <= ${ts(now)})
        or (d.status = 'sending' and d.lease_until < ${ts(now)}))`;

/**
 * Claims due deliveries for one attempt each (see the module comment), oldest due first, at
 * most `perChannel` in flight per channel (those already in flight counted) and `limit` in all.
 * Every channel is looked at, so a channel with a long queue cannot starve the others: each
 * contributes at most its free slots to the candidates. Deliveries whose channel was deleted
 * or disabled are failed with the reason instead.
 */
export async function claimDeliveries(x: Executor, options: ClaimOptions): Promise<ClaimResult> {
  const { now, perChannel } = options;
  const inFlight = options.inFlight ?? new Map<string, number>();
  if (options.limit <= 0) return { claimed: [], refused: [], takenOver: 0 };
  const full = [...inFlight].filter(([, n]) => n >= perChannel).map(([id]) => id);
  const skipFull =
    full.length > 0
      ? dsql`and not (d.channel_id in (${dsql.join(
          full.map((id) => dsql`${id}`),
          dsql`, `,
        )}))`
      : dsql``;

  return x.transaction(async (tx) => {
    // Per channel, its oldest due rows, locked; rows another dispatcher holds are skipped.
    const locked = await tx.execute<{ id: number }>(dsql`
      select d.id
      from (select distinct d.channel_id from notification_deliveries d
            where ${isDue(now)} ${skipFull}) ch
      cross join lateral (
        select d.id, d.next_attempt_at from notification_deliveries d
        where d.channel_id = ch.channel_id and ${isDue(now)}
        order by d.next_attempt_at, d.id
        limit ${perChannel}
        for update skip locked
      ) d
      order by d.next_attempt_at, d.id`);
    const ids = Array.from(locked, (r) => Number(r.id));
    if (ids.length === 0) return { claimed: [], refused: [], takenOver: 0 };

    const rows = await tx
      .select({
        delivery: notificationDeliveries,
        key: notifications.key,
        message: notifications.message,
        createdAt: notifications.createdAt,
        channelType: notificationChannels.type,
        channelConfig: notificationChannels.secret,
        channelEnabled: notificationChannels.enabled,
      })
      .from(notificationDeliveries)
      .innerJoin(notifications, eq(notifications.id, notificationDeliveries.notificationId))
      .leftJoin(notificationChannels, eq(notificationChannels.id, notificationDeliveries.channelId))
      .where(inArray(notificationDeliveries.id, ids));
    const order = new Map(ids.map((id, i) => [id, i]));
    rows.sort((a, b) => order.get(a.delivery.id)! - order.get(b.delivery.id)!);

    const refused: ClaimResult['refused'] = [];
    const chosen: typeof rows = [];
    const taken = new Map(inFlight);
    for (const row of rows) {
      const channelId = row.delivery.channelId;
      if (row.channelType === null || row.channelConfig === null) {
        refused.push({
          id: row.delivery.id,
          channelId,
          reason: `channel "${channelId}" no longer exists`,
        });
      } else if (!row.channelEnabled) {
        refused.push({
          id: row.delivery.id,
          channelId,
          reason: `channel "${channelId}" is disabled`,
        });
      } else if (chosen.length < options.limit && (taken.get(channelId) ?? 0) < perChannel) {
        chosen.push(row);
        taken.set(channelId, (taken.get(channelId) ?? 0) + 1);
      }
      // Otherwise left as it was: the lock goes with the transaction.
    }

    // Attempts whose holder died: the attempt happened (the receiver may have it), its outcome
    // was never recorded. Logged as such as the delivery is taken over.
    const refusedIds = new Set(refused.map((r) => r.id));
    const lost = [...chosen, ...rows.filter((r) => refusedIds.has(r.delivery.id))].filter(
      (r) => r.delivery.status === 'sending',
    );
    if (lost.length > 0) await tx.insert(notificationAttempts).values(lost.map(lostAttempt));

    for (const r of refused) {
      await tx
        .update(notificationDeliveries)
        .set({ status: 'failed', lastError: r.reason, leaseUntil: null, updatedAt: now })
        .where(eq(notificationDeliveries.id, r.id));
    }
    const leaseUntil = new Date(now.getTime() + options.leaseMs);
    if (chosen.length > 0) {
      await tx
        .update(notificationDeliveries)
        .set({
          status: 'sending',
          attempts: dsql`${notificationDeliveries.attempts} + 1`,
          leaseUntil,
          updatedAt: now,
        })
        .where(
          inArray(
            notificationDeliveries.id,
            chosen.map((r) => r.delivery.id),
          ),
        );
    }
    const claimed = chosen.map((r): ClaimedDelivery => ({
      id: r.delivery.id,
      notificationId: r.delivery.notificationId,
      channelId: r.delivery.channelId,
      channelType: r.channelType!,
      channelConfig: r.channelConfig!,
      attempt: r.delivery.attempts + 1,
      key: r.key,
      message: r.message,
      createdAt: r.createdAt,
      leaseUntil,
    }));
    return { claimed, refused, takenOver: lost.length };
  });
}

/** The attempt row of an attempt whose holder died before recording it (see the claim). */
function lostAttempt(row: {
  delivery: typeof notificationDeliveries.$inferSelect;
}): typeof notificationAttempts.$inferInsert {
  const { delivery } = row;
  const startedAt = delivery.updatedAt; // written by the claim that started it
  const leaseEnd = delivery.leaseUntil ?? startedAt;
  return {
    deliveryId: delivery.id,
    attempt: delivery.attempts,
    startedAt,
    latencyMs: Math.max(0, leaseEnd.getTime() - startedAt.getTime()),
    outcome: 'retry',
    statusCode: null,
    error:
      'no outcome recorded: the dispatcher making this attempt stopped before it finished ' +
      `(its lease ran out at ${leaseEnd.toISOString()})`,
  };
}

/** What one attempt did, for {@link recordAttempt}. */
export interface AttemptRecord {
  deliveryId: number;
  /** The attempt's number, as claimed. */
  attempt: number;
  startedAt: Date;
  latencyMs: number;
  /** The HTTP status or SMTP reply code, when there was one. */
  statusCode: number | null;
  /** What went wrong, credentials masked; null when delivered. */
  error: string | null;
  /** What comes next (lib/alerts/notify/retry.ts `nextStep`). */
  step: NextStep;
  now: Date;
}

const OUTCOME: Record<NextStep['action'], AttemptOutcome> = {
  delivered: 'delivered',
  retry: 'retry',
  fail: 'failed',
};

/**
 * Records an attempt and applies its outcome to the delivery — delivered; pending again at the
 * retry's time; or failed with the reason — in one transaction. The outcome applies only while
 * the delivery is still this attempt's (`sending`, at this attempt): one that outlived its lease
 * and was taken over keeps its row, and the attempt is only logged. Returns whether it applied.
 */
export async function recordAttempt(x: Executor, record: AttemptRecord): Promise<boolean> {
  const { step, now } = record;
  return x.transaction(async (tx) => {
    await tx.insert(notificationAttempts).values({
      deliveryId: record.deliveryId,
      attempt: record.attempt,
      startedAt: record.startedAt,
      latencyMs: Math.max(0, Math.round(record.latencyMs)),
      outcome: OUTCOME[step.action],
      statusCode: record.statusCode,
      error: record.error,
    });
    const outcome =
      step.action === 'delivered'
        ? { status: 'delivered' as const, deliveredAt: now, lastError: null }
        : step.action === 'retry'
          ? { status: 'pending' as const, nextAttemptAt: new Date(step.at), lastError: step.reason }
          : { status: 'failed' as const, lastError: step.reason };
    const applied = await tx
      .update(notificationDeliveries)
      .set({ ...outcome, leaseUntil: null, updatedAt: now })
      .where(
        and(
          eq(notificationDeliveries.id, record.deliveryId),
          eq(notificationDeliveries.status, 'sending'),
          eq(notificationDeliveries.attempts, record.attempt),
        ),
      )
      .returning({ id: notificationDeliveries.id });
    return applied.length > 0;
  });
}

// ── read models: no credentials ───────────────────────────────────────────────────────────

/** One attempt at a delivery. Times are epoch ms. */
export interface AttemptView {
  attempt: number;
  startedAt: number;
  latencyMs: number;
  outcome: AttemptOutcome;
  /** The HTTP status or SMTP reply code, when there was one. */
  statusCode: number | null;
  error: string | null;
}

/** One notification's delivery to one channel, with every attempt. */
export interface DeliveryDetail {
  id: number;
  channelId: string;
  /** Null when the channel was deleted since (the log outlives it). */
  channelType: ChannelType | null;
  /** What people see of the destination (a URL's origin, the recipients); null if deleted. */
  target: string | null;
  status: DeliveryStatus;
  attempts: number;
  /** When the next attempt is due, while pending. */
  nextAttemptAt: number | null;
  lastError: string | null;
  deliveredAt: number | null;
  attemptLog: AttemptView[];
}

/** One notification of an incident, with its deliveries. */
export interface DeliveryLogEntry {
  notificationId: number;
  kind: (typeof notifications.$inferSelect)['kind'];
  key: string;
  severity: 'warn' | 'critical';
  createdAt: number;
  deliveries: DeliveryDetail[];
}

/** Deliveries with their channel's public side (never its `secret`) and every attempt. */
async function deliveryDetails(
  x: Executor,
  where: SQL,
): Promise<(DeliveryDetail & { notificationId: number })[]> {
  const rows = await x
    .select({
      delivery: notificationDeliveries,
      channelType: notificationChannels.type,
      target: notificationChannels.target,
    })
    .from(notificationDeliveries)
    .leftJoin(notificationChannels, eq(notificationChannels.id, notificationDeliveries.channelId))
    .where(where)
    .orderBy(asc(notificationDeliveries.channelId), asc(notificationDeliveries.id));
  if (rows.length === 0) return [];
  const attempts = await x
    .select()
    .from(notificationAttempts)
    .where(
      inArray(
        notificationAttempts.deliveryId,
        rows.map((r) => r.delivery.id),
      ),
    )
    .orderBy(asc(notificationAttempts.deliveryId), asc(notificationAttempts.id));
  const byDelivery = new Map<number, AttemptView[]>();
  for (const a of attempts) {
    const list = byDelivery.get(a.deliveryId) ?? [];
    list.push({
      attempt: a.attempt,
      startedAt: a.startedAt.getTime(),
      latencyMs: a.latencyMs,
      outcome: a.outcome,
      statusCode: a.statusCode,
      error: a.error,
    });
    byDelivery.set(a.deliveryId, list);
  }
  return rows.map(({ delivery: d, channelType, target }) => ({
    id: d.id,
    notificationId: d.notificationId,
    channelId: d.channelId,
    channelType,
    target,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.getTime() : null,
    lastError: d.lastError,
    deliveredAt: d.deliveredAt?.getTime() ?? null,
    attemptLog: byDelivery.get(d.id) ?? [],
  }));
}

/** The delivery log of an incident: every notification (oldest first), channel and attempt. */
export async function incidentDeliveryLog(
  x: Executor,
  incidentId: number,
): Promise<DeliveryLogEntry[]> {
  const written = await x
    .select({
      id: notifications.id,
      kind: notifications.kind,
      key: notifications.key,
      severity: notifications.severity,
      createdAt: notifications.createdAt,
    })
    .from(notifications)
    .where(eq(notifications.incidentId, incidentId))
    .orderBy(asc(notifications.id));
  if (written.length === 0) return [];
  const details = await deliveryDetails(
    x,
    inArray(
      notificationDeliveries.notificationId,
      written.map((n) => n.id),
    ),
  );
  return written.map((n) => ({
    notificationId: n.id,
    kind: n.kind,
    key: n.key,
    severity: n.severity,
    createdAt: n.createdAt.getTime(),
    deliveries: details
      .filter((d) => d.notificationId === n.id)
      .map(({ notificationId: _, ...d }) => d),
  }));
}

/**
 * One delivery as it stands (a test send's result: pending until the dispatcher's attempt is
 * recorded, then delivered, pending again for a retry, or failed); null when there is none.
 */
export async function deliveryResult(
  x: Executor,
  deliveryId: number,
): Promise<DeliveryDetail | null> {
  const [found] = await deliveryDetails(x, eq(notificationDeliveries.id, deliveryId));
  if (!found) return null;
  const { notificationId: _, ...detail } = found;
  return detail;
}

/**
 * Channel health over the last `windowMs` (24 h), one entry per channel, by id, with its word
 * (lib/alerts/notify/delivery-health.ts `channelState`). Deleted channels that deliveries still
 * name are listed too.
 */
export async function channelHealth(
  x: Executor,
  now: Date,
  windowMs = CHANNEL_HEALTH_WINDOW_MS,
): Promise<ChannelHealth[]> {
  const since = new Date(now.getTime() - windowMs);
  const d = notificationDeliveries;
  const [channels, counts, failures] = await Promise.all([
    x
      .select({
        id: notificationChannels.id,
        type: notificationChannels.type,
        target: notificationChannels.target,
        enabled: notificationChannels.enabled,
      })
      .from(notificationChannels),
    x
      .select({
        channelId: d.channelId,
        lastDeliveredAt: max(d.deliveredAt),
        delivered: count(
          dsql`case when ${d.status} = 'delivered' and ${d.deliveredAt} >= ${ts(since)} then 1 end`,
        ),
        failed: count(
          dsql`case when ${d.status} = 'failed' and ${d.updatedAt} >= ${ts(since)} then 1 end`,
        ),
        pending: count(dsql`case when ${d.status} in ('pending', 'sending') then 1 end`),
      })
      .from(d)
      .groupBy(d.channelId),
    x
      .selectDistinctOn([d.channelId], {
        channelId: d.channelId,
        at: notificationAttempts.startedAt,
        statusCode: notificationAttempts.statusCode,
        error: notificationAttempts.error,
      })
      .from(notificationAttempts)
      .innerJoin(d, eq(d.id, notificationAttempts.deliveryId))
      .where(ne(notificationAttempts.outcome, 'delivered'))
      .orderBy(d.channelId, dsql`${notificationAttempts.startedAt} desc`),
  ]);
  const countOf = new Map(counts.map((c) => [c.channelId, c]));
  const failureOf = new Map(failures.map((f) => [f.channelId, f]));
  const known = new Map(channels.map((c) => [c.id, c]));
  const ids = [...new Set([...known.keys(), ...countOf.keys()])].sort();
  return ids.map((id) => {
    const channel = known.get(id);
    const c = countOf.get(id);
    const f = failureOf.get(id);
    const health: Omit<ChannelHealth, 'state'> = {
      channelId: id,
      channelType: channel?.type ?? null,
      target: channel?.target ?? null,
      enabled: channel?.enabled ?? false,
      lastDeliveredAt: c?.lastDeliveredAt?.getTime() ?? null,
      lastFailure: f ? { at: f.at.getTime(), statusCode: f.statusCode, error: f.error } : null,
      delivered: c?.delivered ?? 0,
      failed: c?.failed ?? 0,
      pending: c?.pending ?? 0,
    };
    return { ...health, state: channelState(health, now.getTime(), windowMs) };
  });
}

/** The outbox's depth at `now`. */
export async function outboxDepth(x: Executor, now: Date): Promise<OutboxDepth> {
  const d = notificationDeliveries;
  const [row] = await x
    .select({
      pending: count(dsql`case when ${d.status} = 'pending' then 1 end`),
      sending: count(dsql`case when ${d.status} = 'sending' then 1 end`),
      oldestDue: dsql`min(${d.nextAttemptAt}) filter (where
        (${d.status} = 'pending' and ${d.nextAttemptAt} <= ${ts(now)})
        or (${d.status} = 'sending' and ${d.leaseUntil} < ${ts(now)}))`.mapWith(d.nextAttemptAt),
    })
    .from(d)
    .where(or(eq(d.status, 'pending'), eq(d.status, 'sending')));
  const oldest = row?.oldestDue ?? null;
  return {
    pending: row?.pending ?? 0,
    sending: row?.sending ?? 0,
    oldestDueMs: oldest ? Math.max(0, now.getTime() - oldest.getTime()) : 0,
  };
}

/**
 * The health page's notifications panel at `now`: the outbox's depth, and the health of every
 * channel (deleted ones only while deliveries of theirs are recent or waiting). No credentials.
 */
export async function notificationHealth(
  x: Executor,
  now: Date,
  windowMs = CHANNEL_HEALTH_WINDOW_MS,
): Promise<NotificationHealth> {
  const [outbox, channels] = await Promise.all([
    outboxDepth(x, now),
    channelHealth(x, now, windowMs),
  ]);
  return { windowMs, outbox, channels: channels.filter(channelListed) };
}

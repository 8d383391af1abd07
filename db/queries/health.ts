/**
 * Read model of the operators' Health page: accounting per partition, the quarantine, what
 * each table weighs and keeps (./retention.ts `tableStorage`), and how notifications are being
 * delivered (./deliveries.ts `notificationHealth`: the outbox's depth and each channel's
 * health, never a credential). It joins table groups (`source_partitions`, `quarantine`, the
 * catalog, the outbox) for one screen; it writes nothing.
 */
import { count, desc, sql as dsql } from 'drizzle-orm';
import type { NotificationHealth } from '@/lib/alerts/notify/delivery-health';
import type { TableStorage } from '@/lib/retention/policy';
import { QUARANTINE_REASONS } from '@/lib/types';
import type { Health, HealthPartition, QuarantineReasonCount } from '@/lib/views';
import { notificationHealth } from './deliveries';
import type { Executor } from './executor';
import { tableStorage } from './retention';
import { quarantine, sourcePartitions } from '../schema';

/** A partition without a progress write for this long is shown as idle. */
export const IDLE_AFTER_MS = 60_000;
/** How many of the newest quarantined events the page shows. */
export const LATEST_QUARANTINED = 50;

/**
 * The health page's figures, with the size and oldest data of each stored table and the state
 * of notification delivery.
 */
export type HealthWithStorage = Health & {
  storage: TableStorage[];
  notifications: NotificationHealth;
};

export async function loadHealth(
  db: Executor,
  options: { idleAfterMs?: number; latest?: number; now?: Date } = {},
): Promise<HealthWithStorage> {
  const idleAfterMs = options.idleAfterMs ?? IDLE_AFTER_MS;
  const latestLimit = options.latest ?? LATEST_QUARANTINED;

  const now = options.now ?? new Date();

  const [partitionRows, reasonRows, latestRows, storage, notifications] = await Promise.all([
    db
      .select({
        source: sourcePartitions.source,
        partition: sourcePartitions.partition,
        received: sourcePartitions.received,
        folded: sourcePartitions.folded,
        quarantined: sourcePartitions.quarantined,
        leafEventsFolded: sourcePartitions.leafEventsFolded,
        watermark: sourcePartitions.watermark,
        nextOffset: sourcePartitions.nextOffset,
        owner: sourcePartitions.owner,
        updatedAt: sourcePartitions.updatedAt,
        // Judged by the database clock, the one that wrote updated_at.
        idle: dsql<boolean>`${sourcePartitions.updatedAt} < now() - make_interval(secs => ${idleAfterMs / 1000})`,
      })
      .from(sourcePartitions)
      .orderBy(sourcePartitions.source, sourcePartitions.partition),
    db
      .select({ reason: quarantine.reason, count: count() })
      .from(quarantine)
      .groupBy(quarantine.reason),
    db.select().from(quarantine).orderBy(desc(quarantine.id)).limit(latestLimit),
    tableStorage(db),
    notificationHealth(db, now),
  ]);

  const partitions: HealthPartition[] = partitionRows.map((r) => ({
    source: r.source,
    partition: r.partition,
    received: r.received,
    folded: r.folded,
    quarantined: r.quarantined,
    leafEventsFolded: r.leafEventsFolded,
    balanced: r.received === r.folded + r.quarantined,
    watermark: r.watermark ? r.watermark.getTime() : null,
    nextOffset: r.nextOffset,
    owner: r.owner,
    updatedAt: r.updatedAt.getTime(),
    idle: Boolean(r.idle),
  }));

  const totals = partitions.reduce(
    (t, p) => ({
      partitions: t.partitions + 1,
      received: t.received + p.received,
      folded: t.folded + p.folded,
      quarantined: t.quarantined + p.quarantined,
      leafEventsFolded: t.leafEventsFolded + p.leafEventsFolded,
      balanced: t.balanced && p.balanced,
      idle: t.idle + (p.idle ? 1 : 0),
    }),
    {
      partitions: 0,
      received: 0,
      folded: 0,
      quarantined: 0,
      leafEventsFolded: 0,
      balanced: true,
      idle: 0,
    },
  );

  return {
    generatedAt: now.getTime(),
    idleAfterMs,
    partitions,
    totals,
    reasons: countsByReason(reasonRows),
    latest: latestRows.map((r) => ({
      id: r.id,
      receivedAt: r.receivedAt.getTime(),
      source: r.source,
      reason: r.reason,
      detail: r.detail,
      raw: r.raw,
      rawSize: r.rawSize,
      reingestedAt: r.reingestedAt ? r.reingestedAt.getTime() : null,
    })),
    storage,
    notifications,
  };
}

/** Every known reason in contract order (zeros included), then any unknown stored reason. */
function countsByReason(rows: { reason: string; count: number }[]): QuarantineReasonCount[] {
  const stored = new Map(rows.map((r) => [r.reason, Number(r.count)]));
  const known: readonly string[] = QUARANTINE_REASONS;
  return [
    ...known.map((reason) => ({ reason, count: stored.get(reason) ?? 0 })),
    ...rows
      .filter((r) => !known.includes(r.reason))
      .sort((a, b) => a.reason.localeCompare(b.reason))
      .map((r) => ({ reason: r.reason, count: Number(r.count) })),
  ];
}

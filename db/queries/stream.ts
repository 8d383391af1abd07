/** Writes of the stream worker: one transaction per flush. */
import type postgres from 'postgres';
import { and, eq, inArray, sql as dsql } from 'drizzle-orm';
import type { QuarantinedEvent, RollupDelta } from '@/lib/types';
import type { Db, Sql } from '../client';
import { rollups, sourcePartitions } from '../schema';

export interface PartitionProgress {
  source: string;
  partition: number;
  watermark: number | null;
  nextOffset: number;
  received: number;
  folded: number;
  quarantined: number;
}

export interface Flush {
  deltas: RollupDelta[];
  quarantined: QuarantinedEvent[];
  progress: PartitionProgress[];
}

/**
 * Writes rollup deltas (additive upsert), quarantined events and partition progress in one
 * transaction: either all of a flush lands or none of it.
 */
export async function writeFlush(sql: Sql, flush: Flush): Promise<void> {
  await sql.begin(async (tx) => {
    if (flush.deltas.length > 0) await upsertRollups(tx, flush.deltas);
    if (flush.quarantined.length > 0) {
      const q = flush.quarantined;
      await tx`
        insert into quarantine (source, reason, detail, raw, raw_size)
        select * from unnest(
          ${tx.array(q.map((e) => e.source))}::text[], ${tx.array(q.map((e) => e.reason))}::text[],
          ${tx.array(q.map((e) => e.detail))}::text[], ${tx.array(q.map((e) => e.raw))}::text[],
          ${tx.array(q.map((e) => e.rawSize))}::int[])`;
    }
    for (const p of flush.progress) {
      // drizzle's driver hands dates to postgres.js as strings, so pass ISO text and cast.
      const watermark = p.watermark === null ? null : new Date(p.watermark).toISOString();
      await tx`
        insert into source_partitions
          (source, partition, watermark, next_offset, received, folded, quarantined, updated_at)
        values (${p.source}, ${p.partition}, ${watermark}::timestamptz, ${p.nextOffset}, ${p.received},
                ${p.folded}, ${p.quarantined}, now())
        on conflict (source, partition) do update set
          watermark = greatest(source_partitions.watermark, excluded.watermark),
          next_offset = excluded.next_offset,
          received = source_partitions.received + excluded.received,
          folded = source_partitions.folded + excluded.folded,
          quarantined = source_partitions.quarantined + excluded.quarantined,
          updated_at = now()`;
    }
  });
}

/** Additive upsert of rollup deltas through unnest, so a batch is one statement. */
export async function upsertRollups(sql: Sql | postgres.TransactionSql, deltas: RollupDelta[]) {
  const col = <T>(pick: (d: RollupDelta) => T) => deltas.map(pick);
  await sql`
    insert into rollups (window_start, event_type, dim, value, measure, count, sum, sumsq, min, max)
    select * from unnest(
      ${sql.array(col((d) => new Date(d.windowStart).toISOString()))}::timestamptz[],
      ${sql.array(col((d) => d.eventType))}::text[],
      ${sql.array(col((d) => d.dim))}::text[],
      ${sql.array(col((d) => d.value))}::text[],
      ${sql.array(col((d) => d.measure))}::text[],
      ${sql.array(col((d) => d.count))}::bigint[],
      ${sql.array(col((d) => d.sum))}::float8[],
      ${sql.array(col((d) => d.sumsq))}::float8[],
      ${sql.array(col((d) => d.min))}::float8[],
      ${sql.array(col((d) => d.max))}::float8[])
    on conflict (window_start, event_type, dim, value, measure) do update set
      count = rollups.count + excluded.count,
      sum = rollups.sum + excluded.sum,
      sumsq = rollups.sumsq + excluded.sumsq,
      min = least(rollups.min, excluded.min),
      max = greatest(rollups.max, excluded.max)`;
}

/** Rollup rows of the given windows and event types, as RollupDelta values. */
export async function readRollups(
  db: Db,
  windowStarts: number[],
  eventTypes: string[],
): Promise<RollupDelta[]> {
  if (windowStarts.length === 0 || eventTypes.length === 0) return [];
  const rows = await db
    .select()
    .from(rollups)
    .where(
      and(
        inArray(
          rollups.windowStart,
          windowStarts.map((w) => new Date(w)),
        ),
        inArray(rollups.eventType, eventTypes),
      ),
    );
  return rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
}

/** The global watermark: minimum over partitions updated within `activeWithinMs`. */
export async function globalWatermark(db: Db, activeWithinMs: number): Promise<number | null> {
  const [row] = await db
    .select({
      watermark: dsql<Date | null>`coalesce(
        min(${sourcePartitions.watermark}) filter (
          where ${sourcePartitions.updatedAt} > now() - make_interval(secs => ${activeWithinMs / 1000})),
        max(${sourcePartitions.watermark}))`.mapWith((v: string | null) =>
        v ? new Date(v) : null,
      ),
    })
    .from(sourcePartitions);
  return row?.watermark ? row.watermark.getTime() : null;
}

/** Per-partition accounting, for health views and tests. */
export async function partitionStats(db: Db) {
  return db
    .select()
    .from(sourcePartitions)
    .orderBy(sourcePartitions.source, sourcePartitions.partition);
}

/** One partition's stored watermark (epoch ms), or null before its first flush. */
export async function partitionWatermark(
  db: Db,
  source: string,
  partition: number,
): Promise<number | null> {
  const [row] = await db
    .select({ watermark: sourcePartitions.watermark })
    .from(sourcePartitions)
    .where(and(eq(sourcePartitions.source, source), eq(sourcePartitions.partition, partition)));
  return row?.watermark ? row.watermark.getTime() : null;
}

/** The earliest window that has rollups, where scoring starts on a fresh database. */
export async function firstRollupWindow(db: Db, notBefore: number): Promise<number | null> {
  const [row] = await db
    .select({ first: dsql<string | null>`min(${rollups.windowStart})` })
    .from(rollups)
    .where(dsql`${rollups.windowStart} >= ${new Date(notBefore).toISOString()}::timestamptz`);
  return row?.first ? new Date(row.first).getTime() : null;
}

/** Writes of the stream worker: one transaction per flush. */
import type postgres from 'postgres';
import { and, eq, inArray, sql as dsql } from 'drizzle-orm';
import { storableText } from '@/lib/ingest/text';
import { mergeDeltas, mergeLeafParts } from '@/lib/stream/rollup-merge';
import { globalWatermark as globalWatermarkOf } from '@/lib/stream/windows';
import type { LeafDelta, QuarantinedEvent, RollupDelta } from '@/lib/types';
import type { Sql } from '../client';
import type { Executor } from './executor';
import { leafRollups, rollups, sourcePartitions } from '../schema';

export interface PartitionProgress {
  source: string;
  partition: number;
  watermark: number | null;
  nextOffset: number;
  received: number;
  folded: number;
  quarantined: number;
  /** Events whose leaves the flush's cap folded into '(other)' (lib/stream/leaf-cap.ts). */
  leafEventsFolded?: number;
}

export interface Flush {
  deltas: RollupDelta[];
  /**
   * Leaf cube cells of the same events as `deltas`. Optional only for writes that fold no
   * events (tests, quarantine-only flushes); a pipeline's flush always passes its leaves.
   */
  leaves?: LeafDelta[];
  quarantined: QuarantinedEvent[];
  progress: PartitionProgress[];
}

/**
 * Writes rollup deltas and leaf cube cells (additive upserts), quarantined events and partition
 * progress in one transaction: either all of a flush lands or none of it.
 */
export async function writeFlush(sql: Sql, flush: Flush): Promise<void> {
  await sql.begin((tx) => writeFlushIn(tx, flush));
}

/** The statements of {@link writeFlush}, inside a transaction the caller holds. */
export async function writeFlushIn(tx: postgres.TransactionSql, flush: Flush): Promise<void> {
  if (flush.deltas.length > 0) {
    await upsertRollups(tx, flush.deltas);
    await enqueueRevisions(tx, [...new Set(flush.deltas.map((d) => d.windowStart))]);
  }
  // Leaves come from the same events as the deltas, so their windows are already queued.
  if (flush.leaves && flush.leaves.length > 0) await upsertLeafRollups(tx, flush.leaves);
  if (flush.quarantined.length > 0) {
    const q = flush.quarantined;
    await tx`
      insert into quarantine (source, reason, detail, raw, raw_size, partition, source_offset)
      select * from unnest(
        ${tx.array(q.map((e) => storableText(e.source)))}::text[],
        ${tx.array(q.map((e) => e.reason))}::text[],
        ${tx.array(q.map((e) => storableText(e.detail)))}::text[],
        ${tx.array(q.map((e) => storableText(e.raw)))}::text[],
        ${tx.array(q.map((e) => e.rawSize))}::int[],
        ${tx.array(q.map((e) => e.partition ?? null))}::int[],
        ${tx.array(q.map((e) => e.offset ?? null))}::bigint[])`;
  }
  for (const p of flush.progress) {
    // drizzle's driver hands dates to postgres.js as strings, so pass ISO text and cast.
    const watermark = p.watermark === null ? null : new Date(p.watermark).toISOString();
    await tx`
      insert into source_partitions
        (source, partition, watermark, next_offset, received, folded, quarantined,
         leaf_events_folded, updated_at)
      values (${p.source}, ${p.partition}, ${watermark}::timestamptz, ${p.nextOffset}, ${p.received},
              ${p.folded}, ${p.quarantined}, ${p.leafEventsFolded ?? 0}, now())
      on conflict (source, partition) do update set
        watermark = greatest(source_partitions.watermark, excluded.watermark),
        next_offset = excluded.next_offset,
        received = source_partitions.received + excluded.received,
        folded = source_partitions.folded + excluded.folded,
        quarantined = source_partitions.quarantined + excluded.quarantined,
        leaf_events_folded = source_partitions.leaf_events_folded + excluded.leaf_events_folded,
        updated_at = now()`;
  }
}

/**
 * Queues for re-scoring, once per detector shard, the windows among `windowStarts` that the
 * detector has already closed: late events (within the allowed lateness) or a re-ingest changed
 * them. The share lock on the detector's progress row orders this against the detector closing
 * a window (or changing the shard count): either the detector closes the window after this
 * flush committed (and its scoring reads this data), or this statement sees the window closed
 * and queues it — a late event is never missed.
 */
async function enqueueRevisions(tx: postgres.TransactionSql, windowStarts: number[]) {
  await tx`
    with closed as (
      select scored_through, shards from detector_progress
      where id = 1 and scored_through is not null
      for share)
    insert into scoring_queue (window_start, shard, revision)
    select w, s, true
    from unnest(${tx.array(windowStarts.map((w) => new Date(w).toISOString()))}::timestamptz[]) as w,
         closed, generate_series(0, closed.shards - 1) as s
    where w <= closed.scored_through
    on conflict (window_start, shard) do update set
      version = scoring_queue.version + 1, revision = true, enqueued_at = now()`;
}

/**
 * Claims and fenced flushes lock progress rows. A writer that stalls inside its transaction (a
 * frozen process, a lost network) must not hold them for ever: PostgreSQL ends its transaction
 * after this much idleness, and the other side gives up waiting for a lock after this long (it
 * retries later) instead of hanging.
 */
const BOUNDED_WAITS = `set local idle_in_transaction_session_timeout = '5s'; set local lock_timeout = '5s'`;

/** A partition as a claim left it: the position to resume from and the generation to write. */
export interface ClaimedPartition {
  partition: number;
  /** The generation this claim holds; flushes must carry it. */
  generation: number;
  /** Stored next offset; 0 when nothing of the partition was ever written. */
  nextOffset: number;
  watermark: number | null;
}

/**
 * Claims partitions of `source` for `owner`: creates their progress rows if missing and bumps
 * their generation, which fences every earlier claimer (their flushes no longer land). The row
 * lock orders the claim after any flush in progress, so the position returned includes it.
 */
export async function claimPartitions(
  sql: Sql,
  claim: { source: string; owner: string; partitions: number[] },
): Promise<ClaimedPartition[]> {
  const partitions = [...new Set(claim.partitions)].sort((a, b) => a - b);
  if (partitions.length === 0) return [];
  const rows = await sql.begin(async (tx) => {
    await tx.unsafe(BOUNDED_WAITS);
    return tx<
      { partition: number; generation: string; next_offset: string; watermark: Date | null }[]
    >`
    insert into source_partitions (source, partition, owner, generation)
    select ${claim.source}, p, ${claim.owner}, 1 from unnest(${intArrayLiteral(partitions)}::int[]) as p
    on conflict (source, partition) do update set
      owner = excluded.owner,
      generation = source_partitions.generation + 1
    returning partition, generation, next_offset, watermark`;
  });
  return rows
    .map((r) => ({
      partition: r.partition,
      generation: Number(r.generation),
      nextOffset: Number(r.next_offset),
      watermark: r.watermark ? new Date(r.watermark).getTime() : null,
    }))
    .sort((a, b) => a.partition - b.partition);
}

/**
 * Creates the progress row of `source`/`partition` if needed and locks it for the caller's
 * transaction, so that writers of the partition without a claim (re-ingest) take turns;
 * returns its position as a claim would (the generation is left as it is).
 */
export async function lockPartition(
  tx: postgres.TransactionSql,
  source: string,
  partition: number,
): Promise<ClaimedPartition> {
  await tx`
    insert into source_partitions (source, partition) values (${source}, ${partition})
    on conflict (source, partition) do nothing`;
  const [row] = await tx<{ generation: string; next_offset: string; watermark: Date | null }[]>`
    select generation, next_offset, watermark from source_partitions
    where source = ${source} and partition = ${partition}
    for update`;
  return {
    partition,
    generation: Number(row?.generation ?? 0),
    nextOffset: Number(row?.next_offset ?? 0),
    watermark: row?.watermark ? new Date(row.watermark).getTime() : null,
  };
}

/**
 * An int[] literal. postgres.js serialises `sql.array` by element type only once the pool has
 * loaded its type table; a claim can be a process's first query, so it passes text instead.
 */
function intArrayLiteral(values: number[]): string {
  if (!values.every(Number.isSafeInteger)) throw new RangeError('expected integers');
  return `{${values.join(',')}}`;
}

/** One partition's part of a fenced flush: what it folded since `fromOffset`. */
export interface FencedPart {
  /** The generation the writer claimed. */
  generation: number;
  /** The next offset the writer believes is stored: where `progress` continues from. */
  fromOffset: number;
  deltas: RollupDelta[];
  leaves: LeafDelta[];
  quarantined: QuarantinedEvent[];
  progress: PartitionProgress;
}

/** What became of each part of a fenced flush. */
export type FencedOutcome =
  /** Written now. */
  | 'written'
  /** Already stored: an earlier attempt committed although its caller saw an error. */
  | 'already'
  /** Refused: another writer claimed the partition, or its position moved. Nothing written. */
  | 'fenced';

/**
 * The exactly-once write of a Kafka worker's flush: one transaction that locks the progress row
 * of every partition involved, then writes only the parts whose row still carries the writer's
 * generation and the offset the part continues from (compare-and-set). A part whose row is
 * already at its end offset was committed by an earlier attempt whose reply was lost: it is
 * acknowledged, not applied twice. Other parts are fenced and dropped; the rest still land.
 * Returns the outcome of each part, in input order.
 */
export async function writeFencedFlush(
  sql: Sql,
  parts: FencedPart[],
  writeOwned: (tx: postgres.TransactionSql, owned: FencedPart[]) => Promise<void> = writeParts,
): Promise<FencedOutcome[]> {
  if (parts.length === 0) return [];
  return sql.begin(async (tx) => {
    await tx.unsafe(BOUNDED_WAITS);
    const keys = parts.map((p) => p.progress);
    const rows = await tx<
      { source: string; partition: number; generation: string; next_offset: string }[]
    >`
      select source, partition, generation, next_offset from source_partitions
      where (source, partition) in (
        select * from unnest(${tx.array(keys.map((k) => k.source))}::text[],
                             ${tx.array(keys.map((k) => k.partition))}::int[]))
      order by source, partition
      for update`;
    const stored = new Map(
      rows.map((r) => [
        `${r.source}\0${r.partition}`,
        { generation: Number(r.generation), nextOffset: Number(r.next_offset) },
      ]),
    );
    const outcomes = parts.map((part): FencedOutcome => {
      const row = stored.get(`${part.progress.source}\0${part.progress.partition}`);
      if (!row || row.generation !== part.generation) return 'fenced';
      if (row.nextOffset === part.fromOffset) return 'written';
      if (row.nextOffset === part.progress.nextOffset) return 'already';
      return 'fenced';
    });
    const owned = parts.filter((_, i) => outcomes[i] === 'written');
    if (owned.length > 0) await writeOwned(tx, owned);
    return outcomes;
  });
}

/** The parts of a fenced flush that are this writer's to write, as one write. */
async function writeParts(tx: postgres.TransactionSql, owned: FencedPart[]): Promise<void> {
  await writeFlushIn(tx, {
    // Partitions can share rollup cells; one upsert statement must not touch a row twice.
    deltas:
      owned.length === 1
        ? owned[0]!.deltas
        : mergeDeltas(
            owned.flatMap((p) => p.deltas),
            [],
          ),
    // Partitions share most leaves: merged here, the statement carries several times fewer
    // rows (JSON to build and send, rows for PostgreSQL to parse and group). The upsert still
    // groups what JS cannot see as equal (a lone surrogate and the U+FFFD it becomes).
    leaves: mergeLeafParts(owned.map((p) => p.leaves)),
    quarantined: owned.flatMap((p) => p.quarantined),
    progress: owned.map((p) => p.progress),
  });
}

/**
 * True when PostgreSQL refused a statement for the data it carried rather than for the state
 * of the connection or server: SQLSTATE class 22 (data exception: bad encoding, a number out of
 * range), 23 (integrity constraint violation, a CHECK a user added included) or 54 (program
 * limit exceeded: an index entry too large). Retrying such a write unchanged fails the same way
 * for ever; db/sources/partition.ts isolates the events behind it instead.
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
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

/**
 * Additive upsert of leaf cube cells through unnest, one statement. The cells must be distinct
 * per (window, type, leaf, measure): one statement cannot touch a row twice.
 */
export async function upsertLeafRollups(
  sql: Sql | postgres.TransactionSql,
  leaves: LeafDelta[],
): Promise<void> {
  // One JSON parameter instead of seven arrays: leaf keys are JSON text full of quotes, and
  // JSON.stringify escapes them natively where postgres.js's array literal escaping (in JS) was
  // a quarter of a Kafka worker's CPU. It is sent as text (::text::json): a pool with its json
  // serialisers on would otherwise encode the string again, as a JSON scalar.
  const isoTimes = new Map<number, string>(); // a flush spans a few windows
  const iso = (ms: number) => {
    let text = isoTimes.get(ms);
    if (text === undefined) isoTimes.set(ms, (text = new Date(ms).toISOString()));
    return text;
  };
  const rows = JSON.stringify(
    leaves.map((d) => ({
      w: iso(d.windowStart),
      t: wellFormed(d.eventType),
      l: wellFormed(d.leaf),
      m: wellFormed(d.measure),
      c: d.count,
      s: float(d.sum),
      q: float(d.sumsq),
    })),
  );
  await sql`
    insert into leaf_rollups (window_start, event_type, leaf, measure, count, sum, sumsq)
    select w, t, l, m, sum(c)::bigint, sum(s), sum(q)
    from json_to_recordset(${rows}::text::json)
      as u(w timestamptz, t text, l text, m text, c bigint, s float8, q float8)
    -- One upsert statement must not touch a row twice: cells equal once stored (writeParts
    -- merged the parts' shared leaves already) are merged here.
    group by w, t, l, m
    on conflict (window_start, event_type, leaf, measure) do update set
      count = leaf_rollups.count + excluded.count,
      sum = leaf_rollups.sum + excluded.sum,
      sumsq = leaf_rollups.sumsq + excluded.sumsq`;
}

/** A float8 for JSON: non-finite values (a huge measure's square) as the text PostgreSQL reads. */
function float(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `text` with lone surrogates replaced by U+FFFD, as UTF-8 encoding (the other parameters'
 * path) does: JSON.stringify would escape them as \udXXX, which PostgreSQL's json refuses.
 */
function wellFormed(text: string): string {
  return SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\ufffd') : text;
}

/** Leaf cube rows of the given windows and event types, as LeafDelta values. */
export async function readLeaves(
  db: Executor,
  windowStarts: number[],
  /** null: every event type. */
  eventTypes: string[] | null,
): Promise<LeafDelta[]> {
  if (windowStarts.length === 0 || eventTypes?.length === 0) return [];
  const rows = await db
    .select()
    .from(leafRollups)
    .where(
      and(
        inArray(
          leafRollups.windowStart,
          windowStarts.map((w) => new Date(w)),
        ),
        eventTypes ? inArray(leafRollups.eventType, eventTypes) : undefined,
      ),
    );
  return rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
}

/** Rollup rows of the given windows and event types, as RollupDelta values. */
export async function readRollups(
  db: Executor,
  windowStarts: number[],
  /** null: every event type. */
  eventTypes: string[] | null,
): Promise<RollupDelta[]> {
  if (windowStarts.length === 0 || eventTypes?.length === 0) return [];
  const rows = await db
    .select()
    .from(rollups)
    .where(
      and(
        inArray(
          rollups.windowStart,
          windowStarts.map((w) => new Date(w)),
        ),
        eventTypes ? inArray(rollups.eventType, eventTypes) : undefined,
      ),
    );
  return rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
}

/**
 * The global watermark (lib/stream/windows `globalWatermark`): the minimum over partitions that
 * delivered data within `idleTimeoutMs`, idle ones left out; null before any watermark.
 * Idleness is measured on PostgreSQL's clock, against the last flush that carried data.
 */
export async function globalWatermark(sql: Sql, idleTimeoutMs: number): Promise<number | null> {
  const rows = await sql<{ watermark: Date; idle_ms: number }[]>`
    select watermark, extract(epoch from now() - updated_at) * 1000 as idle_ms
    from source_partitions where watermark is not null`;
  const wm = globalWatermarkOf(
    rows.map((r) => ({
      watermark: new Date(r.watermark).getTime(),
      lastSeenAt: -Number(r.idle_ms),
    })),
    0,
    idleTimeoutMs,
  );
  return Number.isFinite(wm) ? wm : null;
}

/** Per-partition accounting, for health views and tests. */
export async function partitionStats(db: Executor) {
  return db
    .select()
    .from(sourcePartitions)
    .orderBy(sourcePartitions.source, sourcePartitions.partition);
}

/** One partition's stored watermark (epoch ms), or null before its first flush. */
export async function partitionWatermark(
  db: Executor,
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
export async function firstRollupWindow(db: Executor, notBefore: number): Promise<number | null> {
  const [row] = await db
    .select({ first: dsql<string | null>`min(${rollups.windowStart})` })
    .from(rollups)
    .where(dsql`${rollups.windowStart} >= ${new Date(notBefore).toISOString()}::timestamptz`);
  return row?.first ? new Date(row.first).getTime() : null;
}

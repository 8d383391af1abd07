/**
 * Retention of the history tables: day partitions created ahead (`ensurePartitions`), expired
 * ones dropped and stale rows deleted (`applyRetention`), and what each table weighs
 * (`tableStorage`, for the health page and /metrics). The decisions — which days, which
 * partitions, their names — are lib/retention/partitions.ts; this module carries them out.
 *
 * Locks, because the stream flushes into these tables all the time and must never fail or
 * stall for long:
 * - A day partition is made as a plain table and ATTACHed, under a SHARE ROW EXCLUSIVE lock on
 *   the parent taken first. That lock lets reads through and holds writes back for the few
 *   milliseconds it takes, and it makes sure no insert still running routes by the old
 *   partition list: one that had would find the default partition's constraint changed under
 *   it and fail (23514). Rows the default partition holds for the new day move into it in the
 *   same transaction (delete … returning → insert), so the attach always succeeds. The lock is
 *   self-exclusive, so two callers (two workers, bootstrap and a worker) take turns, and the
 *   second finds the day already there.
 * - Dropping a partition takes an ACCESS EXCLUSIVE lock on the parent, briefly.
 * Every such step waits at most `lockTimeoutMs` for its locks (a long re-score or a long read
 * may hold them): past that it is skipped and reported, and the next pass tries again; in the
 * meantime the default partition takes any row, and an expired partition is only kept longer.
 */
import { sql as dsql, type SQL } from 'drizzle-orm';
import {
  DAYS_AHEAD,
  PARTITIONED_TABLES,
  PARTITIONED_TABLE_NAMES,
  dayStart,
  partitionsToCreate,
  partitionsToDrop,
  retentionCutoff,
  type PartitionedTable,
  type RangePartition,
} from '@/lib/retention/partitions';
import {
  DAY_MS,
  STORED_TABLES,
  type RetentionPolicy,
  type StoredTable,
  type TableStorage,
} from '@/lib/retention/policy';
import type { Executor } from './executor';

/** How long a maintenance step waits for its table locks before it gives up until next time. */
export const LOCK_TIMEOUT_MS = 2_000;

export interface MaintenanceOptions {
  lockTimeoutMs?: number;
  /** Days created ahead of today (lib/retention/partitions.ts DAYS_AHEAD). */
  daysAhead?: number;
  /** Days created before today (lib/retention/partitions.ts DAYS_BACK). */
  daysBack?: number;
}

/** A step skipped because its locks were not granted in time (tried again next pass). */
export interface SkippedStep {
  table: PartitionedTable;
  partition: string;
  step: 'create' | 'drop';
}

export interface EnsureReport {
  created: { table: PartitionedTable; partition: string; movedRows: number }[];
  skipped: SkippedStep[];
}

export interface RetentionReport {
  dropped: { table: PartitionedTable; partition: string }[];
  /** Rows past retention deleted from each default partition. */
  deletedFromDefault: Record<PartitionedTable, number>;
  workerMetricsDeleted: number;
  sessionsDeleted: number;
  skipped: SkippedStep[];
}

interface PartitionList {
  /** Range partitions with bounds that are instants (MINVALUE/MAXVALUE ones are left out). */
  ranges: RangePartition[];
  defaultPartition: string | null;
}

const ident = (name: string) => dsql.identifier(name);
const instant = (ms: number) => dsql.raw(`'${new Date(ms).toISOString()}'`);

/** The partitions of `table`, bounds as epoch ms, read from the catalog. */
export async function listPartitions(x: Executor, table: PartitionedTable): Promise<PartitionList> {
  // The bound literals are cast back to timestamptz in this same session, so neither TimeZone
  // nor DateStyle can change what they mean.
  const rows = await x.execute<{
    name: string;
    is_default: boolean;
    from_ms: number | null;
    to_ms: number | null;
  }>(dsql`
    select c.relname as name, b.expr = 'DEFAULT' as is_default,
      (extract(epoch from (regexp_match(b.expr, 'FROM [(]''([^'']+)''[)]'))[1]::timestamptz) * 1000)::float8 as from_ms,
      (extract(epoch from (regexp_match(b.expr, 'TO [(]''([^'']+)''[)]'))[1]::timestamptz) * 1000)::float8 as to_ms
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    cross join lateral (select pg_get_expr(c.relpartbound, c.oid) as expr) b
    where i.inhparent = ${table}::regclass
    order by c.relname`);
  const list: PartitionList = { ranges: [], defaultPartition: null };
  for (const r of rows) {
    if (r.is_default) list.defaultPartition = r.name;
    else if (r.from_ms !== null && r.to_ms !== null) {
      list.ranges.push({ name: r.name, from: r.from_ms, to: r.to_ms });
    }
  }
  return list;
}

/** UTC days (their starts) with rows in `table`'s default partition within [from, to). */
async function defaultDays(
  x: Executor,
  table: PartitionedTable,
  partition: string,
  from: number,
  to: number,
): Promise<number[]> {
  const col = ident(PARTITIONED_TABLES[table].column);
  const rows = await x.execute<{ day: number }>(dsql`
    select distinct (floor(extract(epoch from ${col}) / 86400) * 86400000)::float8 as day
    from ${ident(partition)}
    where ${col} >= ${instant(from)} and ${col} < ${instant(to)}`);
  return rows.map((r) => r.day);
}

/** The columns of `table`, in order, as a list of identifiers. */
async function columnsOf(x: Executor, table: PartitionedTable): Promise<SQL> {
  const rows = await x.execute<{ name: string }>(dsql`
    select attname as name from pg_attribute
    where attrelid = ${table}::regclass and attnum > 0 and not attisdropped
    order by attnum`);
  return dsql.join(
    rows.map((r) => ident(r.name)),
    dsql`, `,
  );
}

function isLockTimeout(error: unknown): boolean {
  // lock_not_available (lock_timeout); drizzle wraps the driver's error as `cause`.
  const code = (e: unknown) => (e as { code?: unknown } | null)?.code;
  return code(error) === '55P03' || code((error as { cause?: unknown } | null)?.cause) === '55P03';
}

async function withLockTimeout<T>(x: Executor, ms: number, work: (tx: Executor) => Promise<T>) {
  return x.transaction(async (tx) => {
    await tx.execute(dsql`select set_config('lock_timeout', ${`${Math.max(1, ms)}ms`}, true)`);
    return work(tx);
  });
}

/**
 * Creates the day partitions `table` lacks (lib/retention/partitions.ts `partitionsToCreate`):
 * today and the days ahead, and the days its default partition holds rows for within
 * retention, moving those rows in. Idempotent; safe to call from several connections at once.
 */
export async function ensurePartitions(
  x: Executor,
  now: number,
  policy: RetentionPolicy,
  options: MaintenanceOptions = {},
): Promise<EnsureReport> {
  const report: EnsureReport = { created: [], skipped: [] };
  const lockTimeoutMs = options.lockTimeoutMs ?? LOCK_TIMEOUT_MS;
  for (const table of PARTITIONED_TABLE_NAMES) {
    const retentionMs = policy[PARTITIONED_TABLES[table].retention];
    const { ranges, defaultPartition } = await listPartitions(x, table);
    const horizon = dayStart(now) + ((options.daysAhead ?? DAYS_AHEAD) + 1) * DAY_MS;
    const days = defaultPartition
      ? await defaultDays(
          x,
          table,
          defaultPartition,
          dayStart(retentionCutoff(now, retentionMs)),
          horizon,
        )
      : [];
    const plan = partitionsToCreate(table, ranges, now, retentionMs, {
      defaultDays: days,
      daysAhead: options.daysAhead,
      daysBack: options.daysBack,
    });
    for (const partition of plan) {
      try {
        const moved = await createPartition(x, table, partition, lockTimeoutMs);
        if (moved !== null)
          report.created.push({ table, partition: partition.name, movedRows: moved });
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
        report.skipped.push({ table, partition: partition.name, step: 'create' });
      }
    }
  }
  return report;
}

/**
 * Creates and attaches one day partition, moving the default partition's rows of that day into
 * it, in one transaction. Returns the rows moved, or null when another caller made it first.
 */
async function createPartition(
  x: Executor,
  table: PartitionedTable,
  partition: RangePartition,
  lockTimeoutMs: number,
): Promise<number | null> {
  return withLockTimeout(x, lockTimeoutMs, async (tx) => {
    await tx.execute(dsql`lock table ${ident(table)} in share row exclusive mode`);
    const { ranges, defaultPartition } = await listPartitions(tx, table);
    if (ranges.some((r) => r.from < partition.to && partition.from < r.to)) return null;
    await tx.execute(
      dsql`create table ${ident(partition.name)} (like ${ident(table)} including defaults including storage)`,
    );
    let moved = 0;
    if (defaultPartition) {
      const col = ident(PARTITIONED_TABLES[table].column);
      const columns = await columnsOf(tx, table);
      const [row] = await tx.execute<{ n: number }>(dsql`
        with moved as (
          delete from ${ident(defaultPartition)}
          where ${col} >= ${instant(partition.from)} and ${col} < ${instant(partition.to)}
          returning ${columns}
        ), copied as (
          insert into ${ident(partition.name)} (${columns}) select ${columns} from moved returning 1
        )
        select count(*)::int as n from copied`);
      moved = row?.n ?? 0;
    }
    await tx.execute(dsql`
      alter table ${ident(table)} attach partition ${ident(partition.name)}
      for values from (${instant(partition.from)}) to (${instant(partition.to)})`);
    return moved;
  });
}

/**
 * The retention pass: drops every day partition wholly older than its table's retention,
 * deletes rows past retention from the default partitions, snapshots of workers silent longer
 * than `policy.workerMetricsMs`, and expired sessions. Anomalies and their audit trail stay.
 */
export async function applyRetention(
  x: Executor,
  now: number,
  policy: RetentionPolicy,
  options: MaintenanceOptions = {},
): Promise<RetentionReport> {
  const lockTimeoutMs = options.lockTimeoutMs ?? LOCK_TIMEOUT_MS;
  const report: RetentionReport = {
    dropped: [],
    deletedFromDefault: { rollups: 0, leaf_rollups: 0, metric_points: 0, quarantine: 0 },
    workerMetricsDeleted: 0,
    sessionsDeleted: 0,
    skipped: [],
  };
  for (const table of PARTITIONED_TABLE_NAMES) {
    const retentionMs = policy[PARTITIONED_TABLES[table].retention];
    const { ranges, defaultPartition } = await listPartitions(x, table);
    for (const partition of partitionsToDrop(ranges, now, retentionMs)) {
      try {
        await withLockTimeout(x, lockTimeoutMs, (tx) =>
          tx.execute(dsql`drop table if exists ${ident(partition.name)}`),
        );
        report.dropped.push({ table, partition: partition.name });
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
        report.skipped.push({ table, partition: partition.name, step: 'drop' });
      }
    }
    if (defaultPartition) {
      const col = ident(PARTITIONED_TABLES[table].column);
      const cutoff = retentionCutoff(now, retentionMs);
      const [row] = await x.execute<{ n: number }>(dsql`
        with gone as (delete from ${ident(defaultPartition)} where ${col} < ${instant(cutoff)} returning 1)
        select count(*)::int as n from gone`);
      report.deletedFromDefault[table] = row?.n ?? 0;
    }
  }
  const [workers] = await x.execute<{ n: number }>(dsql`
    with gone as (
      delete from worker_metrics where updated_at < ${instant(now - policy.workerMetricsMs)}
      returning 1
    ) select count(*)::int as n from gone`);
  report.workerMetricsDeleted = workers?.n ?? 0;
  const [sessions] = await x.execute<{ n: number }>(dsql`
    with gone as (delete from sessions where expires_at < ${instant(now)} returning 1)
    select count(*)::int as n from gone`);
  report.sessionsDeleted = sessions?.n ?? 0;
  return report;
}

/**
 * The oldest data each table keeps (epoch ms), read through indexes, never by a scan: the
 * smallest window_start of the rollup tables (the head of each partition's primary key), of
 * metric points per metric (their key is (metric_id, window_start)), and of quarantine per
 * reason (its index is (reason, received_at); the few reasons are found by skipping through that
 * index, one probe each).
 */
export const OLDEST_DATA: Partial<Record<StoredTable, SQL>> = {
  rollups: dsql`select min(window_start) as at from rollups`,
  leaf_rollups: dsql`select min(window_start) as at from leaf_rollups`,
  metric_points: dsql`
    select min(first.window_start) as at from metrics m
    cross join lateral (
      select window_start from metric_points p where p.metric_id = m.id
      order by window_start limit 1
    ) first`,
  quarantine: dsql`
    with recursive reasons (reason) as (
      (select reason from quarantine order by reason limit 1)
      union all
      select (select q.reason from quarantine q where q.reason > r.reason order by q.reason limit 1)
      from reasons r where r.reason is not null
    )
    select min(first.received_at) as at from reasons r
    cross join lateral (
      select received_at from quarantine q where q.reason = r.reason
      order by received_at limit 1
    ) first`,
};

/**
 * Size on disk of each table in STORED_TABLES (indexes and TOAST included, summed over its
 * partitions), its day partitions, its default partition's size and the oldest data it keeps.
 */
export async function tableStorage(x: Executor): Promise<TableStorage[]> {
  const names = dsql.raw(`array[${STORED_TABLES.map((t) => `'${t}'`).join(', ')}]::text[]`);
  const sizes = await x.execute<{
    name: StoredTable;
    bytes: number;
    partitions: number;
    default_bytes: number | null;
  }>(dsql`
    select t.name,
      -- pg_partition_tree lists nothing for a table that is not partitioned
      coalesce(
        (select sum(pg_total_relation_size(p.relid)) from pg_partition_tree(t.oid) p),
        pg_total_relation_size(t.oid)
      )::float8 as bytes,
      (select count(*) from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = t.oid and pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT')::int as partitions,
      (select pg_total_relation_size(i.inhrelid) from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = t.oid and pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT')::float8 as default_bytes
    from unnest(${names}) as t0(name)
    cross join lateral (select t0.name, to_regclass(t0.name) as oid) t
    where t.oid is not null`);
  const oldest = new Map<string, number | null>();
  await Promise.all(
    Object.entries(OLDEST_DATA).map(async ([table, query]) => {
      const [row] = await x.execute<{ ms: number | null }>(
        dsql`select (extract(epoch from q.at) * 1000)::float8 as ms from (${query}) q`,
      );
      oldest.set(table, row?.ms ?? null);
    }),
  );
  return sizes.map((r) => ({
    table: r.name,
    bytes: r.bytes,
    partitions: r.partitions,
    defaultBytes: r.default_bytes,
    oldest: oldest.get(r.name) ?? null,
  }));
}

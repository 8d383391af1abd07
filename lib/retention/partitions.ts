/**
 * Time partitions of the history tables: their names, their day ranges, which to create and
 * which to drop. Pure decisions; db/queries/retention.ts carries them out.
 *
 * Each table is partitioned by RANGE on its time column into UTC days, [00:00, 24:00), named
 * `<table>_pYYYYMMDD`, plus a DEFAULT partition (`<table>_default`) that takes any row no day
 * partition covers, so an insert never fails for want of a partition. Partitions exist from as
 * far back as an event may be (the contract accepts events up to 7 days old, within retention)
 * to a few days ahead, so live data never lands in the default partition: a day created over
 * rows in the default partition must move them while it locks the table (flushes wait). A day
 * that holds rows in the default partition all the same (a replay of an older file) gets its
 * partition too, and the rows move into it. A partition is dropped once all of it is older than the table's
 * retention, so a row is kept at least that long and at most a day longer.
 */
import { EVENT_LIMITS } from '@/lib/ingest/contract';
import { DAY_MS, type RetentionPolicy } from './policy';

/** The partitioned tables: their time column and the retention setting that applies. */
export const PARTITIONED_TABLES = {
  rollups: { column: 'window_start', retention: 'rollupsMs' },
  leaf_rollups: { column: 'window_start', retention: 'leafCubeMs' },
  metric_points: { column: 'window_start', retention: 'pointsMs' },
  quarantine: { column: 'received_at', retention: 'quarantineMs' },
} as const satisfies Record<
  string,
  { column: string; retention: keyof Omit<RetentionPolicy, 'workerMetricsMs'> }
>;
export type PartitionedTable = keyof typeof PARTITIONED_TABLES;
export const PARTITIONED_TABLE_NAMES = Object.keys(PARTITIONED_TABLES) as PartitionedTable[];

/** Days created ahead of today (today, tomorrow and the day after by default). */
export const DAYS_AHEAD = 2;
/** Days made before today: as old as an event the contract accepts (7 days). */
export const DAYS_BACK = Math.ceil(EVENT_LIMITS.maxAgeMs / DAY_MS);

/** A range partition, [from, to) in epoch ms. */
export interface RangePartition {
  name: string;
  from: number;
  to: number;
}

/** Start of the UTC day holding `ms`. */
export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Earliest and latest day a partition name can carry (four-digit years). */
const FIRST_DAY = Date.UTC(1000, 0, 1);
const LAST_DAY = Date.UTC(9999, 11, 31);

/** `rollups_p20261205` for the UTC day starting at `day`. */
export function partitionName(table: PartitionedTable, day: number): string {
  if (day !== dayStart(day) || day < FIRST_DAY || day > LAST_DAY) {
    throw new RangeError(`not the start of a day between years 1000 and 9999: ${day}`);
  }
  const d = new Date(day);
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${table}_p${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
}

/** The day (its start, epoch ms) a partition name of `table` stands for; null if none. */
export function parsePartitionName(table: PartitionedTable, name: string): number | null {
  const match = /^(.+)_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!match || match[1] !== table) return null;
  const [year, month, day] = [Number(match[2]), Number(match[3]), Number(match[4])];
  const ms = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2026-02-31 over into March: such a name is not a day.
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1) return null;
  if (back.getUTCDate() !== day || ms < FIRST_DAY) return null;
  return ms;
}

export function defaultPartitionName(table: PartitionedTable): string {
  return `${table}_default`;
}

/** The day partition of `table` holding `ms`. */
export function dayPartition(table: PartitionedTable, ms: number): RangePartition {
  const from = dayStart(ms);
  return { name: partitionName(table, from), from, to: from + DAY_MS };
}

/** Rows older than this are past their retention. */
export function retentionCutoff(now: number, retentionMs: number): number {
  return now - retentionMs;
}

const overlaps = (a: { from: number; to: number }, b: { from: number; to: number }) =>
  a.from < b.to && b.from < a.to;

/**
 * The day partitions to create: from the day of the oldest event the contract accepts
 * (now − 7 days, or retention's cutoff if later) to `daysAhead` days after today, and every day among
 * `defaultDays` (days that hold rows in the default partition) that is still within retention
 * and not beyond the days ahead; minus any day an existing partition overlaps (whatever its
 * range), oldest first. Days of the default partition past retention are left to the
 * retention pass, which deletes their rows; days far in the future wait until they are near.
 */
export function partitionsToCreate(
  table: PartitionedTable,
  existing: readonly RangePartition[],
  now: number,
  retentionMs: number,
  options: { daysAhead?: number; daysBack?: number; defaultDays?: readonly number[] } = {},
): RangePartition[] {
  const today = dayStart(now);
  const last = today + (options.daysAhead ?? DAYS_AHEAD) * DAY_MS;
  const cutoff = retentionCutoff(now, retentionMs);
  const days = new Set<number>();
  // From the day of the oldest event the contract accepts (not before retention's cutoff).
  const first = Math.max(today - (options.daysBack ?? DAYS_BACK) * DAY_MS, FIRST_DAY);
  for (let day = first; day <= last; day += DAY_MS) if (day + DAY_MS > cutoff) days.add(day);
  for (const ms of options.defaultDays ?? []) {
    const day = dayStart(ms);
    if (day + DAY_MS > cutoff && day <= last && day >= FIRST_DAY) days.add(day);
  }
  return [...days]
    .sort((a, b) => a - b)
    .map((day) => dayPartition(table, day))
    .filter((p) => !existing.some((e) => overlaps(e, p)));
}

/** The partitions all of whose range is older than the retention cutoff. */
export function partitionsToDrop(
  existing: readonly RangePartition[],
  now: number,
  retentionMs: number,
): RangePartition[] {
  const cutoff = retentionCutoff(now, retentionMs);
  return existing.filter((p) => p.to <= cutoff).sort((a, b) => a.from - b.from);
}

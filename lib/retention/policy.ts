/**
 * How long Pulse keeps what it stores, and why no shorter: the retention policy (from
 * lib/config/schema.ts), the least each setting may be (what detection reads back), and the
 * storage figures the health page and /metrics show. Pure.
 *
 * Time-series tables (rollups, the leaf cube, metric points, quarantine) are partitioned by
 * UTC day (./partitions.ts); a day partition is dropped whole once all of it is older than its
 * table's retention, so data is kept at least its retention and at most a day longer.
 * `worker_metrics` holds one row per worker (overwritten), so rows of workers silent longer
 * than their retention are deleted instead; expired sign-in sessions are deleted too.
 * Anomalies and their audit trail (anomaly_events) are kept.
 */
import { SEASON_MS, SEASONAL_PERIODS } from '@/lib/detection/zscore';
import { SEASONS } from '@/lib/types';

export const DAY_MS = 86_400_000;

export interface RetentionPolicy {
  /** Marginal rollups (`rollups`). */
  rollupsMs: number;
  /** The leaf cube (`leaf_rollups`): by far the largest table. */
  leafCubeMs: number;
  /** Scored windows (`metric_points`): the baselines' history. */
  pointsMs: number;
  /** Quarantined events (`quarantine`). */
  quarantineMs: number;
  /** Snapshots of workers not heard from for this long (`worker_metrics`). */
  workerMetricsMs: number;
}

/**
 * The furthest back a baseline reads: the seasonal baseline's oldest same-slot value
 * (SEASONAL_PERIODS × SEASON_MS, 4 weeks for the weekly season).
 */
export const LONGEST_BASELINE_MS = Math.max(
  ...SEASONS.map((season) => SEASONAL_PERIODS[season] * SEASON_MS[season]),
);

/** Rule previews and re-scores after a rule change read the last 24 hours of cells. */
export const REREAD_MS = DAY_MS;

/** The least each retention may be, with the reason a configuration error gives. */
export const MIN_RETENTION: Record<keyof RetentionPolicy, { ms: number; why: string }> = {
  pointsMs: {
    ms: LONGEST_BASELINE_MS + DAY_MS,
    why: `the weekly seasonal baseline reads the same window ${SEASONAL_PERIODS.week} weeks back, plus a day`,
  },
  rollupsMs: {
    ms: LONGEST_BASELINE_MS + DAY_MS,
    why: `explaining an anomaly reads the rollups of its baseline windows, up to ${SEASONAL_PERIODS.week} weeks back, plus a day`,
  },
  leafCubeMs: {
    ms: REREAD_MS + DAY_MS,
    why: 'rule previews and re-scores read the last 24 hours of the leaf cube, plus a day',
  },
  quarantineMs: { ms: DAY_MS, why: 'quarantined events are kept at least a day for re-ingest' },
  workerMetricsMs: {
    ms: 60_000,
    why: 'a live worker publishes every few seconds and must not lose its row',
  },
};

const UNITS: [string, number][] = [
  ['d', DAY_MS],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** A duration in the largest unit that divides it, as configured: "90d", "36h", "10m". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of UNITS) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Tables the health page and /metrics report on, in display order. */
export const STORED_TABLES = [
  'rollups',
  'leaf_rollups',
  'metric_points',
  'quarantine',
  'anomalies',
  'anomaly_events',
  'worker_metrics',
  'sessions',
] as const;
export type StoredTable = (typeof STORED_TABLES)[number];

/** The size of one table and the oldest data it keeps. */
export interface TableStorage {
  table: StoredTable;
  /** Bytes on disk, indexes and TOAST included, summed over its partitions. */
  bytes: number;
  /** Day partitions (the default one not counted); 0 for a table that is not partitioned. */
  partitions: number;
  /**
   * Bytes of the default partition, which holds rows no day partition covers yet (moved into
   * one by the next maintenance pass); null for a table that is not partitioned.
   */
  defaultBytes: number | null;
  /** Start of the oldest data kept (epoch ms); null when empty or not tracked. */
  oldest: number | null;
}

/** What the health page says a table keeps, under `policy`. */
export function keptFor(table: StoredTable, policy: RetentionPolicy): string {
  switch (table) {
    case 'rollups':
      return formatDuration(policy.rollupsMs);
    case 'leaf_rollups':
      return formatDuration(policy.leafCubeMs);
    case 'metric_points':
      return formatDuration(policy.pointsMs);
    case 'quarantine':
      return formatDuration(policy.quarantineMs);
    case 'worker_metrics':
      return `until silent ${formatDuration(policy.workerMetricsMs)}`;
    case 'sessions':
      return 'until expired';
    case 'anomalies':
    case 'anomaly_events':
      return 'always';
  }
}

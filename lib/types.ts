/**
 * Shared domain types. Pure data: no I/O, no classes. Every module in lib/, db/, workers/
 * and app/ speaks these shapes.
 */

/** Event contract v1, after validation. `ts` is epoch milliseconds (event time). */
export interface PulseEvent {
  ts: number;
  type: string;
  dims: Record<string, string>;
  measures: Record<string, number>;
  id?: string;
}

export const QUARANTINE_REASONS = [
  'malformed_json',
  'schema',
  'too_large',
  'bad_timestamp',
  'future',
  'late',
  /** Valid, but PostgreSQL refused to store it (db/sources/partition.ts isolates such events). */
  'unwritable',
] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

/** An event that failed validation, ready to be stored in the quarantine table. */
export interface QuarantinedEvent {
  reason: QuarantineReason;
  /** Human-readable detail, e.g. the field path of a schema violation. */
  detail: string;
  /** Raw payload, truncated to a bound. */
  raw: string;
  /** Size in bytes of the original payload before truncation. */
  rawSize: number;
  source: string;
  /** Source partition and record offset, where the source has them. */
  partition?: number;
  offset?: number;
}

/** Name used for the "all events" slice in rollups. */
export const TOTAL = '*';

/**
 * One additive rollup cell: (window, event type, dimension, value, measure).
 * - dim = value = TOTAL for the total over all events of the type.
 * - measure = '' for the event count row; otherwise the named measure, where `count` is the
 *   number of events that carried the measure and sum/sumsq/min/max aggregate its values.
 */
export interface RollupDelta {
  windowStart: number;
  eventType: string;
  dim: string;
  value: string;
  measure: string;
  count: number;
  sum: number;
  sumsq: number;
  min: number;
  max: number;
}

/**
 * One additive cell of the leaf cube: (window, event type, leaf, measure), where `leaf` is the
 * full combination of an event's dimension values as canonical JSON with sorted keys
 * ('{"device":"ios","region":"eu-west"}'; '{}' for an event without dimensions). measure = ''
 * is the count row. No min/max: they cannot be filtered or re-projected additively.
 */
export interface LeafDelta {
  windowStart: number;
  eventType: string;
  leaf: string;
  measure: string;
  count: number;
  sum: number;
  sumsq: number;
}

export type MetricKind = 'count' | 'sum' | 'avg' | 'ratio';
export type Direction = 'up' | 'down' | 'both';
export type Severity = 'warn' | 'critical';
export type PointStatus = 'ok' | 'warn' | 'critical' | 'learning' | 'low_volume';

/**
 * One scored window of a metric: the shape metric_points stores, the detector's stores read,
 * the charts draw, and the thresholds preview gives (where `anomalyId` indexes its anomalies).
 */
export interface WindowPoint {
  windowStart: number;
  value: number | null;
  expected: number | null;
  sigma: number | null;
  z: number | null;
  volume: number;
  status: PointStatus;
  anomalyId: number | null;
}

/** A {@link WindowPoint} of a given metric: one metric_points row. */
export interface ScoredPoint extends WindowPoint {
  metricId: number;
}

/**
 * A metric is defined over rollups.
 * - count: number of events of `eventType` (and of `extraEventTypes`).
 * - sum:   sum of `measure` over events of `eventType`.
 * - avg:   sum of `measure` / number of events of `eventType` carrying it.
 * - ratio: count of `eventType` / count of `denominatorEventType`.
 * Filters keep only events whose dimensions match (numerator and denominator alike); a
 * filtered metric is evaluated from the leaf cube (lib/metrics/metrics `cellsFromLeaves`).
 */
export interface MetricDefinition {
  id: number;
  key: string;
  name: string;
  kind: MetricKind;
  eventType: string;
  /** Count metrics only: further event types counted together with `eventType`. */
  extraEventTypes: string[];
  measure: string | null;
  denominatorEventType: string | null;
  /** { dim: [allowed values] }: a value in the list for every dim (AND across dims). */
  filters: Record<string, string[]>;
  /** The metric's window is this many base windows long (1..60), aligned to the epoch. */
  windowMultiple: number;
  /** Display unit, e.g. '', '%', 'ms', '$'. */
  unit: string;
  enabled: boolean;
  /** Alerting per value of a dimension (lib/metrics/split.ts); null or absent: the total only. */
  split?: SplitSpec | null;
  /** Set on a series of a split metric: whose series it is and which value it counts. */
  series?: SeriesOf | null;
  /**
   * { dim: [excluded values] }: events whose value of dim is one of these do not count (the
   * "other" series of a split: every value but the named ones). Absent: nothing excluded.
   */
  exclude?: Record<string, string[]>;
}

/**
 * A metric alerted per value of `dim`: its top `topN` values by volume each get their own
 * series (baseline, score, anomalies), every other value one series "other".
 */
export interface SplitSpec {
  dim: string;
  topN: number;
}

/** What one series of a split metric counts: the parent's events with `dim` = `value`, or (null) any value the parent's other series do not name. */
export interface SeriesOf {
  parentId: number;
  dim: string;
  value: string | null;
}

/**
 * How the expected value is learned:
 * - rolling: mean and σ of the earlier windows;
 * - robust: median and MAD × 1.4826 of the earlier windows (one outlier barely moves them);
 * - seasonal: mean and σ of the same slot on earlier days or weeks, falling back to rolling
 *   (and saying so) while that history is short;
 * - auto: seasonal with the season the metric's own history shows (a daily or weekly shape,
 *   lib/detection/auto-season.ts), robust when it shows none. The detector stores the decision
 *   on the metric and the engine only ever sees the resolved rule (`effectiveRule`).
 */
export const BASELINE_KINDS = ['rolling', 'robust', 'seasonal', 'auto'] as const;
export type BaselineKind = (typeof BASELINE_KINDS)[number];
export const SEASONS = ['day', 'week'] as const;
export type Season = (typeof SEASONS)[number];

export interface AlertRule {
  warnZ: number;
  criticalZ: number;
  direction: Direction;
  /** Minimum volume (the metric's denominator count, or event count) for a window to alert. */
  minVolume: number;
  /** Number of earlier windows the baseline uses. */
  baselineWindows: number;
  baseline: BaselineKind;
  /** Period of the seasonal baseline (used when baseline = 'seasonal'; 'auto' detects its own). */
  season: Season;
  /** Floor on σ in the metric's unit, on top of the window's own sampling noise. 0: none. */
  sigmaFloor: number;
  /**
   * Anomalous windows in a row before an anomaly opens (1: the first one opens it); a critical
   * window opens it at once.
   */
  consecutiveWindows: number;
  /** Normal windows in a row after which an open anomaly resolves itself. */
  resolveAfter: number;
}

/**
 * The engine's default rule: what backtests, evaluations and rule checks score with when no
 * metric row says otherwise. A metric created now gets {@link NEW_METRIC_RULE} (the same, with
 * the automatic baseline). Warn needs 2 windows in a row, critical opens at once: with a
 * σ from 20 windows, single warn windows of quiet traffic came several times a day per metric. The
 * baseline is robust (median, MAD) over 30 windows: a slow drift inflates a rolling σ as it
 * grows and drags a short mean along, hiding itself. `npm run eval` measured F1 ≥ 4σ 0.95
 * (4σ drifts 8 of 12 found) against 0.90 (4 of 12) for the rolling mean of 20 windows, at 0.6
 * false alerts per metric per day instead of 0.4 (docs/detection-quality.md, "Other rules").
 */
export const DEFAULT_RULE: AlertRule = {
  warnZ: 3,
  criticalZ: 5,
  direction: 'both',
  minVolume: 20,
  baselineWindows: 30,
  baseline: 'robust',
  season: 'day',
  sigmaFloor: 0,
  consecutiveWindows: 2,
  resolveAfter: 2,
};

/**
 * The rule a metric created now gets (db/queries/metrics.ts seeds it explicitly, and it is the
 * columns' default): DEFAULT_RULE with the automatic baseline, which is DEFAULT_RULE's robust
 * baseline until the metric's own history shows a daily or weekly season (issue 16: a metric
 * with a strong daily shape must not alert every morning). Existing metrics keep theirs.
 */
export const NEW_METRIC_RULE: AlertRule = { ...DEFAULT_RULE, baseline: 'auto' };

/**
 * What the engine is told about an 'auto' rule it receives resolved (lib/detection/auto-season.ts
 * `effectiveRule`): the season detected ('none': none was), or 'unchecked' while the detector
 * has not looked yet. Only the baseline's words use it; scoring reads `baseline` and `season`.
 */
export type AutoSeason = Season | 'none' | 'unchecked';

/** A rule as the engine scores it: an 'auto' baseline already resolved, and how. */
export interface ScoringRule extends AlertRule {
  autoSeason?: AutoSeason;
}

/**
 * A metric's value in one window or one slice, as numerator / denominator so that
 * slices add up: count and sum have den = 1 per window (value = num).
 */
export interface MetricObservation {
  num: number;
  den: number;
  /** Volume used for the minimum-volume rule (event count behind the value). */
  volume: number;
}

export interface Score {
  value: number;
  expected: number;
  sigma: number;
  z: number;
  status: PointStatus;
  severity: Severity | null;
  direction: 'up' | 'down' | null;
  /**
   * The baseline the expected value came from, in words: 'rolling', 'robust', 'seasonal', or
   * a stated fallback such as 'rolling (not enough seasonal history: 2 of 3 days)'.
   */
  baselineUsed: string;
}

/** One dimension value's part in a deviation. */
export interface Contributor {
  dim: string;
  value: string;
  actual: number;
  expected: number;
  /** Additive deviation in numerator units (num − expected value × den). */
  deviation: number;
  /** Share of the total deviation, signed (1 = explains all of it). */
  share: number;
  /** Slice z-score: (actual − expected) / slice sigma. */
  z: number;
  /** Volume of the slice in this window. */
  volume: number;
  /**
   * Share of its dimension's expected total in numerator units (expected value × den): the
   * share of the deviation the slice would carry if the change were proportional to its size.
   */
  expectedShare?: number;
  /** share − expectedShare: how much more of the deviation the slice carries than its size. */
  excess?: number;
}

export interface Explanation {
  /** Contributors grouped per dimension: values that push with the deviation first, the most
   * disproportionate to their size (excess share) first. */
  dimensions: Record<string, Contributor[]>;
  /** Top contributors across dimensions, ranked. */
  top: Contributor[];
  /** e.g. "region=eu-west accounts for 87% of the drop". */
  sentence: string;
  /**
   * Multi-dimensional root cause over the leaf cube (lib/rca): absent on anomalies explained
   * before the leaf cube existed.
   */
  rootCause?: RootCause;
}

/** The smallest set of dimension-value conjunctions that explains the deviation, and why. */
export interface RootCause {
  /** e.g. [{ region: 'eu-west', device: 'android' }]; [] when the change is spread. */
  set: Record<string, string>[];
  /** Ranked candidate conjunctions with their scores. */
  candidates: { elements: Record<string, string>; score: number; explains: number }[];
  /** The root cause in words. */
  sentence: string;
  /**
   * Set when the search over this window's leaf cube named nothing and a drift's evidence named
   * the set instead: 'drift-span', the same search over the leaf cube of all of the drift's
   * windows (its candidates are that search's); 'slice-drift', the slice the slice drift test
   * (lib/detection/slice-drift) found drifting (the candidates are still this window's).
   */
  namedBy?: 'drift-span' | 'slice-drift';
}

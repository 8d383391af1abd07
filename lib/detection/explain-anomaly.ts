/**
 * The explanation of an anomalous window: the per-dimension breakdown over marginal cells
 * (lib/detection/score-window `explainWindow`) and the multi-dimensional root cause over the leaf cube
 * (lib/rca), which names conjunctions such as region=eu-west AND device=android when no single
 * value explains the deviation. When the root cause names something, its sentence is the
 * anomaly's sentence; otherwise the per-dimension one is.
 */
import { explainWindow } from './score-window';
import { hasFilters, matchesDefinition } from '@/lib/metrics/cells';
import { explainCube, explainRatio, type Elements, type RcaResult } from '@/lib/rca';
import { MINUS } from '@/lib/rca/words';
import { formatMetricValue } from '@/lib/metrics/units';
import type { DriftAlarm } from './drift';
import type { Explanation, LeafDelta, MetricDefinition, RollupDelta, RootCause } from '@/lib/types';

/** A window's cells as the engine reads them: marginal cells and leaf-cube cells. */
export interface WindowCells {
  cells: RollupDelta[];
  leaves: LeafDelta[];
}

/** Candidates kept with an anomaly. */
const KEPT_CANDIDATES = 10;

export function explainAnomaly(
  metric: MetricDefinition,
  now: WindowCells,
  past: readonly WindowCells[],
  total: { actual: number; expected: number },
): Explanation {
  const breakdown = explainWindow(
    metric,
    now.cells,
    past.map((w) => w.cells),
    total,
  );
  const rootCause = rootCauseOf(
    metric,
    now.leaves,
    past.map((w) => w.leaves),
  );
  if (!rootCause) return breakdown;
  return {
    ...breakdown,
    rootCause,
    sentence: rootCause.set.length > 0 ? rootCause.sentence : breakdown.sentence,
  };
}

/** What the words of a drift say: its side, its length, and the slice it is in, if one. */
export type DriftWords = Pick<DriftAlarm, 'direction' | 'windows'> & {
  dim?: string;
  value?: string;
};

/**
 * "drifting up for 9 windows" (the drift test, ./drift.ts) or "drifting up in region=eu-west
 * for 6 windows" (the slice drift test, ./slice-drift.ts): what the test saw when it fired.
 */
export function driftWords(alarm: DriftWords): string {
  const where = alarm.dim !== undefined ? ` in ${alarm.dim}=${alarm.value ?? ''}` : '';
  return `drifting ${alarm.direction}${where} for ${alarm.windows} window${alarm.windows === 1 ? '' : 's'}`;
}

/**
 * The explanation of a window on which the drift test fired: its sentence begins with the
 * drift ("Drifting up for 9 windows. Latency in region=eu-west rose …"); the rest is unchanged.
 */
export function withDrift(explanation: Explanation, alarm: DriftWords): Explanation {
  const words = driftWords(alarm);
  const lead = `${words.charAt(0).toUpperCase()}${words.slice(1)}.`;
  const told = {
    ...explanation,
    sentence: explanation.sentence ? `${lead} ${explanation.sentence}` : lead,
  };
  // The slice drift test found the slice that drifts; when the window's change is too small
  // for the root-cause search to name anything, that slice is the root cause we know of.
  if (alarm.dim === undefined || (explanation.rootCause?.set.length ?? 0) > 0) return told;
  const where = `${alarm.dim}=${alarm.value ?? ''}`;
  return {
    ...told,
    rootCause: {
      set: [{ [alarm.dim]: alarm.value ?? '' }],
      candidates: explanation.rootCause?.candidates ?? [],
      sentence: `${where} has drifted ${alarm.direction} for ${alarm.windows} window${alarm.windows === 1 ? '' : 's'}; this window's change alone is too small to name a cause.`,
      namedBy: 'slice-drift',
    },
  };
}

/**
 * The root cause of a drift over all of its windows (the drift test's and the slice drift
 * test's, ./drift.ts and ./slice-drift.ts): the leaf cube of every window since the drift began,
 * added up, against as many windows of the baseline from before it began (`past`: baseline
 * windows earlier than the drift). A slow drift moves any one window by little, often too little
 * for the search to name anything, while its windows together carry several times the evidence.
 * Null, or a root cause naming nothing, when they do not suffice either.
 */
export function driftRootCause(
  metric: MetricDefinition,
  span: readonly (readonly LeafDelta[])[],
  past: readonly (readonly LeafDelta[])[],
): RootCause | null {
  const present = span.filter((window) => window.length > 0);
  if (present.length === 0) return null;
  const found = rootCauseOf(metric, present.flat(), past, present.length);
  if (!found || found.set.length === 0) return found;
  const n = present.length;
  return {
    ...found,
    sentence: `Over the drift's ${n} window${n === 1 ? '' : 's'}: ${found.sentence}`,
    namedBy: 'drift-span',
  };
}

/**
 * The explanation of a drift's window whose own root cause names nothing, with the root cause
 * of the drift's whole span when that names something ({@link driftRootCause}).
 */
export function withDriftRootCause(explanation: Explanation, span: RootCause | null): Explanation {
  if ((explanation.rootCause?.set.length ?? 0) > 0 || !span || span.set.length === 0) {
    return explanation;
  }
  return { ...explanation, rootCause: span, sentence: span.sentence };
}

/** Numerator and denominator of a metric in one leaf (denominator 1 for additive metrics). */
interface LeafValue {
  num: number;
  den: number;
}

/**
 * What a metric adds up to in each leaf of one window: counts of its event types, sums of its
 * measure, or numerator and denominator of a ratio or average. Leaves outside the metric's
 * filters are left out.
 */
export function leafValues(
  metric: MetricDefinition,
  leaves: readonly LeafDelta[],
): Map<string, LeafValue> {
  const numeratorTypes = new Set([
    metric.eventType,
    ...(metric.kind === 'count' ? metric.extraEventTypes : []),
  ]);
  const filtered = hasFilters(metric);
  const values = new Map<string, LeafValue>();
  const at = (leaf: string) => {
    let v = values.get(leaf);
    if (!v) values.set(leaf, (v = { num: 0, den: 0 }));
    return v;
  };
  for (const cell of leaves) {
    if (filtered && !matchesDefinition(metric, parseDims(cell.leaf))) continue;
    switch (metric.kind) {
      case 'count':
        if (cell.measure === '' && numeratorTypes.has(cell.eventType))
          at(cell.leaf).num += cell.count;
        break;
      case 'sum':
        if (cell.eventType === metric.eventType && cell.measure === metric.measure)
          at(cell.leaf).num += cell.sum;
        break;
      case 'avg':
        if (cell.eventType === metric.eventType && cell.measure === metric.measure) {
          const v = at(cell.leaf);
          v.num += cell.sum;
          v.den += cell.count;
        }
        break;
      case 'ratio':
        if (cell.measure !== '') break;
        if (cell.eventType === metric.eventType) at(cell.leaf).num += cell.count;
        if (cell.eventType === metric.denominatorEventType) at(cell.leaf).den += cell.count;
        break;
    }
  }
  return values;
}

const dimsCache = new Map<string, Elements>();

function parseDims(leaf: string): Elements {
  let dims = dimsCache.get(leaf);
  if (!dims) {
    dims = JSON.parse(leaf) as Elements;
    if (dimsCache.size > 50_000) dimsCache.clear();
    dimsCache.set(leaf, dims);
  }
  return dims;
}

/** A leaf's value now and its mean over the baseline windows (ratio and average: both parts). */
export interface RootCauseRow {
  dims: Elements;
  actual: number;
  expected: number;
  actualDen: number;
  expectedDen: number;
}

/**
 * The rows the root cause is computed from: each leaf's value now against its mean over the
 * baseline windows (a leaf missing from a window counts as zero there). `now` may hold the cells
 * of several windows (`windows` of them: a drift's span, {@link driftRootCause}): they add up,
 * against that many times the baseline's mean.
 */
export function rootCauseRows(
  metric: MetricDefinition,
  now: readonly LeafDelta[],
  past: readonly (readonly LeafDelta[])[],
  windows = 1,
): RootCauseRow[] {
  const current = leafValues(metric, now);
  const history = past.map((w) => leafValues(metric, w));
  const keys = new Set(current.keys());
  for (const window of history) for (const key of window.keys()) keys.add(key);
  return [...keys].map((key) => {
    let num = 0;
    let den = 0;
    for (const window of history) {
      const v = window.get(key);
      num += v?.num ?? 0;
      den += v?.den ?? 0;
    }
    const actual = current.get(key) ?? { num: 0, den: 0 };
    return {
      dims: parseDims(key),
      actual: actual.num,
      expected: (num / history.length) * windows,
      actualDen: actual.den,
      expectedDen: (den / history.length) * windows,
    };
  });
}

/**
 * The root cause over the leaf cube (see {@link rootCauseRows}). Null without leaves (data from
 * before the leaf cube) or without baseline windows. A baseline window without any leaf is left
 * out rather than read as zero: the leaf cube is kept for less time than the points
 * (PULSE_RETAIN_LEAF_CUBE), so a weekly baseline reaches back past it, and a window whose cells
 * are gone says nothing about what was expected.
 */
export function rootCauseOf(
  metric: MetricDefinition,
  now: readonly LeafDelta[],
  allPast: readonly (readonly LeafDelta[])[],
  windows = 1,
): RootCause | null {
  const past = allPast.filter((window) => window.length > 0);
  if (now.length === 0 || past.length === 0) return null;
  const rows = rootCauseRows(metric, now, past, windows);
  if (rows.length === 0) return null;
  const options = { metricName: metric.name, format: (v: number) => formatMetricValue(metric, v) };
  if (metric.kind === 'ratio' || metric.kind === 'avg') {
    const result = explainRatio(rows, {
      ...options,
      denominatorName:
        metric.kind === 'ratio' && metric.denominatorEventType
          ? `${metric.denominatorEventType} events`
          : 'events',
      formatRate: options.format,
      formatRateChange: rateChangeFormat(metric),
    });
    return summarize(result.rootCause, result.candidates, result.sentence);
  }
  const result: RcaResult = explainCube(rows, options);
  return summarize(result.rootCause, result.candidates, result.sentence);
}

/**
 * A change of a ratio or average in the metric's unit, signed: "+16 ms", "−0.62 percentage
 * points" (a rate shown in % changes by points, not by percent of itself), "+0.12".
 */
export function rateChangeFormat(
  metric: Pick<MetricDefinition, 'kind' | 'unit'>,
): (change: number) => string {
  return (change) => {
    const sign = change > 0 ? '+' : change < 0 ? MINUS : '';
    const size = Math.abs(change);
    if (metric.unit === '%') return `${sign}${(size * 100).toFixed(2)} percentage points`;
    return `${sign}${formatMetricValue(metric, size)}`;
  };
}

function summarize(
  set: Elements[],
  candidates: readonly { elements: Elements; score: number; explains: number }[],
  sentence: string,
): RootCause {
  return {
    set,
    candidates: candidates.slice(0, KEPT_CANDIDATES).map((c) => ({
      elements: c.elements,
      score: c.score,
      explains: c.explains,
    })),
    sentence,
  };
}

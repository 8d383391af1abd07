/**
 * Root cause: which dimension values account for an anomaly. Each slice's actual value is
 * compared with its own expected value; its additive deviation (in numerator units) as a share
 * of its dimension's total deviation says how much of the change it explains.
 */
import type { Contributor, Explanation } from '@/lib/types';
import { floorSigma } from '@/lib/detect';
import { formatValue } from '@/lib/metrics';

/** One dimension value in the anomalous window, with its own expectation. */
export interface SliceInput {
  dim: string;
  value: string;
  /** Metric numerator and denominator in this slice (den = 1 for count and sum). */
  num: number;
  den: number;
  /** Expected metric value of the slice (num / den units), e.g. its baseline mean. */
  expectedValue: number;
  /** Standard deviation of the slice's value in its baseline. */
  sigma: number;
  volume: number;
}

export interface ExplainInput {
  /** The metric's value in the window and its expected value. */
  total: { actual: number; expected: number };
  /** Every value of every dimension; each dimension's slices partition the total. */
  slices: readonly SliceInput[];
  /** Name used in the sentence, e.g. "purchases". */
  metricName: string;
  /** Unit for values in the sentence (see formatValue); default ''. */
  unit?: string;
}

const MAX_TOP = 10;
/** A single value explains the change when it accounts for at least this share. */
const DOMINANT_SHARE = 0.5;
/** Contributors listed when no single value dominates. */
const MAX_LISTED = 3;

function contributor(slice: SliceInput): Contributor {
  const { dim, value, num, den, expectedValue: expected, volume } = slice;
  // A slice without a denominator (no sessions, no requests) has no value and no surprise.
  const hasValue = den !== 0;
  const actual = hasValue ? num / den : 0;
  const z = hasValue ? (actual - expected) / floorSigma(slice.sigma, expected) : 0;
  return { dim, value, actual, expected, deviation: num - expected * den, share: 0, z, volume };
}

/** Orders by share (most explanatory first), then by |z|, then by value for stability. */
function byShareThenZ(a: Contributor, b: Contributor): number {
  return b.share - a.share || Math.abs(b.z) - Math.abs(a.z) || a.value.localeCompare(b.value);
}

/**
 * Sets each contributor's share of its dimension's total deviation. When the slices cancel
 * out (total ≈ 0 relative to their size) the shares are 0: nothing is explained.
 */
function assignShares(contributors: Contributor[]): void {
  const total = contributors.reduce((s, c) => s + c.deviation, 0);
  const magnitude = contributors.reduce((s, c) => s + Math.abs(c.deviation), 0);
  const negligible = Math.abs(total) <= 1e-9 * magnitude;
  for (const c of contributors) {
    c.share = negligible || c.deviation === 0 ? 0 : c.deviation / total; // never −0
  }
}

function groupByDimension(slices: readonly SliceInput[]): Record<string, Contributor[]> {
  const dimensions: Record<string, Contributor[]> = {};
  for (const slice of slices) (dimensions[slice.dim] ??= []).push(contributor(slice));
  for (const list of Object.values(dimensions)) {
    assignShares(list);
    list.sort(byShareThenZ);
  }
  return dimensions;
}

/**
 * Best contributors across dimensions: those that push in the direction of the change, from
 * dimensions with more than one value (a lone value trivially "explains" everything).
 */
function topContributors(dimensions: Record<string, Contributor[]>, drop: boolean): Contributor[] {
  return Object.values(dimensions)
    .filter((list) => list.length > 1)
    .flat()
    .filter((c) => c.share > 0 && (drop ? c.deviation < 0 : c.deviation > 0))
    .sort(byShareThenZ)
    .slice(0, MAX_TOP);
}

/** Share as a whole percent for display, clamped to 0–100. */
function percent(share: number): string {
  return `${Math.round(Math.min(1, Math.max(0, share)) * 100)}%`;
}

function listOf(items: string[]): string {
  return items.length <= 1
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function sentence(top: Contributor[], change: string, input: ExplainInput): string {
  const best = top[0];
  if (!best) return `no dimension value explains the ${change} in ${input.metricName}`;
  if (best.share >= DOMINANT_SHARE) {
    const unit = input.unit ?? '';
    const values = `${formatValue(best.actual, unit)} vs ${formatValue(best.expected, unit)} expected`;
    return `${best.dim}=${best.value} accounts for ${percent(best.share)} of the ${change} in ${input.metricName} (${values})`;
  }
  const listed = top.slice(0, MAX_LISTED).map((c) => `${c.dim}=${c.value} (${percent(c.share)})`);
  const largest =
    listed.length === 1 ? 'the largest contributor is' : 'the largest contributors are';
  return `no single value explains it; ${largest} ${listOf(listed)}`;
}

/**
 * Explains a deviation of a metric by its dimension slices. Per slice: actual = num / den,
 * deviation = num − expected × den, share = deviation / (sum of the deviations of its
 * dimension), z = (actual − expected) / σ (σ floored). Shares are stored raw (they can exceed 1
 * when other values move the opposite way) and clamped only in the sentence.
 */
export function explain(input: ExplainInput): Explanation {
  const drop = input.total.actual < input.total.expected;
  const dimensions = groupByDimension(input.slices);
  const top = topContributors(dimensions, drop);
  return { dimensions, top, sentence: sentence(top, drop ? 'drop' : 'rise', input) };
}

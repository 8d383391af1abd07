/**
 * Root cause: which dimension values account for an anomaly. Each slice's actual value is
 * compared with its own expected value; its additive deviation (in numerator units) as a share
 * of its dimension's total deviation says how much of the change it explains.
 *
 * Share alone blames big values: when a change is spread evenly, a value with 70% of the traffic
 * carries ~70% of the deviation without being its cause. So each slice also gets its expected
 * share, its part of the dimension's expected total (expected value × den), which is the share
 * it would carry if the change were proportional to size, and its excess = share − expected
 * share. Values are ranked by excess (explanatory power beyond size, in the spirit of
 * Adtributor's surprise and HotSpot's potential score), and only a disproportionate value is
 * named as the cause.
 */
import type { Contributor, Explanation, MetricKind } from '@/lib/types';
import { floorSigma } from './zscore';
import { formatValue } from '@/lib/metrics/units';
import {
  capitalize,
  changeWords,
  listWords,
  percentWords,
  portionWords,
  WHOLE,
} from '@/lib/rca/words';

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
  /** Formats values in the sentence (default: formatValue in `unit`, see valueFormat). */
  format?: (value: number) => string;
}

const MAX_TOP = 10;
/** Contributors listed when no single value dominates. */
const MAX_LISTED = 3;
/** A single value explains the change only if it accounts for at least this share of it… */
const DOMINANT_SHARE = 0.5;
/**
 * …and its share exceeds its expected share by at least this much (see {@link dominantExcess}):
 * 25 points more of the change than of the expected total, e.g. 55% of a drop from 30% of the
 * expected purchases.
 */
const DOMINANT_EXCESS = 0.25;
/**
 * Smallest excess that makes a value stand out at all. Below it the value's part in the change
 * is within 10 points of its size: proportional, whatever its share.
 */
const MIN_EXCESS = 0.1;
/**
 * A value stands out only if its own change (z) and its excess (excess z, see
 * {@link excessZScores}) are both beyond this many σ: with noise the shares of a small total
 * deviation are arbitrary (even above 1), and a big value's excess wobbles by several points, so
 * a large share or excess means nothing unless it is beyond what noise would give. 2σ is
 * lenient on purpose: a value that carries a detected anomaly (total |z| ≥ 3) alone typically
 * has |z| ≥ the total's, since its σ is smaller.
 */
const MIN_Z = 2;
/** Excess below this (rounding error of shares) counts as a tie in the ranking. */
const EXCESS_RESOLUTION = 1e-9;

/** A contributor with its expected share and excess always set. */
type Ranked = Contributor & { expectedShare: number; excess: number };

function contributor(slice: SliceInput, expectedShare: number): Ranked {
  const { dim, value, num, den, expectedValue: expected, volume } = slice;
  // A slice without a denominator (no sessions, no requests) has no value and no surprise.
  const hasValue = den !== 0;
  const actual = hasValue ? num / den : 0;
  const z = hasValue ? (actual - expected) / floorSigma(slice.sigma, expected) : 0;
  const deviation = num - expected * den;
  return { dim, value, actual, expected, deviation, share: 0, z, volume, expectedShare, excess: 0 };
}

/**
 * Each slice's share of its dimension's expected total in numerator units (expected value × den;
 * den = 1 for count and sum). Without a positive expected total (nothing was expected, or some
 * expectation is negative so "size" means nothing) every expected share is 0 and the ranking
 * falls back to share.
 */
function expectedShares(slices: readonly SliceInput[]): number[] {
  const sizes = slices.map((s) => s.expectedValue * s.den);
  const total = sizes.reduce((sum, x) => sum + x, 0);
  const valid = Number.isFinite(total) && total > 0 && sizes.every((x) => x >= 0);
  return sizes.map((x) => (valid && x > 0 ? x / total : 0));
}

const pushes = (c: Contributor) => c.share > 0;
const rounded = (excess: number) => Math.round(excess / EXCESS_RESOLUTION);

/**
 * Most explanatory first: values that push with the deviation by excess (how much more of the
 * change they carry than their size), then by share; values that stayed flat or pulled the other
 * way after them, by share. Then |z|, then value and dimension for stability.
 */
function byExplanatoryPower(a: Ranked, b: Ranked): number {
  if (pushes(a) !== pushes(b)) return pushes(a) ? -1 : 1;
  return (
    (pushes(a) ? rounded(b.excess) - rounded(a.excess) : 0) ||
    b.share - a.share ||
    Math.abs(b.z) - Math.abs(a.z) ||
    a.value.localeCompare(b.value) ||
    a.dim.localeCompare(b.dim)
  );
}

/**
 * Sets each contributor's share of its dimension's total deviation, and its excess over its
 * expected share. When the slices cancel out (total ≈ 0 relative to their size) the shares are
 * 0: nothing is explained.
 */
function assignShares(contributors: Ranked[]): void {
  const total = contributors.reduce((s, c) => s + c.deviation, 0);
  const magnitude = contributors.reduce((s, c) => s + Math.abs(c.deviation), 0);
  const negligible = Math.abs(total) <= 1e-9 * magnitude;
  for (const c of contributors) {
    c.share = negligible || c.deviation === 0 ? 0 : c.deviation / total; // never −0
    c.excess = c.share - c.expectedShare || 0;
  }
}

/**
 * How far each value's excess is beyond noise. Its excess deviation, excess × |D| (D the
 * dimension's deviation) = (1 − p)·dᵢ − p·d_rest in numerator units, is divided by the σ that
 * quantity has when every slice moves only within its noise, √((1 − p)²σᵢ² + p²·Σ_{j≠i} σⱼ²)
 * with σ in numerator units (σ × den). Positive when the value carries more than its size.
 */
function excessZScores(contributors: Ranked[], sigmas: number[], into: Map<Ranked, number>) {
  const total = Math.abs(contributors.reduce((s, c) => s + c.deviation, 0));
  const variance = sigmas.reduce((s, x) => s + x * x, 0);
  contributors.forEach((c, i) => {
    const p = c.expectedShare;
    const own = sigmas[i]! ** 2;
    const sd = Math.sqrt((1 - p) ** 2 * own + p ** 2 * Math.max(0, variance - own));
    into.set(c, sd > 0 ? (c.excess * total) / sd : 0);
  });
}

interface Grouped {
  dimensions: Record<string, Ranked[]>;
  /** Each contributor's excess in units of its noise (see {@link excessZScores}). */
  excessZ: Map<Ranked, number>;
}

function groupByDimension(slices: readonly SliceInput[]): Grouped {
  const byDim: Record<string, SliceInput[]> = {};
  for (const slice of slices) (byDim[slice.dim] ??= []).push(slice);
  const dimensions: Record<string, Ranked[]> = {};
  const excessZ = new Map<Ranked, number>();
  for (const [dim, list] of Object.entries(byDim)) {
    const expected = expectedShares(list);
    const contributors = list.map((slice, i) => contributor(slice, expected[i]!));
    assignShares(contributors);
    const sigmas = list.map((s) => floorSigma(s.sigma, s.expectedValue) * s.den);
    excessZScores(contributors, sigmas, excessZ);
    dimensions[dim] = contributors.sort(byExplanatoryPower);
  }
  return { dimensions, excessZ };
}

/** Dimensions with more than one value: a lone value trivially "explains" everything. */
function splitDimensions(dimensions: Record<string, Ranked[]>): string[] {
  return Object.keys(dimensions).filter((dim) => dimensions[dim]!.length > 1);
}

/**
 * Best contributors across dimensions: those that push in the direction of the change, from
 * dimensions with more than one value, most disproportionate first.
 */
function topContributors(dimensions: Record<string, Ranked[]>, drop: boolean): Ranked[] {
  return splitDimensions(dimensions)
    .flatMap((dim) => dimensions[dim]!)
    .filter((c) => c.share > 0 && (drop ? c.deviation < 0 : c.deviation > 0))
    .sort(byExplanatoryPower)
    .slice(0, MAX_TOP);
}

/** The slice moved beyond its own noise. */
const significant = (c: Contributor) => Math.abs(c.z) >= MIN_Z;

/**
 * Carries noticeably more of the change than its size (excess ≥ MIN_EXCESS), and both its own
 * change and that excess are beyond noise (|z| ≥ MIN_Z, excess z ≥ MIN_Z).
 */
const standsOut = (c: Ranked, excessZ: Map<Ranked, number>) =>
  significant(c) && c.excess >= MIN_EXCESS && (excessZ.get(c) ?? 0) >= MIN_Z;

/**
 * Excess a value needs to be named as the cause: DOMINANT_EXCESS, but a value with expected
 * share p can reach at most 1 − p (the others flat), so for big values (p > 0.5) it is
 * (1 − p) / 2 — the other values together moved at most half as much, relative to their size,
 * as the total — and never below MIN_EXCESS, so that a value with nearly all the traffic is not
 * blamed for a few points of noise in the rest.
 */
function dominantExcess(expectedShare: number): number {
  return Math.max(MIN_EXCESS, Math.min(DOMINANT_EXCESS, (1 - expectedShare) / 2));
}

const dominates = (c: Ranked, excessZ: Map<Ranked, number>) =>
  standsOut(c, excessZ) && c.share >= DOMINANT_SHARE && c.excess >= dominantExcess(c.expectedShare);

/**
 * The values in the sentence in the metric's unit: `format` when given; else whole numbers when
 * every slice is a whole count (den 1, whole numerators: counts, and sums of whole measures),
 * so an expected 1,003.4 purchases reads "about 1,003"; else up to 2 decimals.
 */
function valueFormat(input: ExplainInput): (value: number) => string {
  if (input.format) return input.format;
  const unit = input.unit ?? '';
  const whole = input.slices.every((s) => s.den === 1 && Number.isInteger(s.num));
  return (value) => formatValue(value, unit, { integer: whole });
}

const slice = (c: Contributor) => `${c.dim}=${c.value}`;

function sentence(
  top: Ranked[],
  { dimensions, excessZ }: Grouped,
  change: 'drop' | 'rise',
  input: ExplainInput,
): string {
  const name = input.metricName;
  if (top.length === 0) return capitalize(`no dimension value explains the ${change} in ${name}.`);
  const format = valueFormat(input);
  const best = top.find((c) => dominates(c, excessZ));
  if (best) {
    const how = changeWords(best.actual, best.expected, format);
    // Above 1 only when other values moved the other way (see explain).
    const part =
      best.share > WHOLE
        ? `that is more than the whole ${change}, because other ${best.dim} values ${change === 'drop' ? 'rose' : 'fell'} meanwhile`
        : `that is ${portionWords(best.share, change)}`;
    return capitalize(`${name} in ${slice(best)} ${how}: ${part}.`);
  }
  const outliers = top.filter((c) => standsOut(c, excessZ)).slice(0, MAX_LISTED);
  if (outliers.length > 0) {
    const listed = outliers.map((c, i) =>
      i === 0
        ? `${slice(c)} (${portionWords(Math.min(1, c.share), change)})`
        : `${slice(c)} (${percentWords(Math.min(1, c.share))})`,
    );
    const largest =
      listed.length === 1
        ? 'the value that moved most beyond its share is'
        : 'the values that moved most beyond their share are';
    return capitalize(
      `no single value explains the ${change} in ${name}; ${largest} ${listWords(listed)}.`,
    );
  }
  // Alphabetical: the order the cells happened to be stored in says nothing.
  const where = `${listWords(splitDimensions(dimensions).sort())} values`;
  const total = changeWords(input.total.actual, input.total.expected, format);
  const how = top.some(significant)
    ? `spread across ${where} in proportion to their size`
    : `spread across ${where}, each within its normal variation`;
  return capitalize(`${name} ${total}; the ${change} is ${how}, and no single value stands out.`);
}

/**
 * Explains a deviation of a metric by its dimension slices. Per slice: actual = num / den,
 * deviation = num − expected × den, share = deviation / (sum of the deviations of its
 * dimension), expectedShare = expected × den / (sum of expected × den of its dimension),
 * excess = share − expectedShare, z = (actual − expected) / σ (σ floored). Shares are stored
 * raw (they can exceed 1 when other values move the opposite way); the sentence then says "more
 * than the whole drop" and why.
 *
 * Within a dimension and in `top`, values that push with the deviation rank by excess, then
 * share. The sentence names a value only if it dominates: it stands out (excess ≥ 0.1, with
 * its z and excess z ≥ 2), its share is ≥ 0.5 and its excess ≥ 0.25 (relaxed for values with
 * more than half the expected total, see {@link dominantExcess}). Otherwise it lists the values
 * that stand out, or says the change is spread in proportion to size (or within noise).
 */
export function explain(input: ExplainInput): Explanation {
  const drop = input.total.actual < input.total.expected;
  const grouped = groupByDimension(input.slices);
  const { dimensions } = grouped;
  const top = topContributors(dimensions, drop);
  return { dimensions, top, sentence: sentence(top, grouped, drop ? 'drop' : 'rise', input) };
}

/** Which way a slice moved against its own expected value. */
export type SliceDirection = 'up' | 'down' | 'flat';

/** How the drill-down draws one slice of a dimension (see {@link classifySlices}). */
export interface SliceTone {
  direction: SliceDirection;
  /**
   * It moved beyond its share: coloured (one hue per direction). False: it moved about as its
   * share of the expected total predicts — it only followed its traffic — or within its noise,
   * or not at all: neutral grey.
   */
  beyondShare: boolean;
  /**
   * Why, in one word: 'beyond' its share; 'share' — it moved about as its share predicts;
   * 'noise' — far enough from its share, but within its own noise (|z| < 2); 'flat'.
   */
  reason: 'beyond' | 'share' | 'noise' | 'flat';
  /** Its share of the expected total (stored, or derived for explanations stored without it). */
  expectedShare: number;
}

/**
 * The margin, in shares of the dimension's change, by which a slice must carry more of the
 * change than its share of the expected total to be coloured: 0.1, ten points (MIN_EXCESS, the
 * same margin at which the sentence lets a value stand out, so colours and words agree). Why
 * ten: with a change spread in proportion, every slice's share still wobbles a few points
 * around its size from noise (a big slice's most), so a smaller margin would colour
 * bystanders; and ten points is what a reader can see as a bar clearly past its traffic share.
 */
export const BEYOND_SHARE = MIN_EXCESS;

const directionOf = (deviation: number): SliceDirection =>
  deviation > 0 ? 'up' : deviation < 0 ? 'down' : 'flat';

/**
 * Each slice's expected share: the stored one, or for an explanation stored before it existed
 * its part of the expected total in numerator units (expected × den; den is the volume for
 * ratio and average metrics, 1 for counts and sums), 0 when that total is not positive.
 */
function expectedSharesOf(list: readonly Contributor[], ratioLike: boolean): number[] {
  if (list.every((c) => c.expectedShare !== undefined)) return list.map((c) => c.expectedShare!);
  const sizes = list.map((c) => c.expected * (ratioLike ? c.volume : 1));
  const total = sizes.reduce((sum, x) => sum + x, 0);
  const valid = Number.isFinite(total) && total > 0 && sizes.every((x) => x >= 0);
  return sizes.map((x) => (valid ? x / total : 0));
}

/**
 * Classifies the slices of one dimension for the breakdown's colours, in the same order.
 * Direction: the sign of the slice's own deviation (actual against its expected value).
 * Beyond its share, in its own direction, by at least {@link BEYOND_SHARE} of the dimension's
 * change, and beyond its own noise (|z| ≥ MIN_Z = 2, as for standing out):
 * - moving with the change (share > 0): share − expected share ≥ 0.1 — e.g. 95% of a drop from
 *   a slice with 25% of the traffic; a slice with 40% of the traffic carrying 45% of the drop
 *   only followed its traffic;
 * - moving against it (share < 0): |share| ≥ 0.1 — it went the other way by a tenth of the
 *   change or more, which following its traffic never does;
 * - not moving (share 0, as when the dimension's deviations cancel out): never.
 * `kind` says how to size slices for explanations stored without expected shares.
 */
export function classifySlices(
  list: readonly Contributor[],
  kind: MetricKind = 'count',
): SliceTone[] {
  const expected = expectedSharesOf(list, kind === 'ratio' || kind === 'avg');
  return list.map((c, i) => {
    const expectedShare = expected[i]!;
    const direction = directionOf(c.deviation);
    const beyond =
      c.share > 0 ? c.share - expectedShare : c.share < 0 ? -c.share : Number.NEGATIVE_INFINITY;
    // Within rounding of the threshold counts as reaching it (0.35 − 0.25 is 0.0999… in floats).
    const far = beyond >= BEYOND_SHARE - 1e-9;
    const reason =
      direction === 'flat' || c.share === 0
        ? 'flat'
        : !far
          ? 'share'
          : Math.abs(c.z) >= MIN_Z
            ? 'beyond'
            : 'noise';
    return { direction, beyondShare: reason === 'beyond', reason, expectedShare };
  });
}

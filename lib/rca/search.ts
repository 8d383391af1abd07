/**
 * The search for the root-cause set.
 *
 * Model (HotSpot's ripple effect, Squeeze's "each cause has its own magnitude"): the leaves under
 * a cause change by a common ratio of actual to expected, every other leaf by one shared ratio
 * (1 when only the causes changed; something else when a part of the change is spread over
 * everything). A set of causes S is scored by the weighted Poisson deviance of that model,
 *
 *   D(S) = Σ_groups min_r Σ_i w_i·2[a_i·ln(a_i / r·f_i) − (a_i − r·f_i)],
 *   w_i = f_i / (σ(f_i)² + κ²·f_i²),
 *
 * with σ the Poisson (or given) noise and κ the relative noise estimated from the leaves: the
 * likelihood-ratio statistic of counts, which for large leaves is the familiar Σ z² and for
 * sparse ones (a leaf expected to see 0.02 errors) does not let one event look like a cause.
 * Each group's deviance is closed-form from additive sufficient statistics (Σw·2a·ln(a/f), Σw·a,
 * Σw·f), so the gain of splitting any conjunction off the rest costs O(1) once its statistics
 * are known, and all conjunctions of up to 3 dimensions (a few thousand on a 5-dimension cube)
 * are scored exhaustively instead of sampled (HotSpot's MCTS is not needed at this size).
 *
 * Greedy forward selection adds the conjunction with the largest gain while the gain is beyond
 * what the best of M noise-only conjunctions would give (≈ 2·ln M in χ² units, plus a margin),
 * it carries a real part of the deviation, and it moved more than the rest in the direction of
 * its own deviation (excess share, as in Adtributor). Parsimony: among conjunctions within a
 * small tolerance of the best gain, the one with fewest dimensions wins (RiskLoc searches layer
 * by layer for the same reason). The noise level is re-estimated from the chosen model's
 * residuals and the search repeated until the set is stable (at most 3 passes).
 */
import type { Cube, Element } from './cube';

/**
 * Additive sufficient statistics of a group of leaves under given weights: enough for the
 * group's weighted Poisson deviance with its own ratio and at its expected value.
 */
export interface Stats {
  n: number;
  a: number;
  f: number;
  /** Σ w·2a·ln(a/f), Σ w·a, Σ w·f (f: the fitted expected value, see fitExpected) */
  wl: number;
  wa: number;
  wf: number;
  /** Σ σ² (the variance of the group's total around its expectation). */
  v: number;
}

const empty = (): Stats => ({ n: 0, a: 0, f: 0, wl: 0, wa: 0, wf: 0, v: 0 });

function subtract(x: Stats, y: Stats): Stats {
  return {
    n: x.n - y.n,
    a: x.a - y.a,
    f: x.f - y.f,
    wl: x.wl - y.wl,
    wa: x.wa - y.wa,
    wf: x.wf - y.wf,
    v: x.v - y.v,
  };
}

/**
 * Weighted Poisson deviance of a group fitted with its own ratio r = Σwa / Σwf (the maximum
 * likelihood ratio): Σ w·2[a·ln(a / r·f) − (a − r·f)] = Σ w·2a·ln(a/f) − 2·Σwa·ln(r). Never
 * below 0. Named rss for its role: the misfit a model leaves, in χ² units.
 */
export function rss(s: Stats): number {
  const fitted = s.wa > 0 && s.wf > 0 ? s.wl - 2 * s.wa * Math.log(s.wa / s.wf) : s.wl;
  return Math.max(0, fitted);
}

/** Weighted Poisson deviance of a group held at its expected value (ratio 1). */
export const rssAtExpected = (s: Stats) => Math.max(0, s.wl - 2 * (s.wa - s.wf));

/** Ratio of actual to expected of a group; ±Infinity from nothing expected. */
export function ratio(s: Stats): number {
  if (s.f > 0) return s.a / s.f;
  return s.a > 0 ? Infinity : 1;
}

/** Per-leaf weighted terms under a noise model. */
export interface Weighted {
  wl: Float64Array;
  wa: Float64Array;
  wf: Float64Array;
  /** σ² of each leaf. */
  v: Float64Array;
}

export type Sigma = (expected: number) => number;

/**
 * Counts: Poisson, σ² = the expected value itself, however small (a leaf expected to see 0.02
 * errors per window has that variance; flooring it at 1 made a sparse cube's real causes look
 * like noise).
 */
export const poissonSigma: Sigma = (expected) => Math.sqrt(Math.max(expected, 0));

/**
 * Expected value used in the fit: a leaf expected to be 0 that has an actual value can only be
 * explained by a ratio if it is not exactly 0, so it is floored at a thousandth of its actual
 * value (new leaves then share one ratio: a slice that appeared from nothing is one cause) or a
 * tiny fraction of the mean leaf.
 */
function fitExpected(cube: Cube): Float64Array {
  let total = 0;
  for (let i = 0; i < cube.n; i++) total += cube.expected[i]!;
  const floor = Math.max(1e-9, (1e-6 * total) / Math.max(1, cube.n));
  return cube.expected.map((f, i) => Math.max(f, 1e-3 * cube.actual[i]!, floor));
}

/**
 * Each leaf's terms of the weighted Poisson deviance. The weight is the leaf's Poisson variance
 * over its modelled variance, w = f / (σ(f)² + κ²f²): 1 for pure Poisson counts, less for leaves
 * whose noise is partly relative (κ) or larger than Poisson (a given σ). The deviance then
 * behaves like Σ z² for large leaves and stays sane for sparse ones, where a Gaussian
 * least-squares score ranks a conjunction with 2 events against 0.01 expected above a slice
 * with 26 against 5.
 */
export function weigh(cube: Cube, sigma: Sigma, kappa: number): Weighted {
  const f = fitExpected(cube);
  const n = cube.n;
  const out: Weighted = {
    wl: new Float64Array(n),
    wa: new Float64Array(n),
    wf: new Float64Array(n),
    v: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const a = cube.actual[i]!;
    const fi = f[i]!;
    const s = sigma(fi);
    const variance = Math.max(s * s + kappa * kappa * fi * fi, 1e-12);
    const w = Math.min(1e6, fi / variance);
    out.wl[i] = a > 0 ? w * 2 * a * Math.log(a / fi) : 0;
    out.wa[i] = w * a;
    out.wf[i] = w * fi;
    out.v[i] = variance;
  }
  return out;
}

function addLeaf(s: Stats, cube: Cube, w: Weighted, i: number): void {
  s.n += 1;
  s.a += cube.actual[i]!;
  s.f += cube.expected[i]!;
  s.wl += w.wl[i]!;
  s.wa += w.wa[i]!;
  s.wf += w.wf[i]!;
  s.v += w.v[i]!;
}

export function statsOf(
  cube: Cube,
  w: Weighted,
  leaves: Int32Array,
  covered?: Uint8Array,
  into: Stats = empty(),
): Stats {
  into.n = into.a = into.f = into.wl = into.wa = into.wf = into.v = 0;
  for (const i of leaves) if (!covered || covered[i] === 0) addLeaf(into, cube, w, i);
  return into;
}

/** The statistics of every element under one set of weights, packed (7 numbers each). */
export class StatsTable {
  private readonly cols: Float64Array;

  constructor(cube: Cube, w: Weighted, elements: readonly Element[]) {
    this.cols = new Float64Array(elements.length * 7);
    const s = empty();
    elements.forEach((element, e) => {
      statsOf(cube, w, element.leaves, undefined, s);
      this.cols.set([s.n, s.a, s.f, s.wl, s.wa, s.wf, s.v], e * 7);
    });
  }

  /** A copy to update (see {@link removeLeaf}). */
  clone(): StatsTable {
    const copy = Object.create(StatsTable.prototype) as StatsTable;
    (copy as unknown as { cols: Float64Array }).cols = this.cols.slice();
    return copy;
  }

  /** Takes leaf i out of element e's statistics. */
  removeLeaf(e: number, cube: Cube, w: Weighted, i: number): void {
    const c = this.cols;
    const o = e * 7;
    c[o]! -= 1;
    c[o + 1]! -= cube.actual[i]!;
    c[o + 2]! -= cube.expected[i]!;
    c[o + 3]! -= w.wl[i]!;
    c[o + 4]! -= w.wa[i]!;
    c[o + 5]! -= w.wf[i]!;
    c[o + 6]! -= w.v[i]!;
  }

  /** Element e's statistics, written into `into`. */
  get(e: number, into: Stats = empty()): Stats {
    const c = this.cols;
    const o = e * 7;
    into.n = c[o]!;
    into.a = c[o + 1]!;
    into.f = c[o + 2]!;
    into.wl = c[o + 3]!;
    into.wa = c[o + 4]!;
    into.wf = c[o + 5]!;
    into.v = c[o + 6]!;
    return into;
  }
}

/** For each leaf, the elements it is under (compressed rows: leaf i's are items[start[i]…start[i+1]]). */
export interface Incidence {
  start: Int32Array;
  items: Int32Array;
}

export function incidence(n: number, elements: readonly Element[]): Incidence {
  const start = new Int32Array(n + 1);
  for (const e of elements) for (const i of e.leaves) start[i + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const items = new Int32Array(start[n]!);
  const fill = start.slice(0, n);
  elements.forEach((e, index) => {
    for (const i of e.leaves) items[fill[i]!++] = index;
  });
  return { start, items };
}

export function totalStats(cube: Cube, w: Weighted): Stats {
  const s = empty();
  for (let i = 0; i < cube.n; i++) addLeaf(s, cube, w, i);
  return s;
}

/** Huber's ψ clips standardized residuals at ±HUBER_C. */
const HUBER_C = 2.5;
/** E[ψ(Z)²] for a standard normal Z: the target of the scale equation. */
const HUBER_TARGET = 0.9775599834528069;
/** Var[ψ(Z)²] for a standard normal Z. */
const HUBER_VARIANCE = 1.6815646917755789;

/**
 * Relative noise κ of the leaves when each group of leaves (group[i] ≥ 0) has been fitted with
 * its own ratio Σactual / Σexpected and the others (group[i] = −1) are held at their expected
 * value: the κ that solves Huber's scale equation mean ψ(zᵢ)² = E[ψ(Z)²] (ψ clipped at ±2.5) for
 * the studentized residuals zᵢ = eᵢ / √(αᵢ + κ²βᵢ), `base(μ)` being a leaf's variance at mean μ
 * without relative noise (σ(μ)²), taken at the fitted mean r·f: a slice whose rate went ×20 has
 * ×20 the Poisson variance, which is not relative noise. For a fitted leaf with share p of its group,
 * Var eᵢ = Vᵢ(1 − p)² + p²·Σ_{j≠i} Vⱼ with Vⱼ = σ(fⱼ)² + κ²fⱼ², which is exact for the sum ratio:
 * a leaf that dominates its group is not mistaken for a quiet one.
 *
 * A mean, not a median, on purpose: when most leaves are small and their Poisson σ already fits,
 * the median ignores the few big leaves whose noise is mostly relative; clipping keeps a minority
 * of changed leaves (< ~15%) from inflating it. 0 when σ alone accounts for the residuals.
 */
export function estimateRelativeNoise(
  cube: Cube,
  base: (mean: number) => number,
  group: Int32Array,
): number {
  let groups = 0;
  for (let i = 0; i < cube.n; i++) groups = Math.max(groups, group[i]! + 1);
  const A = new Float64Array(groups);
  const F = new Float64Array(groups);
  for (let i = 0; i < cube.n; i++) {
    const g = group[i]!;
    if (g < 0) continue;
    A[g]! += cube.actual[i]!;
    F[g]! += cube.expected[i]!;
  }
  // Each leaf's mean under the fit, its variance without relative noise, and the sums per group.
  const mean = new Float64Array(cube.n);
  const b = new Float64Array(cube.n);
  const B = new Float64Array(groups);
  const Q = new Float64Array(groups);
  for (let i = 0; i < cube.n; i++) {
    const g = group[i]!;
    const f = cube.expected[i]!;
    mean[i] = g >= 0 && F[g]! > 0 ? (f * A[g]!) / F[g]! : f;
    b[i] = base(mean[i]!);
    if (g < 0) continue;
    B[g]! += b[i]!;
    Q[g]! += mean[i]! ** 2;
  }
  const res = new Float64Array(cube.n);
  const alpha = new Float64Array(cube.n);
  const beta = new Float64Array(cube.n);
  let m = 0;
  for (let i = 0; i < cube.n; i++) {
    const a = cube.actual[i]!;
    const f = cube.expected[i]!;
    const mu = mean[i]!;
    const bi = b[i]!;
    if (a === 0 && f === 0) continue;
    const g = group[i]!;
    if (g < 0) {
      res[m] = a - f;
      alpha[m] = bi;
      beta[m++] = f * f;
      continue;
    }
    if (!(F[g]! > 0)) continue;
    const p = f / F[g]!;
    const al = bi * (1 - p) ** 2 + p * p * (B[g]! - bi);
    const be = mu * mu * (1 - p) ** 2 + p * p * (Q[g]! - mu * mu);
    if (!(al + be > 1e-9 * (bi + mu * mu))) continue; // alone in its group: nothing left
    res[m] = a - mu;
    alpha[m] = al;
    beta[m++] = be;
  }
  return solveScale(res, alpha, beta, m, 4);
}

/**
 * The scale κ ≥ 0 that solves the Huberized score equation of κ² for residuals eⱼ with variance
 * αⱼ + κ²βⱼ: Σ βⱼ/Vⱼ · (ψ(zⱼ)² − E[ψ²]) = 0, zⱼ = eⱼ/√Vⱼ. The weight βⱼ/Vⱼ is how much κ matters
 * for the residual: a leaf whose noise is all Poisson says nothing about κ. 0 with fewer than
 * `min` residuals, or when α alone accounts for them.
 */
function solveScale(
  res: Float64Array,
  alpha: Float64Array,
  beta: Float64Array,
  m: number,
  min: number,
): number {
  if (m < min) return 0;
  const excess = (kappa: number) => {
    let sum = 0;
    for (let j = 0; j < m; j++) {
      const variance = Math.max(alpha[j]! + kappa * kappa * beta[j]!, 1e-12);
      const z = Math.min(HUBER_C, Math.abs(res[j]!) / Math.sqrt(variance));
      sum += (beta[j]! / variance) * (z * z - HUBER_TARGET);
    }
    return sum;
  };
  if (excess(0) <= 0) return 0;
  let hi = 0.01;
  while (excess(hi) > 0 && hi < 1e6) hi *= 4;
  let lo = hi / 4;
  if (excess(lo) <= 0) return lo;
  // Geometric bisection: 1% precision is plenty.
  while (hi / lo > 1.01) {
    const mid = Math.sqrt(lo * hi);
    if (excess(mid) > 0) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Relative noise shared by all leaves of a dimension value (a slice whose expected value is off
 * by a few percent, e.g. a region whose traffic follows its own time of day): the s that makes
 * the residuals of the one-dimension slices under the selection's fit consistent with
 * Var = Σσᵢ² + s²·(Σfᵢ)², over each slice's leaves outside the causes (slices entirely inside
 * causes are left out). 0 unless the slices are overdispersed beyond chance, with fewer than 6
 * slices, or when leaf noise accounts for them.
 */
export function estimateSliceNoise(
  cube: Cube,
  w: Weighted,
  selection: Selection,
  elements: readonly Element[],
): number {
  const group = selectionGroups(cube, selection);
  const causes = selection.selected.length;
  let groups = 0;
  for (let i = 0; i < cube.n; i++) groups = Math.max(groups, group[i]! + 1);
  const A = new Float64Array(groups);
  const F = new Float64Array(groups);
  for (let i = 0; i < cube.n; i++) {
    const g = group[i]!;
    if (g < 0) continue;
    A[g]! += cube.actual[i]!;
    F[g]! += cube.expected[i]!;
  }
  const slices = elements.filter((e) => e.dims.length === 1);
  const res = new Float64Array(slices.length);
  const alpha = new Float64Array(slices.length);
  const beta = new Float64Array(slices.length);
  let m = 0;
  for (const slice of slices) {
    let r = 0;
    let f = 0;
    let v = 0;
    for (const i of slice.leaves) {
      const g = group[i]!;
      // Only the slice's leaves outside the causes: how a cause's own leaves spread over other
      // dimensions' values is the cause's detail, not an error of those values' forecasts.
      if (g >= 0 && g < causes) continue;
      const ratio = g >= 0 && F[g]! > 0 ? A[g]! / F[g]! : 1;
      r += cube.actual[i]! - cube.expected[i]! * ratio;
      f += cube.expected[i]!;
      v += w.v[i]!;
    }
    if (f <= 0) continue;
    res[m] = r;
    alpha[m] = v;
    beta[m++] = f * f;
  }
  // A score of ~20 slices is a noisy estimate, and a wrong one is costly (it discounts every
  // slice-sized cause), so slice noise is only estimated when the slices are overdispersed
  // beyond chance: Σψ(z)² over 3 standard deviations above its expectation under leaf noise.
  let sum = 0;
  for (let j = 0; j < m; j++)
    sum += Math.min(HUBER_C ** 2, res[j]! ** 2 / Math.max(alpha[j]!, 1e-12));
  if (sum <= m * HUBER_TARGET + 3 * Math.sqrt(m * HUBER_VARIANCE)) return 0;
  return solveScale(res, alpha, beta, m, 6);
}

/**
 * A first estimate of the relative noise, before any cause is known: each cuboid of one or two
 * dimensions is fitted with its own ratio per cell, and the smallest κ over them is kept (the
 * cuboid that contains the cause fits it away; the others leave at most a few changed leaves).
 */
export function initialRelativeNoise(
  cube: Cube,
  base: (mean: number) => number,
  elements: readonly Element[],
): number {
  const byCuboid = new Map<string, Element[]>();
  for (const e of elements) {
    if (e.dims.length > 2) continue;
    const key = e.dims.join(',');
    const list = byCuboid.get(key);
    if (list) list.push(e);
    else byCuboid.set(key, [e]);
  }
  let best = Infinity;
  const group = new Int32Array(cube.n);
  for (const cells of byCuboid.values()) {
    cells.forEach((cell, c) => {
      for (const i of cell.leaves) group[i] = c;
    });
    best = Math.min(best, estimateRelativeNoise(cube, base, group));
  }
  return Number.isFinite(best) ? best : estimateRelativeNoise(cube, base, group.fill(-1));
}

/** Groups of a selection for {@link estimateRelativeNoise}: causes in claim order, then the rest. */
export function selectionGroups(cube: Cube, { selected, mode }: Selection): Int32Array {
  const group = new Int32Array(cube.n).fill(-1);
  selected.forEach((s, g) => {
    for (const i of s.element.leaves) if (group[i] === -1) group[i] = g;
  });
  if (mode === 'free') {
    for (let i = 0; i < cube.n; i++) if (group[i] === -1) group[i] = selected.length;
  }
  return group;
}

export interface SearchParams {
  maxCauses: number;
  /** Smallest deviation of a cause, as a share of the reference deviation. */
  minShare: number;
  /** Reference deviation, signed: the total deviation, or the largest shift inside one dimension. */
  reference: number;
  /**
   * Causes may move either way (the reference is a shift inside a dimension, the total barely
   * moved); otherwise a cause moves with the total.
   */
  bothWays: boolean;
}

export interface Selected {
  element: Element;
  /** Statistics of the leaves it claimed (its leaves not claimed by earlier causes). */
  stats: Stats;
  gain: number;
}

/**
 * How the leaves outside the causes are modelled: `fixed` at their expected value (only the
 * causes changed), or `free` at one shared ratio (a part of the change is spread over
 * everything; costs one more parameter).
 */
export type RestMode = 'fixed' | 'free';

/** Extra χ² a cause must bring beyond the noise maximum 2·ln M. */
const GAIN_MARGIN = 10;
/** Parsimony: a simpler choice within max(this, PARSIMONY_REL·best) of the best gain wins. */
const PARSIMONY_ABS = 2;
const PARSIMONY_REL = 0.02;

/** The gain threshold (and the price of one parameter) for M candidate conjunctions. */
export function gainThreshold(m: number): number {
  return 2 * Math.log(Math.max(m, 2)) + GAIN_MARGIN;
}

/**
 * The price of naming a conjunction, by its number of dimensions: the gain threshold for the
 * candidates of that depth (index 0: the rest's free ratio, priced as one slice). Naming one of
 * 19 regions, devices or plans is a smaller claim than naming one of 2 000 triples, so the
 * best of the few slices needs less evidence to beat noise than the best of the many triples
 * (the same multiplicity argument as 2·ln M, per layer as RiskLoc searches).
 */
export function layerPrices(elements: readonly Element[]): Float64Array {
  const counts = [0, 0, 0, 0];
  for (const e of elements) counts[Math.min(3, e.dims.length)]!++;
  const prices = new Float64Array(4);
  for (let d = 1; d <= 3; d++) prices[d] = gainThreshold(counts[d]!);
  prices[0] = prices[1]!;
  return prices;
}

/** Gain of splitting `part` (inside `rest`) off with its own ratio, the rest at a free ratio. */
export function splitGain(rest: Stats, part: Stats): number {
  return rss(rest) - rss(part) - rss(subtract(rest, part));
}

/** Gain of giving `part` its own ratio instead of its expected value. */
export function ownRatioGain(part: Stats): number {
  return rssAtExpected(part) - rss(part);
}

/** A set of causes claimed in order, the rest modelled by `mode`. */
class Fit {
  readonly covered: Uint8Array;
  readonly selected: Selected[] = [];
  rest: Stats;
  /** Every element's statistics over the leaves not claimed yet. */
  private readonly unclaimedStats: StatsTable;

  constructor(
    private readonly cube: Cube,
    private readonly w: Weighted,
    readonly mode: RestMode,
    private readonly prices: Float64Array,
    private readonly sliceNoise: number,
    private readonly table: StatsTable,
    private readonly incidence: Incidence,
  ) {
    this.covered = new Uint8Array(cube.n);
    this.rest = totalStats(cube, w);
    this.unclaimedStats = table.clone();
  }

  /** The price of naming an element (see {@link layerPrices}). */
  price(element: Element): number {
    return this.prices[Math.min(3, element.dims.length)]!;
  }

  /** Penalized objective: the model's deviance plus each parameter's price. */
  objective(): number {
    const causes = this.selected.reduce((sum, s) => sum + rss(s.stats) + this.price(s.element), 0);
    const rest = this.mode === 'free' ? rss(this.rest) + this.prices[0]! : rssAtExpected(this.rest);
    return causes + rest;
  }

  /** Statistics of element e's leaves not claimed yet, written into `into`. */
  unclaimed(e: number, into: Stats): Stats {
    return this.unclaimedStats.get(e, into);
  }

  /** Gain of adding the (unclaimed part of an) element, or NaN when it is not a cause. */
  gain(element: Element, stats: Stats, params: SearchParams): number {
    if (stats.n === 0 || stats.n === this.rest.n) return NaN;
    const deviation = stats.a - stats.f;
    const share = params.reference !== 0 ? deviation / params.reference : 0;
    if ((params.bothWays ? Math.abs(share) : share) < params.minShare) return NaN;
    let gain: number;
    if (this.mode === 'fixed') gain = ownRatioGain(stats);
    else {
      // It must have moved more than the rest, in the direction of its own deviation: a slice
      // that merely stayed put while everything else moved is not a cause.
      const direction = Math.sign(ratio(stats) - ratio(subtract(this.rest, stats)));
      if (direction === 0 || direction !== Math.sign(deviation)) return NaN;
      gain = splitGain(this.rest, stats);
    }
    // Significant beyond slice noise too: the gain is about z² under leaf noise; with a shared
    // error s per slice its variance is Σσ² + s²(Σf)², not Σσ².
    const shared = this.sliceNoise * stats.f;
    const significant = gain * (stats.v / (stats.v + shared * shared));
    return significant >= this.price(element) ? gain : NaN;
  }

  /** Claims the element's unclaimed leaves (whose statistics are `stats`) as a cause. */
  add(element: Element, stats: Stats, gain: number): void {
    this.selected.push({ element, stats, gain });
    const { start, items } = this.incidence;
    for (const i of element.leaves) {
      if (this.covered[i] === 1) continue;
      this.covered[i] = 1;
      for (let j = start[i]!; j < start[i + 1]!; j++) {
        this.unclaimedStats.removeLeaf(items[j]!, this.cube, this.w, i);
      }
    }
    this.rest = subtract(this.rest, stats);
  }

  /** A new fit with the same mode and these elements claimed in order. */
  with(elements: readonly Element[]): Fit {
    const fit = new Fit(
      this.cube,
      this.w,
      this.mode,
      this.prices,
      this.sliceNoise,
      this.table,
      this.incidence,
    );
    for (const element of elements) {
      const stats = statsOf(this.cube, this.w, element.leaves, fit.covered);
      if (stats.n === 0) continue;
      const gain = fit.mode === 'fixed' ? ownRatioGain(stats) : splitGain(fit.rest, stats);
      fit.add(element, stats, gain);
    }
    return fit;
  }
}

/** `inner` is a strictly deeper conjunction that contains every value of `outer`. */
function refines(inner: Element, outer: Element): boolean {
  if (inner.dims.length <= outer.dims.length) return false;
  return outer.dims.every((k, j) => {
    const at = inner.dims.indexOf(k);
    return at !== -1 && inner.values[at] === outer.values[j];
  });
}

/**
 * Adds the best cause from `pool` while one qualifies (gain beyond its price). Parsimony: among
 * the causes within a tolerance of the best gain, the one with fewest dimensions wins.
 */
function grow(
  fit: Fit,
  elements: readonly Element[],
  pool: readonly number[],
  params: SearchParams,
): void {
  const taken = new Set(fit.selected.map((s) => s.element));
  const scratch = empty();
  while (fit.selected.length < params.maxCauses) {
    let best = -Infinity;
    const eligible: { index: number; stats: Stats; gain: number }[] = [];
    for (const index of pool) {
      const element = elements[index]!;
      if (taken.has(element)) continue;
      const stats = fit.unclaimed(index, scratch);
      const gain = fit.gain(element, stats, params);
      if (!(gain >= fit.price(element))) continue;
      eligible.push({ index, stats: { ...stats }, gain });
      if (gain > best) best = gain;
    }
    if (eligible.length === 0) return;
    const tolerance = Math.max(PARSIMONY_ABS, PARSIMONY_REL * best);
    const chosen = eligible
      .filter((e) => e.gain >= best - tolerance)
      .sort(
        (x, y) =>
          elements[x.index]!.dims.length - elements[y.index]!.dims.length ||
          y.gain - x.gain ||
          x.index - y.index,
      )[0]!;
    const element = elements[chosen.index]!;
    fit.add(element, chosen.stats, chosen.gain);
    taken.add(element);
  }
}

/**
 * Local improvements of a fit, kept when they lower the objective: drop a cause that later
 * causes made redundant, or replace a cause by deeper conjunctions inside it (two slices of a
 * value that changed while the value's other slices did not).
 */
function refine(fit: Fit, elements: readonly Element[], params: SearchParams): Fit {
  let current = fit;
  for (let round = 0; round < 4; round++) {
    let improved = false;
    for (const s of current.selected) {
      const others = current.selected.filter((x) => x !== s).map((x) => x.element);
      const dropped = current.with(others);
      const pool: number[] = [];
      elements.forEach((e, index) => {
        if (refines(e, s.element)) pool.push(index);
      });
      const split = current.with(others);
      grow(split, elements, pool, params);
      const best = [dropped, split].reduce((x, y) => (y.objective() < x.objective() ? y : x));
      if (best.objective() < current.objective() - 1e-9) {
        current = best;
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  return current;
}

export interface Selection {
  selected: Selected[];
  mode: RestMode;
}

/**
 * The root-cause set: greedy forward selection then local refinement, once with the rest held
 * at its expected value and once with the rest at a free ratio; the fit with the lower penalized
 * objective wins (the fixed rest on a tie: fewer parameters).
 */
export function selectCauses(
  cube: Cube,
  w: Weighted,
  elements: readonly Element[],
  table: StatsTable,
  incidence: Incidence,
  params: SearchParams,
  sliceNoise = 0,
): Selection {
  const prices = layerPrices(elements);
  const all = elements.map((_, i) => i);
  const fits = (['fixed', 'free'] as const).map((mode) => {
    const fit = new Fit(cube, w, mode, prices, sliceNoise, table, incidence);
    grow(fit, elements, all, params);
    return refine(fit, elements, params);
  });
  const [fixed, free] = fits as [Fit, Fit];
  const fit = free.objective() < fixed.objective() ? free : fixed;
  return { selected: fit.selected, mode: fit.mode };
}

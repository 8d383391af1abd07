/**
 * The statistics the root-cause search scores with (lib/rca/search.ts): each leaf's weight
 * under the noise model, and the additive sufficient statistics of any group of leaves, from
 * which a group's weighted Poisson deviance — with its own ratio or at its expected value — is
 * closed-form. Kept per conjunction in a table, so a split costs O(1) once it is built. Pure.
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

export const empty = (): Stats => ({ n: 0, a: 0, f: 0, wl: 0, wa: 0, wf: 0, v: 0 });

export function subtract(x: Stats, y: Stats): Stats {
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
  for (let j = 0; j < leaves.length; j++) {
    const i = leaves[j]!;
    if (!covered || covered[i] === 0) addLeaf(into, cube, w, i);
  }
  return into;
}

/** The statistics of every element under one set of weights, packed (7 numbers each). */
export class StatsTable {
  private readonly cols: Float64Array;

  constructor(cube: Cube, w: Weighted, elements: readonly Element[]) {
    const cols = (this.cols = new Float64Array(elements.length * 7));
    const { actual, expected } = cube;
    for (let e = 0, o = 0; e < elements.length; e++, o += 7) {
      const leaves = elements[e]!.leaves;
      let a = 0;
      let f = 0;
      let wl = 0;
      let wa = 0;
      let wf = 0;
      let v = 0;
      for (let j = 0; j < leaves.length; j++) {
        const i = leaves[j]!;
        a += actual[i]!;
        f += expected[i]!;
        wl += w.wl[i]!;
        wa += w.wa[i]!;
        wf += w.wf[i]!;
        v += w.v[i]!;
      }
      cols[o] = leaves.length;
      cols[o + 1] = a;
      cols[o + 2] = f;
      cols[o + 3] = wl;
      cols[o + 4] = wa;
      cols[o + 5] = wf;
      cols[o + 6] = v;
    }
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

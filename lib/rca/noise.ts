/**
 * How noisy the leaves are beyond their Poisson counts (lib/rca/search.ts): the relative noise κ
 * of every leaf's forecast, and the error shared by the leaves of one dimension value (a slice
 * whose forecast is off), estimated robustly (Huber's scale) from the residuals of a fit, so the
 * search neither takes forecast error for a cause nor misses a cause in noisy data. Pure.
 */
import type { Cube, Element } from './cube';
import type { Selection } from './search';
import type { Weighted } from './stats';

/** Huber's ψ clips standardized residuals at ±HUBER_C. */
const HUBER_C = 2.5;
/** E[ψ(Z)²] for a standard normal Z: the target of the scale equation. */
const HUBER_TARGET = 0.9775599834528069;
/** Var[ψ(Z)²] for a standard normal Z. */
const HUBER_VARIANCE = 1.6815646917755789;

/** Per-leaf working arrays of the noise estimates, reused between calls (the search is synchronous). */
let buffers: Record<'mean' | 'b' | 'res' | 'alpha' | 'beta', Float64Array> | null = null;
function scratch(n: number) {
  if (!buffers || buffers.mean.length < n) {
    const size = Math.max(n, 1024);
    buffers = {
      mean: new Float64Array(size),
      b: new Float64Array(size),
      res: new Float64Array(size),
      alpha: new Float64Array(size),
      beta: new Float64Array(size),
    };
  }
  return buffers;
}

/** Per group (group[i] ≥ 0; −1 is no group): how many groups, Σ actual (A) and Σ expected (F). */
function groupTotals(cube: Cube, group: Int32Array) {
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
  return { groups, A, F };
}

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
  bound = Infinity,
): number {
  const { groups, A, F } = groupTotals(cube, group);
  // Each leaf's mean under the fit, its variance without relative noise, and the sums per group.
  const { mean, b, res, alpha, beta } = scratch(cube.n);
  const B = new Float64Array(groups);
  const Q = new Float64Array(groups);
  for (let i = 0; i < cube.n; i++) {
    const g = group[i]!;
    const f = cube.expected[i]!;
    const mu = g >= 0 && F[g]! > 0 ? (f * A[g]!) / F[g]! : f;
    mean[i] = mu;
    const bi = base(mu);
    b[i] = bi;
    if (g < 0) continue;
    B[g]! += bi;
    Q[g]! += mu * mu;
  }
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
  return solveScale(res, alpha, beta, m, 4, bound);
}

/**
 * The scale κ ≥ 0 that solves the Huberized score equation of κ² for residuals eⱼ with variance
 * αⱼ + κ²βⱼ: Σ βⱼ/Vⱼ · (ψ(zⱼ)² − E[ψ²]) = 0, zⱼ = eⱼ/√Vⱼ. The weight βⱼ/Vⱼ is how much κ matters
 * for the residual: a leaf whose noise is all Poisson says nothing about κ. 0 with fewer than
 * `min` residuals, or when α alone accounts for them. Infinity when the solution is above
 * `bound` (the sum falls with κ: still positive at the bound means beyond it), so a caller
 * that keeps the smallest of several estimates pays one evaluation for each that cannot win.
 */
function solveScale(
  res: Float64Array,
  alpha: Float64Array,
  beta: Float64Array,
  m: number,
  min: number,
  bound = Infinity,
): number {
  if (m < min) return 0;
  // Squared residuals once (in place: the caller's residuals are spent), so that
  // z² = min(c², e²/V) needs no square root.
  const e2 = res;
  for (let j = 0; j < m; j++) e2[j] = res[j]! * res[j]!;
  const c2 = HUBER_C * HUBER_C;
  const excess = (kappa: number) => {
    const k2 = kappa * kappa;
    let sum = 0;
    for (let j = 0; j < m; j++) {
      const b = beta[j]!;
      const variance = Math.max(alpha[j]! + k2 * b, 1e-12);
      const z2 = Math.min(c2, e2[j]! / variance);
      sum += (b / variance) * (z2 - HUBER_TARGET);
    }
    return sum;
  };
  if (bound < Infinity && excess(bound) > 0) return Infinity;
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
  const { A, F } = groupTotals(cube, group);
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
    best = Math.min(best, estimateRelativeNoise(cube, base, group, best));
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

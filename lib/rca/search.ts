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
 * it carries a real part of the deviation (either way: independent causes may push in opposite
 * directions; one against the net change, or a small part of it, needs overwhelming evidence and
 * a change of its own), and it moved more than the rest in the direction of its own deviation
 * (excess share, as in Adtributor). Parsimony: among conjunctions within a small tolerance of
 * the best gain, the one with fewest dimensions wins (RiskLoc searches layer by layer for the
 * same reason). A chosen cause of 3 values is refined into one of 4 or 5 when only that part of
 * it changed (deeper conjunctions are not enumerated). The noise level is re-estimated from the
 * chosen model's residuals and the search repeated until the set is stable (at most 3 passes).
 */
import type { Cube, Element } from './cube';
import {
  empty,
  ratio,
  rss,
  rssAtExpected,
  statsOf,
  subtract,
  totalStats,
  type Incidence,
  type Stats,
  type StatsTable,
  type Weighted,
} from './stats';

export interface SearchParams {
  maxCauses: number;
  /**
   * Causes may move either way alike (the reference is a shift inside a dimension, the total
   * barely moved); otherwise one against the total needs overwhelming evidence.
   */
  bothWays: boolean;
  /**
   * Deepest conjunction a cause may be refined to, past the enumerated ones (see
   * {@link deepen}); at most MAX_DEPTH. No refinement when it is not deeper than they are.
   */
  deepest: number;
  /** Smallest deviation of a cause, as a share of the reference deviation. */
  minShare: number;
  /** Reference deviation, signed: the total deviation, or the largest shift inside one dimension. */
  reference: number;
  /** Deepest enumerated conjunction (3 unless the cube or maxDepth has fewer dimensions). */
  enumerated: number;
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
/**
 * A cause that moved against the reference deviation, or carries less than the minimum share of
 * it (but at least half), needs this many times its price: one of several independent causes
 * can push the other way or be a small part of the net change and still be plainly real, but
 * such a slice that is merely significant is more often a forecast that was a little off (the
 * rest of a slice whose cause was claimed, left a few percent the other way).
 */
const SMALL_SHARE_EVIDENCE = 6;
/** …and a change of at least this much relative to the rest (10%: ×1.1 or ×1/1.1). */
const MIN_OWN_CHANGE = 0.1;
/** Parsimony: a simpler choice within max(this, PARSIMONY_REL·best) of the best gain wins. */
const PARSIMONY_ABS = 2;
const PARSIMONY_REL = 0.02;

/** Deepest conjunction a cause may be refined to (see {@link deepen}). */
export const MAX_DEPTH = 5;

function binomial(n: number, k: number): number {
  let out = 1;
  for (let j = 0; j < k; j++) out = (out * (n - j)) / (j + 1);
  return Math.max(0, out);
}

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
export function layerPrices(
  elements: readonly Element[],
  cube: { n: number; dims: readonly string[] } = { n: 0, dims: [] },
): Float64Array {
  const counts = [0, 0, 0, 0];
  for (const e of elements) counts[Math.min(3, e.dims.length)]!++;
  const prices = new Float64Array(MAX_DEPTH + 1);
  for (let d = 1; d <= 3; d++) prices[d] = gainThreshold(counts[d]!);
  prices[0] = prices[1]!;
  // Deeper conjunctions are not enumerated (only refinements of a chosen cause are tried), but a
  // claim among that many candidates is priced as such: at most C(d, depth) per leaf.
  for (let d = 4; d <= MAX_DEPTH; d++) {
    prices[d] = Math.max(prices[d - 1]!, gainThreshold(cube.n * binomial(cube.dims.length, d)));
  }
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

/** totalStats, once per set of weights (every fit of a search starts from it). */
const totals = new WeakMap<Weighted, Stats>();
function totalOf(cube: Cube, w: Weighted): Stats {
  let total = totals.get(w);
  if (!total) totals.set(w, (total = totalStats(cube, w)));
  return total;
}

/** A set of causes claimed in order, the rest modelled by `mode`. */
class Fit {
  readonly covered: Uint8Array;
  readonly selected: Selected[] = [];
  rest: Stats;
  /**
   * Every element's statistics over the leaves not claimed yet: made on first use (a fit that is
   * only scored never needs it), from the table and the leaves claimed so far, in claim order.
   */
  private unclaimedStats: StatsTable | null = null;
  private readonly claimed: number[] = [];

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
    this.rest = { ...totalOf(cube, w) };
  }

  private unclaimedTable(): StatsTable {
    if (this.unclaimedStats) return this.unclaimedStats;
    const table = this.table.clone();
    for (const i of this.claimed) this.removeClaimed(table, i);
    return (this.unclaimedStats = table);
  }

  private removeClaimed(table: StatsTable, i: number): void {
    const { start, items } = this.incidence;
    for (let j = start[i]!; j < start[i + 1]!; j++)
      table.removeLeaf(items[j]!, this.cube, this.w, i);
  }

  /** The price of naming an element (see {@link layerPrices}). */
  price(element: Element): number {
    return this.prices[Math.min(MAX_DEPTH, element.dims.length)]!;
  }

  /** Penalized objective: the model's deviance plus each parameter's price. */
  objective(): number {
    const causes = this.selected.reduce((sum, s) => sum + rss(s.stats) + this.price(s.element), 0);
    const rest = this.mode === 'free' ? rss(this.rest) + this.prices[0]! : rssAtExpected(this.rest);
    return causes + rest;
  }

  /** Statistics of element e's leaves not claimed yet, written into `into`. */
  unclaimed(e: number, into: Stats): Stats {
    return this.unclaimedTable().get(e, into);
  }

  /** Gain of adding the (unclaimed part of an) element, or NaN when it is not a cause. */
  gain(element: Element, stats: Stats, params: SearchParams): number {
    if (stats.n === 0 || stats.n === this.rest.n) return NaN;
    const deviation = stats.a - stats.f;
    const share = params.reference !== 0 ? deviation / params.reference : 0;
    // Either way: independent causes may push in opposite directions, and one that moved
    // against the total's net change is as much a cause as the others. Against the reference,
    // or a smaller part (down to half the share), only with overwhelming evidence (below).
    if (Math.abs(share) < params.minShare / 2) return NaN;
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
    const usual = params.bothWays ? Math.abs(share) : share;
    if (usual >= params.minShare) return significant >= this.price(element) ? gain : NaN;
    // Against the reference or small: overwhelming evidence, and a change of its own beyond
    // what a forecast that was a little off would show.
    const own = ratio(stats) / ratio(subtract(this.rest, stats));
    if (!(Math.abs(Math.log(own)) >= Math.log1p(MIN_OWN_CHANGE))) return NaN;
    return significant >= this.price(element) * SMALL_SHARE_EVIDENCE ? gain : NaN;
  }

  /** Claims the element's unclaimed leaves (whose statistics are `stats`) as a cause. */
  add(element: Element, stats: Stats, gain: number): void {
    this.selected.push({ element, stats, gain });
    for (const i of element.leaves) {
      if (this.covered[i] === 1) continue;
      this.covered[i] = 1;
      if (this.unclaimedStats) this.removeClaimed(this.unclaimedStats, i);
      else this.claimed.push(i);
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
  const gains = new Float64Array(pool.length);
  while (fit.selected.length < params.maxCauses) {
    // First every gain and the best, then only those within the tolerance of it are kept.
    let best = -Infinity;
    pool.forEach((index, j) => {
      const element = elements[index]!;
      gains[j] = NaN;
      if (taken.has(element)) return;
      const gain = fit.gain(element, fit.unclaimed(index, scratch), params);
      if (!(gain >= fit.price(element))) return;
      gains[j] = gain;
      if (gain > best) best = gain;
    });
    if (best === -Infinity) return;
    const tolerance = Math.max(PARSIMONY_ABS, PARSIMONY_REL * best);
    const eligible: { index: number; stats: Stats; gain: number }[] = [];
    pool.forEach((index, j) => {
      const gain = gains[j]!;
      if (gain >= best - tolerance) {
        eligible.push({ index, stats: { ...fit.unclaimed(index, scratch) }, gain });
      }
    });
    const chosen = eligible.sort(
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
 * The conjunctions one value deeper than `element` (one more dimension), built from its leaves:
 * those that hold some but not all of them.
 */
function children(cube: Cube, element: Element): Element[] {
  const d = cube.dims.length;
  const out: Element[] = [];
  for (let k = 0; k < d; k++) {
    if (element.dims.includes(k)) continue;
    const byValue = new Map<number, number[]>();
    for (const i of element.leaves) {
      const v = cube.codes[i * d + k]!;
      const list = byValue.get(v);
      if (list) list.push(i);
      else byValue.set(v, [i]);
    }
    if (byValue.size < 2) continue;
    const at = element.dims.findIndex((x) => x > k);
    const dims = element.dims.slice();
    const values = element.values.slice();
    dims.splice(at === -1 ? dims.length : at, 0, k);
    for (const [v, leaves] of [...byValue].sort((x, y) => x[0] - y[0])) {
      const vals = values.slice();
      vals.splice(at === -1 ? vals.length : at, 0, v);
      out.push({ dims, values: vals, leaves: Int32Array.from(leaves) });
    }
  }
  return out;
}

/**
 * A cause at the deepest enumerated layer replaced by one of its children (a conjunction with one
 * more value, up to params.deepest), when that lowers the objective: a cause of 4 or 5 values is
 * otherwise named by a parent of 3, whose other children did not change. Null when none does.
 */
function deepen(
  fit: Fit,
  cube: Cube,
  s: Selected,
  enumerated: number,
  params: SearchParams,
): Fit | null {
  if (s.element.dims.length < enumerated || s.element.dims.length >= params.deepest) return null;
  const list = fit.selected.map((x) => x.element);
  const at = list.indexOf(s.element);
  let best: Fit | null = null;
  for (const child of children(cube, s.element)) {
    list[at] = child;
    const candidate = fit.with(list);
    if (candidate.objective() < (best ?? fit).objective() - 1e-9) best = candidate;
  }
  return best;
}

/**
 * Local improvements of a fit, kept when they lower the objective: drop a cause that later
 * causes made redundant, replace a cause by deeper conjunctions inside it (two slices of a
 * value that changed while the value's other slices did not), or past the enumerated depth by
 * one deeper child (see {@link deepen}).
 */
function refine(fit: Fit, cube: Cube, elements: readonly Element[], params: SearchParams): Fit {
  const { enumerated } = params;
  let current = fit;
  for (let round = 0; round < 4 + params.deepest; round++) {
    let improved = false;
    for (const s of current.selected) {
      const others = current.selected.filter((x) => x !== s).map((x) => x.element);
      const dropped = current.with(others);
      const pool: number[] = [];
      for (let index = 0; index < elements.length; index++) {
        if (refines(elements[index]!, s.element)) pool.push(index);
      }
      const split = current.with(others);
      grow(split, elements, pool, params);
      const deeper = deepen(current, cube, s, enumerated, params);
      const best = [dropped, split, ...(deeper ? [deeper] : [])].reduce((x, y) =>
        y.objective() < x.objective() ? y : x,
      );
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
 * The elements that can be a cause (see {@link Fit.gain}): a cause carries at least half the
 * minimum share of the reference deviation, and no part of an element carries more than the sum
 * of its leaves' absolute deviations, so an element whose leaves deviate less than that in
 * total can never be chosen, whatever was claimed before it. In a sparse cube that is most
 * conjunctions of 3 values (a handful of tiny leaves each), so the search scores a fraction of
 * them; the prices still count every enumerated conjunction (see {@link layerPrices}).
 */
export function possibleCauses(
  cube: Cube,
  elements: readonly Element[],
  params: Pick<SearchParams, 'minShare' | 'reference'>,
): Element[] {
  const floor = ((params.minShare / 2) * Math.abs(params.reference)) / (1 + 1e-9);
  if (!(floor > 0)) return elements.slice();
  const spread = new Float64Array(cube.n);
  for (let i = 0; i < cube.n; i++) spread[i] = Math.abs(cube.actual[i]! - cube.expected[i]!);
  const out: Element[] = [];
  for (const element of elements) {
    const leaves = element.leaves;
    let sum = 0;
    for (let j = 0; j < leaves.length && sum < floor; j++) sum += spread[leaves[j]!]!;
    if (sum >= floor) out.push(element);
  }
  return out;
}

/**
 * The root-cause set: greedy forward selection then local refinement, once with the rest held
 * at its expected value and once with the rest at a free ratio; the fit with the lower penalized
 * objective wins (the fixed rest on a tie: fewer parameters). `elements` are the ones that can
 * be a cause (see {@link possibleCauses}), `table` and `incidence` over them; `prices` from
 * every enumerated element (see {@link layerPrices}).
 */
export function selectCauses(
  cube: Cube,
  w: Weighted,
  elements: readonly Element[],
  table: StatsTable,
  incidence: Incidence,
  params: SearchParams,
  prices: Float64Array,
  sliceNoise = 0,
): Selection {
  const all = elements.map((_, i) => i);
  const fits = (['fixed', 'free'] as const).map((mode) => {
    const fit = new Fit(cube, w, mode, prices, sliceNoise, table, incidence);
    grow(fit, elements, all, params);
    return refine(fit, cube, elements, params);
  });
  const [fixed, free] = fits as [Fit, Fit];
  const fit = free.objective() < fixed.objective() ? free : fixed;
  return { selected: fit.selected, mode: fit.mode };
}

/**
 * explainCube: the root-cause set, ranked candidates, per-dimension breakdown and sentence of a
 * deviation, from the leaves of the cube. See search.ts for the model and the search, stats.ts
 * for the statistics it scores with and noise.ts for the noise estimates.
 */
import {
  buildCube,
  describeElements,
  elementsOf,
  enumerateElements,
  type Cube,
  type Element,
} from './cube';
import {
  estimateRelativeNoise,
  estimateSliceNoise,
  initialRelativeNoise,
  selectionGroups,
} from './noise';
import {
  layerPrices,
  MAX_DEPTH,
  ownRatioGain,
  possibleCauses,
  selectCauses,
  splitGain,
  type Selection,
} from './search';
import {
  empty,
  incidence,
  poissonSigma,
  ratio,
  rss,
  rssAtExpected,
  statsOf,
  totalStats,
  weigh,
  type Sigma,
  type Stats,
  StatsTable,
  type Weighted,
} from './stats';
import type { Candidate, Elements, Leaf, RcaOptions, RcaResult, SliceStats } from './types';
import {
  capitalize,
  changeBrief,
  changeWords,
  listWords,
  percentWords,
  portionWords,
  WHOLE,
} from './words';

/** A cause must carry at least this share of the reference deviation. */
const MIN_SHARE = 0.1;
/** Below this |z| the total deviation is within noise. */
const NOISE_Z = 3;
/** The rest is worth a mention when it moved beyond noise and carries this share. */
const REST_SHARE = 0.2;
const MAX_PASSES = 3;

/** Jensen–Shannon surprise of one slice, log base 2 (0 when p = q). */
export function surprise(p: number, q: number): number {
  const m = (p + q) / 2;
  const term = (x: number) => (x > 0 && m > 0 ? x * Math.log2(x / m) : 0);
  return Math.max(0, (term(p) + term(q)) / 2);
}

/** Grouped integers above 100, 3 significant digits below. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100 || Number.isInteger(value)) {
    const rounded = Math.round(value);
    const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return rounded < 0 ? `-${digits}` : digits;
  }
  return String(Number(value.toPrecision(3)));
}

/**
 * The deviation shares refer to: the total deviation, or when slices moved in opposite
 * directions and the total moved less than half the largest shift inside one dimension (half the
 * sum of |actual − expected × total ratio| over its values), that shift. Signed like the total
 * (+ when it is 0).
 */
function referenceDeviation(cube: Cube, total: { a: number; f: number }): number {
  const globalRatio = total.f > 0 ? total.a / total.f : 1;
  const d = cube.dims.length;
  let shift = 0;
  for (let k = 0; k < d; k++) {
    const a = new Float64Array(cube.values[k]!.length);
    const f = new Float64Array(a.length);
    for (let i = 0; i < cube.n; i++) {
      const v = cube.codes[i * d + k]!;
      a[v]! += cube.actual[i]!;
      f[v]! += cube.expected[i]!;
    }
    let sum = 0;
    a.forEach((x, v) => (sum += Math.abs(x - f[v]! * globalRatio)));
    shift = Math.max(shift, sum / 2);
  }
  const deviation = total.a - total.f;
  return Math.abs(deviation) >= shift / 2 ? deviation : (Math.sign(deviation) || 1) * shift;
}

interface Context {
  cube: Cube;
  w: Weighted;
  total: Stats;
  reference: number;
}

function candidateOf(ctx: Context, elements: Elements, s: Stats, score: number): Candidate {
  const { total, reference } = ctx;
  const deviation = s.a - s.f;
  const explains = reference !== 0 ? deviation / reference : 0;
  const expectedShare = total.f > 0 ? s.f / total.f : 0;
  return {
    elements,
    score,
    explains,
    actual: s.a,
    expected: s.f,
    expectedShare,
    excess: explains - expectedShare,
    surprise: surprise(expectedShare, total.a > 0 ? s.a / total.a : 0),
    z: s.v > 0 ? deviation / Math.sqrt(s.v) : 0,
  };
}

/** Every value of every dimension with its numbers, most explanatory first. */
function dimensionBreakdown(ctx: Context): Record<string, SliceStats[]> {
  const { cube, w } = ctx;
  const d = cube.dims.length;
  const out: Record<string, SliceStats[]> = {};
  cube.dims.forEach((dim, k) => {
    // Each value's sums in one pass over the leaves (in leaf order, as statsOf adds them).
    const count = cube.values[k]!.length;
    const a = new Float64Array(count);
    const f = new Float64Array(count);
    const variance = new Float64Array(count);
    for (let i = 0; i < cube.n; i++) {
      const v = cube.codes[i * d + k]!;
      a[v]! += cube.actual[i]!;
      f[v]! += cube.expected[i]!;
      variance[v]! += w.v[i]!;
    }
    out[dim] = cube.values[k]!.map((_, v) => {
      const s = { ...empty(), a: a[v]!, f: f[v]!, v: variance[v]! };
      const c = candidateOf(ctx, {}, s, 0);
      return {
        dim,
        value: cube.values[k]![v]!,
        actual: c.actual,
        expected: c.expected,
        deviation: s.a - s.f,
        share: c.explains,
        expectedShare: c.expectedShare,
        excess: c.excess,
        surprise: c.surprise,
        z: c.z,
        volume: s.a,
      };
    }).sort(
      (x, y) =>
        y.excess - x.excess ||
        y.share - x.share ||
        (x.value < y.value ? -1 : x.value > y.value ? 1 : 0),
    );
  });
  return out;
}

const sameSet = (x: Selection, y: Selection) =>
  x.mode === y.mode &&
  x.selected.length === y.selected.length &&
  x.selected.every((s, i) => s.element === y.selected[i]!.element);

interface Search {
  selection: Selection;
  sliceNoise: number;
  w: Weighted;
  kappa: number;
}

function search(
  cube: Cube,
  elements: readonly Element[],
  sigma: Sigma,
  options: RcaOptions,
  reference: number,
  totalDeviation: number,
  deepest: number,
): Search {
  const given = options.relativeNoise;
  // The noise estimates solve a Gaussian scale equation; a Poisson leaf expected to see less
  // than one event is far from Gaussian (one event against 0.05 is z = 4), so its Poisson
  // variance is taken as at least 1 there: such leaves then say little about κ instead of
  // inflating it.
  const base = options.sigma
    ? (mean: number) => sigma(mean) ** 2
    : (mean: number) => Math.max(sigma(mean) ** 2, 1);
  let kappa = given !== undefined ? given : initialRelativeNoise(cube, base, elements);
  const params = {
    maxCauses: Math.max(0, Math.floor(options.maxCauses ?? 4)),
    minShare: MIN_SHARE,
    reference,
    bothWays: Math.abs(totalDeviation) < Math.abs(reference),
    deepest,
    enumerated: elements.reduce((m, e) => Math.max(m, e.dims.length), 0),
  };
  const prices = layerPrices(elements, cube);
  // Only the elements that can be a cause are scored (the noise estimates use them all).
  const active = possibleCauses(cube, elements, params);
  const leafIncidence = incidence(cube.n, active);
  let previous: Selection | null = null;
  let sliceNoise = 0;
  // The weights of the next pass: those the slice noise was estimated with (same κ).
  let next: Weighted | null = null;
  for (let pass = 1; ; pass++) {
    const w = next ?? weigh(cube, sigma, kappa);
    const table = new StatsTable(cube, w, active);
    const selection = selectCauses(
      cube,
      w,
      active,
      table,
      leafIncidence,
      params,
      prices,
      sliceNoise,
    );
    const done =
      given !== undefined || pass >= MAX_PASSES || (previous && sameSet(previous, selection));
    if (done) return { selection, w, kappa, sliceNoise };
    previous = selection;
    const groups = selectionGroups(cube, selection);
    kappa = estimateRelativeNoise(cube, base, groups);
    next = weigh(cube, sigma, kappa);
    sliceNoise = estimateSliceNoise(cube, next, selection, elements);
  }
}

function sentenceOf(
  ctx: Context,
  causes: { elements: Elements; candidate: Candidate }[],
  rest: Stats,
  options: RcaOptions,
  maxDepth: number,
  splittable: boolean,
): string {
  const { total, reference } = ctx;
  const format = options.format ?? formatNumber;
  const name = options.metricName ?? 'the total';
  const change = reference < 0 ? 'drop' : 'rise';
  const totalMoved = changeWords(total.a, total.f, format);
  if (ctx.cube.n === 0) return 'No data.';
  if (total.a === total.f && causes.length === 0 && Math.abs(reference) === 0) {
    return capitalize(`${name} did not change: every slice is as expected.`);
  }
  if (!splittable) {
    return capitalize(
      `${name} ${totalMoved}; it cannot be broken down, since no dimension has more than one value.`,
    );
  }
  const restDeviation = rest.a - rest.f;
  const restMoved =
    rest.v > 0 &&
    Math.abs(restDeviation) >= NOISE_Z * Math.sqrt(rest.v) &&
    Math.abs(restDeviation) >= REST_SHARE * Math.abs(reference);
  if (causes.length > 0 && Math.abs(total.a - total.f) < Math.abs(reference)) {
    // The total barely moved because slices moved against each other.
    const parts = causes.map(
      ({ elements, candidate: c }) =>
        `${describeElements(elements)} ${changeBrief(c.actual, c.expected)}`,
    );
    if (restMoved) parts.push(`the remaining slices ${changeBrief(rest.a, rest.f)}`);
    return capitalize(
      `${name} ${totalMoved}: slices moved in opposite directions and partly cancelled out (${listWords(parts)}).`,
    );
  }
  if (causes.length === 0) {
    const z = total.v > 0 ? (total.a - total.f) / Math.sqrt(total.v) : 0;
    if (Math.abs(z) < NOISE_Z) {
      return capitalize(
        `${name} ${totalMoved}, which is within its normal variation; no slice stands out.`,
      );
    }
    return capitalize(
      `${name} ${totalMoved}; the ${change} is spread across slices in proportion to their size, and no combination of up to ${maxDepth} dimension values explains it.`,
    );
  }
  let text: string;
  if (causes.length === 1) {
    const { elements, candidate: c } = causes[0]!;
    const how = changeWords(c.actual, c.expected, format);
    text = `${name} in ${describeElements(elements)} ${how}: that is ${portionWords(c.explains, change)}`;
  } else {
    const parts = causes.map(
      ({ elements, candidate: c }) =>
        `${describeElements(elements)} (${changeBrief(c.actual, c.expected)})`,
    );
    const sum = causes.reduce((s, c) => s + c.candidate.explains, 0);
    text = `${name} ${totalMoved}; ${listWords(parts)} together make up ${portionWords(sum, change)}`;
  }
  if (restMoved) {
    const opposite = Math.sign(restDeviation) !== Math.sign(reference);
    text += opposite
      ? `, because the remaining slices moved the other way (they ${changeBrief(rest.a, rest.f)})`
      : `; the other ${percentWords(restDeviation / reference)} is spread over the remaining slices, which ${changeBrief(rest.a, rest.f)}`;
  } else if (causes.reduce((s, c) => s + c.candidate.explains, 0) > WHOLE) {
    // More than the whole change: the rest moved the other way, if only within its noise.
    text += ', because the remaining slices moved a little the other way';
  }
  return capitalize(`${text}.`);
}

/**
 * Explains the deviation of a metric from the leaves of its cube: the root-cause set (the
 * smallest set of conjunctions of up to 3 dimension values that explains it, or [] when nothing
 * does), ranked candidates, every dimension value's numbers and a sentence.
 *
 * @example
 *   explainCube([
 *     { dims: { region: 'eu', device: 'ios' }, actual: 120, expected: 400 },
 *     { dims: { region: 'eu', device: 'android' }, actual: 610, expected: 600 },
 *     …
 *   ]).rootCause  // [{ region: 'eu', device: 'ios' }]
 *
 * Pure and deterministic: the same leaves in any order give the same result. Throws
 * RcaInputError for a value that is not a finite number ≥ 0.
 */
export function explainCube(leaves: readonly Leaf[], options: RcaOptions = {}): RcaResult {
  return explainBuiltCube(buildCube(leaves), options);
}

/** explainCube on a cube already built (lib/rca/ratio.ts builds its own). */
export function explainBuiltCube(cube: Cube, options: RcaOptions = {}): RcaResult {
  const deepest = Math.min(MAX_DEPTH, Math.max(1, Math.floor(options.maxDepth ?? MAX_DEPTH)));
  // Every conjunction of up to 3 values is scored; deeper ones only as refinements of a cause.
  const maxDepth = Math.min(3, deepest);
  const sigma = options.sigma ?? poissonSigma;
  const elements = enumerateElements(cube, maxDepth);
  let sumA = 0;
  let sumF = 0;
  for (let i = 0; i < cube.n; i++) {
    sumA += cube.actual[i]!;
    sumF += cube.expected[i]!;
  }
  const reference = referenceDeviation(cube, { a: sumA, f: sumF });
  const { selection, w, kappa, sliceNoise } = search(
    cube,
    elements,
    sigma,
    options,
    reference,
    sumA - sumF,
    deepest,
  );
  const { selected, mode } = selection;
  const total = totalStats(cube, w);
  // Every enumerated element is ranked, not only those the search could choose.
  const table = new StatsTable(cube, w, elements);
  const ctx: Context = { cube, w, total, reference };

  // Scores in the winning model: with the rest held at expected, the share of the anomaly a
  // conjunction removes with its own ratio; with the rest free, the share of what a uniform
  // change leaves unexplained.
  const energy = mode === 'fixed' ? rssAtExpected(total) : rss(total);
  const rootIndex = new Map(selected.map((s, i) => [s.element, i]));
  const maxCandidates = Math.max(0, Math.floor(options.maxCandidates ?? 20));
  const roots: { order: number; score: number }[] = [];
  // The best others, kept sorted (score, then fewer dimensions, then enumeration order).
  const best: { order: number; depth: number; score: number }[] = [];
  const before = (x: (typeof best)[number], y: (typeof best)[number]) =>
    x.score > y.score ||
    (x.score === y.score && (x.depth < y.depth || (x.depth === y.depth && x.order < y.order)));
  const scratch = statsOf(cube, w, new Int32Array(0));
  // Causes refined past the enumerated depth are not in the table: they come after it.
  const known = new Set(elements);
  const all = [...elements, ...selected.map((s) => s.element).filter((e) => !known.has(e))];
  const statsAt = (order: number, into?: Stats) =>
    order < elements.length
      ? table.get(order, into)
      : statsOf(cube, w, all[order]!.leaves, undefined, into);
  all.forEach((element, order) => {
    const s = statsAt(order, scratch);
    const deviation = s.a - s.f;
    const root = rootIndex.get(element) ?? -1;
    if (root === -1) {
      if (deviation === 0) return;
      // With the rest free, only slices that moved more than the rest, in the direction of
      // their own deviation.
      const others = { ...total, a: total.a - s.a, f: total.f - s.f };
      if (mode === 'free' && Math.sign(ratio(s) - ratio(others)) !== Math.sign(deviation)) return;
    }
    const gain = mode === 'fixed' ? ownRatioGain(s) : splitGain(total, s);
    const score = energy > 0 ? Math.min(1, Math.max(0, gain / energy)) : 0;
    if (root !== -1) {
      roots[root] = { order, score };
      return;
    }
    const entry = { order, depth: element.dims.length, score };
    if (best.length >= maxCandidates && !before(entry, best[best.length - 1]!)) return;
    let at = best.length;
    while (at > 0 && before(entry, best[at - 1]!)) at--;
    best.splice(at, 0, entry);
    if (best.length > maxCandidates) best.pop();
  });
  const candidates = [...roots, ...best]
    .slice(0, Math.max(maxCandidates, roots.length))
    .map(({ order, score }) =>
      candidateOf(ctx, elementsOf(cube, all[order]!), statsAt(order), score),
    );
  const causes = candidates
    .slice(0, selected.length)
    .map((candidate) => ({ elements: candidate.elements, candidate }));
  const covered = new Uint8Array(cube.n);
  for (const s of selected) for (const i of s.element.leaves) covered[i] = 1;
  const rest = statsOf(
    cube,
    w,
    Int32Array.from({ length: cube.n }, (_, i) => i),
    covered,
  );

  return {
    rootCause: causes.map((c) => c.elements),
    candidates,
    dimensions: dimensionBreakdown(ctx),
    totals: {
      actual: sumA,
      expected: sumF,
      deviation: sumA - sumF,
      z: total.v > 0 ? (sumA - sumF) / Math.sqrt(total.v) : 0,
    },
    noise: { leaf: kappa, slice: sliceNoise },
    sentence: sentenceOf(ctx, causes, rest, options, maxDepth, elements.length > 0),
  };
}

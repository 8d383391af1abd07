/**
 * The root-cause benchmark: seeded cubes of the shape published root-cause benchmarks use
 * (Squeeze's B datasets, RiskLoc's D and the AutoRoot/HotSpot settings), and the exact-set
 * measure of those papers.
 *
 * A cube has 4–5 dimensions, one of them with 30–40 values, about 20 000 leaves present out of
 * 25 000–200 000 combinations (the rest are empty, as in a cube exported from real traffic),
 * leaf volumes from lognormal value popularities with interactions (most leaves tiny: the median
 * leaf expects well under one event), forecasts with their own error (each leaf off by a relative
 * error of σ = 2–10%, drawn per cube) and Poisson counts. One, two or three independent causes,
 * disjoint, each a conjunction of a fixed number of dimension values, each with its own
 * magnitude and direction (a drop to 10–70% or a rise to 150–400%; two causes may push in
 * opposite directions). A set of causes is redrawn when it is not identifiable: when a cause's
 * leaves are exactly those of a shallower conjunction, when the causes together cover exactly
 * the leaves of one, or when a cause is not significant (its expected deviation under 8σ of its
 * own noise, or under 10% of the causes' summed deviation).
 *
 * Ratio cubes: requests per leaf as above and failures at a rate per leaf (0.5–5%, by value
 * popularity); the causes change the failure rate of every leaf under them alike, so the
 * conjunction itself, not its children, is the answer.
 *
 * Measure (per setting, as in the Squeeze and RiskLoc papers): a predicted conjunction is a true
 * positive when it equals a true cause exactly; precision, recall and F1 from the counts summed
 * over the setting's cubes.
 */
import { explainCube } from './explain';
import { int, normal, poisson, rng, setKey, shuffle } from './generate';
import { explainRatio } from './ratio';
import type { Elements, Leaf, RatioLeaf } from './types';

export interface BenchmarkSpec {
  /** Values in each cause conjunction, 1–5 (a [lo, hi] range is drawn per cube). */
  depth: number | readonly [number, number];
  /** Number of independent causes, 1–3 (a [lo, hi] range is drawn per cube). */
  causes: number | readonly [number, number];
  /** Failures over requests instead of counts. */
  ratio?: boolean;
  /** Leaves present (default 20 000). */
  leaves?: number;
}

export interface BenchmarkCube {
  /** Counts, or for a ratio cube failures (actual/expected) over requests (actualDen/expectedDen). */
  leaves: RatioLeaf[];
  causes: Elements[];
}

const NAMES = ['customer', 'region', 'device', 'plan', 'channel'];
const SIGNIFICANCE_Z = 8;
const MIN_SHARE = 0.1;

interface Shape {
  d: number;
  cards: number[];
  n: number;
  /** Leaf i's value in dimension k: codes[i * d + k]. */
  codes: Uint16Array;
  mu: Float64Array;
}

function drawShape(random: () => number, minDims: number, target: number): Shape {
  const d = Math.max(minDims, int(random, 4, 5));
  let cards: number[];
  let product: number;
  do {
    const big = int(random, 0, d - 1);
    cards = Array.from({ length: d }, (_, k) =>
      k === big ? int(random, 30, 40) : d === 4 ? int(random, 6, 14) : int(random, 4, 9),
    );
    product = cards.reduce((p, c) => p * c, 1);
  } while (product < target * 1.25 || product > target * 10);
  const keep = target / product;
  const kept: number[] = [];
  for (let code = 0; code < product; code++) if (random() < keep) kept.push(code);
  const n = kept.length;
  const codes = new Uint16Array(n * d);
  kept.forEach((code, i) => {
    let rest = code;
    for (let k = d - 1; k >= 0; k--) {
      codes[i * d + k] = rest % cards[k]!;
      rest = Math.floor(rest / cards[k]!);
    }
  });
  const popularity = cards.map((c) => Array.from({ length: c }, () => Math.exp(normal(random))));
  const meanLeaf = Math.exp(Math.log(1) + random() * Math.log(20));
  const mu = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let p = Math.exp(0.5 * normal(random));
    for (let k = 0; k < d; k++) p *= popularity[k]![codes[i * d + k]!]!;
    mu[i] = p;
    sum += p;
  }
  for (let i = 0; i < n; i++) mu[i] = (mu[i]! / sum) * n * meanLeaf;
  return { d, cards, n, codes, mu };
}

type Cause = [dim: number, value: number][];

function under(shape: Shape, i: number, cause: Cause): boolean {
  const o = i * shape.d;
  for (let j = 0; j < cause.length; j++) {
    if (shape.codes[o + cause[j]![0]] !== cause[j]![1]) return false;
  }
  return true;
}

function countUnder(shape: Shape, cause: Cause): number {
  let count = 0;
  for (let i = 0; i < shape.n; i++) if (under(shape, i, cause)) count++;
  return count;
}

/** Some conjunction with fewer values covers exactly the leaves of these causes (together). */
function reducible(shape: Shape, causes: Cause[], sizes: number[]): boolean {
  const total = sizes.reduce((s, x) => s + x, 0);
  // Candidate shallower conjunctions: subsets of the values all causes share (for one cause:
  // its proper subsets).
  const common = causes[0]!.filter(([k, v]) =>
    causes.every((c) => c.some(([k2, v2]) => k2 === k && v2 === v)),
  );
  for (let mask = 0; mask < 1 << common.length; mask++) {
    const sub = common.filter((_, j) => mask & (1 << j));
    if (causes.length === 1 && sub.length === common.length) continue;
    if (countUnder(shape, sub) === total) return true;
  }
  // Each cause alone, when there are several.
  if (causes.length > 1) {
    return causes.some((c, j) => reducible(shape, [c], [sizes[j]!]));
  }
  return false;
}

/** Cumulative weights, for drawing leaves by volume (incidents are noticed in big slices). */
function cumulative(mu: Float64Array): Float64Array {
  const out = new Float64Array(mu.length);
  let sum = 0;
  mu.forEach((x, i) => (out[i] = sum += x));
  return out;
}

function drawLeaf(random: () => number, cum: Float64Array): number {
  const target = random() * cum[cum.length - 1]!;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const pick = (random: () => number, spec: number | readonly [number, number]) =>
  typeof spec === 'number' ? spec : int(random, spec[0], spec[1]);

/** A cube of the benchmark with its true causes; the same seed and spec give the same cube. */
export function generateBenchmarkCube(seed: number, spec: BenchmarkSpec): BenchmarkCube {
  const random = rng(seed);
  const depth = pick(random, spec.depth);
  const count = pick(random, spec.causes);
  const target = spec.leaves ?? 20_000;
  for (let attempt = 0; attempt < 100; attempt++) {
    const shape = drawShape(random, depth, target);
    const { d, n, mu } = shape;
    const forecastError = 0.02 + 0.08 * random();
    // Ratio cubes: mu is the requests; the failure rate per leaf follows value popularity.
    const rates = new Float64Array(n);
    if (spec.ratio) {
      const base = Math.exp(Math.log(0.005) + random() * Math.log(10));
      const factor = shape.cards.map((c) =>
        Array.from({ length: c }, () => Math.exp(0.4 * normal(random))),
      );
      for (let i = 0; i < n; i++) {
        let r = base;
        for (let k = 0; k < d; k++) r *= factor[k]![shape.codes[i * d + k]!]!;
        rates[i] = Math.min(0.5, r);
      }
      for (let i = 0; i < n; i++) mu[i]! *= 20; // requests: more than events of a count metric
    }
    const volume = spec.ratio ? mu.map((m, i) => m * rates[i]!) : mu;
    const cum = cumulative(mu);

    const causes: Cause[] = [];
    const sizes: number[] = [];
    const owner = new Int8Array(n).fill(-1);
    for (let tries = 0; causes.length < count && tries < 200; tries++) {
      const dims = shuffle(
        random,
        Array.from({ length: d }, (_, k) => k),
      )
        .slice(0, depth)
        .sort((x, y) => x - y);
      const leaf = drawLeaf(random, cum);
      const cause: Cause = dims.map((k) => [k, shape.codes[leaf * d + k]!]);
      let size = 0;
      let overlaps = false;
      for (let i = 0; i < n && !overlaps; i++) {
        if (!under(shape, i, cause)) continue;
        size++;
        if (owner[i] !== -1) overlaps = true;
      }
      if (overlaps || size === n || reducible(shape, [cause], [size])) continue;
      for (let i = 0; i < n; i++) if (under(shape, i, cause)) owner[i] = causes.length;
      causes.push(cause);
      sizes.push(size);
    }
    if (causes.length < count || reducible(shape, causes, sizes)) continue;

    const factors = causes.map(() =>
      random() < (spec.ratio ? 0.3 : 0.5) ? 0.1 + 0.6 * random() : 1.5 + 2.5 * random(),
    );
    const deviation = causes.map(() => 0);
    const variance = causes.map(() => 0);
    for (let i = 0; i < n; i++) {
      const c = owner[i]!;
      if (c === -1) continue;
      const v = volume[i]!;
      deviation[c]! += v * (factors[c]! - 1);
      variance[c]! += v * Math.max(1, factors[c]!) + (forecastError * v) ** 2;
    }
    const sum = deviation.reduce((s, x) => s + Math.abs(x), 0);
    const weak = deviation.some(
      (x, c) =>
        Math.abs(x) < SIGNIFICANCE_Z * Math.sqrt(variance[c]!) || Math.abs(x) < MIN_SHARE * sum,
    );
    if (weak) continue;

    const leaves: RatioLeaf[] = [];
    for (let i = 0; i < n; i++) {
      const c = owner[i]!;
      const factor = c === -1 ? 1 : factors[c]! * (1 + 0.03 * normal(random));
      const dims: Record<string, string> = {};
      for (let k = 0; k < d; k++) dims[NAMES[k]!] = `${NAMES[k]![0]}${shape.codes[i * d + k]}`;
      const forecast = mu[i]! * Math.max(0, 1 + forecastError * normal(random));
      if (spec.ratio) {
        const requests = poisson(random, mu[i]!);
        leaves.push({
          dims,
          actual: poisson(random, requests * rates[i]! * factor),
          expected: forecast * rates[i]! * Math.max(0, 1 + forecastError * normal(random)),
          actualDen: requests,
          expectedDen: forecast,
        });
      } else {
        const actual = poisson(random, mu[i]! * factor);
        leaves.push({ dims, actual, expected: forecast, actualDen: 0, expectedDen: 0 });
      }
    }
    return {
      leaves,
      causes: causes.map((c) =>
        Object.fromEntries(c.map(([k, v]) => [NAMES[k]!, `${NAMES[k]![0]}${v}`])),
      ),
    };
  }
  throw new Error(`no benchmark cube for seed ${seed} fits ${JSON.stringify(spec)}`);
}

/** The leaves of a count cube, without the (unused) denominator columns. */
export const countLeaves = (cube: BenchmarkCube): Leaf[] =>
  cube.leaves.map(({ dims, actual, expected }) => ({ dims, actual, expected }));

/** A named setting of the benchmark. */
export interface BenchmarkSetting {
  name: string;
  spec: BenchmarkSpec;
}

/** The 9 settings (depth × number of causes), deep causes, and ratio cubes. */
export const BENCHMARK_SETTINGS: readonly BenchmarkSetting[] = [
  ...[1, 2, 3].flatMap((causes) =>
    [1, 2, 3].map((depth) => ({
      name: `${causes} cause${causes > 1 ? 's' : ''}, depth ${depth}`,
      spec: { depth, causes },
    })),
  ),
  { name: '1 cause, depth 4–5', spec: { depth: [4, 5], causes: 1 } },
  { name: 'ratio, 1–2 causes, depth 1–3', spec: { depth: [1, 3], causes: [1, 2], ratio: true } },
];

/** Exact-set counts of one answer: predicted conjunctions equal to a true one, extra, missed. */
export function exactCounts(
  predicted: readonly Elements[],
  truth: readonly Elements[],
): { tp: number; fp: number; fn: number } {
  const wanted = new Set(truth.map((e) => setKey([e])));
  let tp = 0;
  for (const e of new Set(predicted.map((p) => setKey([p])))) if (wanted.has(e)) tp++;
  return { tp, fp: predicted.length - tp, fn: truth.length - tp };
}

/** Precision, recall and F1 from summed counts (1 when there is nothing to find or name). */
export function f1Of({ tp, fp, fn }: { tp: number; fp: number; fn: number }) {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

export interface BenchmarkCase {
  seed: number;
  truth: Elements[];
  predicted: Elements[];
  tp: number;
  fp: number;
  fn: number;
  /** Time to explain the cube (building it from leaf rows included), ms. */
  ms: number;
  /** CPU time of the same, ms (NaN without a CPU clock): what load on the machine does not inflate. */
  cpuMs: number;
}

export interface BenchmarkResult {
  setting: BenchmarkSetting;
  cases: BenchmarkCase[];
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  /** Cases whose answer is exactly the true set. */
  exact: number;
  medianMs: number;
  p90Ms: number;
  p95Ms: number;
  medianCpuMs: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Runs one setting over `cubes` cubes (seeds first…first+cubes−1 mixed with the setting's index
 * so settings do not share cubes). `now` is a clock in ms (performance.now in the benchmark);
 * `options.cpu` a CPU clock in ms (the process's CPU time), when CPU time is wanted too.
 */
export function runBenchmark(
  setting: BenchmarkSetting,
  cubes: number,
  now: () => number,
  options: {
    first?: number;
    explain?: (cube: BenchmarkCube) => Elements[];
    cpu?: () => number;
  } = {},
): BenchmarkResult {
  const cpu = options.cpu ?? (() => NaN);
  const explain =
    options.explain ??
    ((cube: BenchmarkCube) =>
      setting.spec.ratio
        ? explainRatio(cube.leaves).rootCause
        : explainCube(countLeaves(cube)).rootCause);
  const index = BENCHMARK_SETTINGS.findIndex((s) => s.name === setting.name);
  const cases: BenchmarkCase[] = [];
  for (let j = 0; j < cubes; j++) {
    const seed = (options.first ?? 1) + j + 100_003 * (index + 1);
    const cube = generateBenchmarkCube(seed, setting.spec);
    const start = now();
    const startCpu = cpu();
    const predicted = explain(cube);
    const ms = now() - start;
    const cpuMs = cpu() - startCpu;
    cases.push({
      seed,
      truth: cube.causes,
      predicted,
      ms,
      cpuMs,
      ...exactCounts(predicted, cube.causes),
    });
  }
  const sum = (key: 'tp' | 'fp' | 'fn') => cases.reduce((s, c) => s + c[key], 0);
  const counts = { tp: sum('tp'), fp: sum('fp'), fn: sum('fn') };
  const times = cases.map((c) => c.ms).sort((x, y) => x - y);
  return {
    setting,
    cases,
    ...counts,
    ...f1Of(counts),
    exact: cases.filter((c) => c.fp === 0 && c.fn === 0).length,
    medianMs: quantile(times, 0.5),
    p90Ms: quantile(times, 0.9),
    p95Ms: quantile(times, 0.95),
    medianCpuMs: quantile(
      cases.map((c) => c.cpuMs).sort((x, y) => x - y),
      0.5,
    ),
  };
}

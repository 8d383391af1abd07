/**
 * Seeded generator of cubes with a known root cause, for accuracy tests (and `npm run eval`):
 * a random cube (3–5 dimensions of 2–8 values, at most 2 000 leaves, expected volumes from
 * lognormal value popularities with interactions), a change injected into one or more disjoint
 * conjunctions of 1–3 dimension values, multiplicative noise on every leaf and Poisson counts.
 */
import type { Elements, Leaf } from './types';
import { mulberry32 } from '@/lib/simulator/random';

/** The generator's seeded PRNG (mulberry32). */
export const rng = mulberry32;

export function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function poisson(random: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

export const int = (random: () => number, lo: number, hi: number) =>
  lo + Math.floor(random() * (hi - lo + 1));

export function shuffle<T>(random: () => number, list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = int(random, 0, i);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** An index drawn with probability proportional to its weight: incidents are noticed in big slices. */
export function pickWeighted(random: () => number, weights: readonly number[]): number {
  const total = weights.reduce((sum, x) => sum + x, 0);
  let target = random() * total;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i]!;
    if (target < 0) return i;
  }
  return weights.length - 1;
}

const DIM_NAMES = ['region', 'device', 'plan', 'version', 'channel'];

export interface IncidentSpec {
  /** Dimensions, 3–5 (default random). */
  dims?: number;
  /** Dimensions in each cause conjunction, 1–3; 0 = no cause. */
  causeDims: number;
  /** Number of disjoint cause conjunctions (default 1). */
  causes?: number;
  /** Relative change in the causes, e.g. −0.5 for a 50% drop, 1 for a doubling. */
  change: number;
  /** Relative change of every leaf (a spread change), default 0. */
  spread?: number;
  /** Standard deviation of the multiplicative noise per leaf (default 0.05). */
  noise?: number;
  /**
   * Standard deviation of a multiplicative error shared by all leaves of a dimension value (a
   * slice whose forecast is off), default 0.
   */
  sliceNoise?: number;
  /** Poisson counts (default true). */
  poisson?: boolean;
  /** Largest number of leaves (default 2 000). */
  maxLeaves?: number;
  /**
   * Mean expected value of a leaf (default: drawn log-uniformly in [20, 5000]). Below 1 the
   * cube is sparse, like errors per leaf per window: most leaves see nothing.
   */
  meanLeaf?: number;
  /**
   * The expected value handed to the search is estimated, as a detector does, from this many
   * earlier windows of Poisson counts (their mean) instead of being the true one. Default: the
   * true expected value.
   */
  baselineWindows?: number;
  /**
   * Only incidents whose total deviation is at least this many σ of the total's noise, with each
   * cause carrying ≥ 10% of it (default 4: what the detector flags). 0 accepts any.
   */
  minZ?: number;
}

export interface Incident {
  leaves: Leaf[];
  /** The conjunctions the change was injected into. */
  causes: Elements[];
}

interface Shape {
  names: string[];
  cards: number[];
  combos: number[][];
  expected: number[];
}

function drawCube(random: () => number, spec: IncidentSpec): Shape {
  const d = spec.dims ?? int(random, 3, 5);
  const names = DIM_NAMES.slice(0, d);
  const cards = names.map(() => int(random, 2, 8));
  const maxLeaves = spec.maxLeaves ?? 2000;
  const product = cards.reduce((p, c) => p * c, 1);
  let combos: number[][] = [];
  if (product <= maxLeaves) {
    for (let code = 0; code < product; code++) {
      const combo: number[] = [];
      let rest = code;
      for (const c of cards) {
        combo.push(rest % c);
        rest = Math.floor(rest / c);
      }
      combos.push(combo);
    }
  } else {
    const seen = new Set<string>();
    while (combos.length < maxLeaves) {
      const combo = cards.map((c) => int(random, 0, c - 1));
      const key = combo.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      combos.push(combo);
    }
    combos = combos.sort((x, y) => x.join(',').localeCompare(y.join(',')));
  }
  const popularity = cards.map((c) => Array.from({ length: c }, () => Math.exp(normal(random))));
  const drawn = Math.exp(Math.log(20) + random() * Math.log(5000 / 20));
  const meanLeaf = spec.meanLeaf ?? drawn;
  const raw = combos.map(
    (combo) =>
      combo.reduce((p, v, k) => p * popularity[k]![v]!, 1) * Math.exp(0.3 * normal(random)),
  );
  const mean = raw.reduce((s, x) => s + x, 0) / raw.length;
  return { names, cards, combos, expected: raw.map((x) => (x / mean) * meanLeaf) };
}

function under(combo: number[], cause: Map<number, number>): boolean {
  for (const [k, v] of cause) if (combo[k] !== v) return false;
  return true;
}

/**
 * Whether some conjunction with fewer values than a cause (for one cause: a sub-conjunction;
 * for several: one of their common values, or none) covers exactly the same leaves.
 */
function reducible(combos: number[][], causes: Map<number, number>[]): boolean {
  const covered = (combo: number[]) => causes.some((c) => under(combo, c));
  const common = new Map([...causes[0]!].filter(([k, v]) => causes.every((c) => c.get(k) === v)));
  const pairs = [...common];
  // Every subset of the common values with fewer values than the smallest cause.
  const smallest = Math.min(...causes.map((c) => c.size));
  for (let mask = 0; mask < 1 << pairs.length; mask++) {
    const sub = new Map(pairs.filter((_, j) => mask & (1 << j)));
    if (causes.length === 1 && sub.size >= smallest) continue;
    if (combos.every((combo) => under(combo, sub) === covered(combo))) return true;
  }
  return false;
}

/** Draws a cube and causes; retries (with the same random stream) until the spec's filter holds. */
export function generateIncident(seed: number, spec: IncidentSpec): Incident {
  const random = rng(seed);
  const noise = spec.noise ?? 0.05;
  const minZ = spec.minZ ?? 4;
  const count = spec.causeDims === 0 ? 0 : (spec.causes ?? 1);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const shape = drawCube(random, spec);
    const d = shape.names.length;
    if (spec.causeDims > d) throw new RangeError('causeDims > dims');
    const causes: Map<number, number>[] = [];
    for (let tries = 0; causes.length < count && tries < 50; tries++) {
      const dims = shuffle(
        random,
        shape.names.map((_, k) => k),
      );
      const leaf = shape.combos[pickWeighted(random, shape.expected)]!;
      const cause = new Map(
        dims
          .slice(0, spec.causeDims)
          .sort((x, y) => x - y)
          .map((k) => [k, leaf[k]!] as [number, number]),
      );
      const overlaps = shape.combos.some(
        (combo) => under(combo, cause) && causes.some((c) => under(combo, c)),
      );
      const size = shape.combos.filter((combo) => under(combo, cause)).length;
      if (!overlaps && size < shape.combos.length) causes.push(cause);
    }
    // A set whose leaves are exactly those of a simpler conjunction (the values the causes have
    // in common) is that conjunction: parsimony names it, so it cannot be the truth.
    if (causes.length > 0 && reducible(shape.combos, causes)) continue;
    if (causes.length < count) continue;

    const sliceError = shape.cards.map((c) =>
      Array.from({ length: c }, () => 1 + (spec.sliceNoise ?? 0) * normal(random)),
    );
    const leaves: Leaf[] = [];
    const deviations = causes.map(() => 0);
    let variance = 0;
    shape.combos.forEach((combo, i) => {
      const f = shape.expected[i]!;
      const hit = causes.findIndex((c) => under(combo, c));
      const mean = f * (1 + (spec.spread ?? 0)) * (hit === -1 ? 1 : 1 + spec.change);
      if (hit !== -1) deviations[hit]! += f * spec.change;
      variance += f + (noise * f) ** 2;
      const shared = combo.reduce((p, v, k) => p * sliceError[k]![v]!, 1);
      const noisy = Math.max(0, mean * shared * (1 + noise * normal(random)));
      const actual = spec.poisson === false ? noisy : poisson(random, noisy);
      const dims = Object.fromEntries(
        combo.map((v, k) => [shape.names[k]!, `${shape.names[k]![0]}${v}`]),
      );
      let expected = f;
      if (spec.baselineWindows) {
        let sum = 0;
        for (let w = 0; w < spec.baselineWindows; w++) sum += poisson(random, f);
        expected = sum / spec.baselineWindows;
      }
      leaves.push({ dims, actual, expected });
    });
    const total = deviations.reduce((s, x) => s + x, 0);
    if (minZ > 0 && count > 0) {
      if (Math.abs(total) < minZ * Math.sqrt(variance)) continue;
      if (deviations.some((x) => Math.abs(x) < 0.1 * Math.abs(total))) continue;
    }
    return {
      leaves,
      causes: causes.map((c) =>
        Object.fromEntries([...c].map(([k, v]) => [shape.names[k]!, `${shape.names[k]![0]}${v}`])),
      ),
    };
  }
  throw new Error(`no incident for seed ${seed} fits ${JSON.stringify(spec)}`);
}

/** Canonical text of a set of conjunctions, for exact-set comparison. */
export function setKey(set: readonly Elements[]): string {
  return set
    .map((e) =>
      Object.entries(e)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${k}=${v}`)
        .join('&'),
    )
    .sort()
    .join('|');
}

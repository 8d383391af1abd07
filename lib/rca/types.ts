/**
 * Public types of the multi-dimensional root-cause library (lib/rca). Everything here is plain
 * data: leaf rows in, a root-cause set, ranked candidates and a sentence out.
 */

/**
 * One leaf of the cube: one full combination of dimension values, with the metric's actual and
 * expected value in the window. Additive metrics (count, sum): `actual`/`expected` are the
 * slice's own values. A dimension missing from `dims` counts as the value {@link MISSING}.
 * Two rows with the same dims are one leaf (their values are added).
 */
export interface Leaf {
  dims: Readonly<Record<string, string>>;
  actual: number;
  expected: number;
}

/**
 * A leaf of a ratio metric (conversion, error rate): `actual`/`expected` are the numerator
 * (conversions, errors), `actualDen`/`expectedDen` the denominator (sessions, requests). The
 * slice's rate is numerator / denominator; all four are additive.
 */
export interface RatioLeaf extends Leaf {
  actualDen: number;
  expectedDen: number;
}

/** A conjunction of dimension values, e.g. `{ region: 'eu-west', device: 'android' }`. */
export type Elements = Record<string, string>;

/** The value a leaf has in a dimension it does not name. */
export const MISSING = '(none)';

/** A conjunction of dimension values (up to 3, or a cause refined to 5), scored as a possible cause. */
export interface Candidate {
  elements: Elements;
  /**
   * How much of the anomaly this conjunction explains on its own, 0–1: the part of the
   * deviation (weighted by noise, left after a uniform change of everything) that goes away when
   * the conjunction gets its own ratio of actual to expected (HotSpot's ripple effect, as a
   * least-squares potential score). A change spread in proportion to size scores about 0.
   */
  score: number;
  /**
   * Share of the total deviation (actual − expected) in this slice, signed: 1 = all of it,
   * negative = it moved against the total. When slices moved in opposite directions and the
   * total moved less than half the largest shift inside one dimension, that shift is the
   * reference.
   */
  explains: number;
  actual: number;
  expected: number;
  /** The slice's part of the expected total: the share it would explain if the change were proportional. */
  expectedShare: number;
  /** explains − expectedShare: how disproportionate its part of the change is. */
  excess: number;
  /**
   * Jensen–Shannon surprise (Adtributor, log base 2) between the slice's expected share
   * (expected / total expected) and its actual share (actual / total actual): 0 when it kept its
   * share.
   */
  surprise: number;
  /** Slice z-score: (actual − expected) / σ, σ from the sigma option plus the estimated relative noise. */
  z: number;
}

/**
 * One dimension value with its numbers; the fields of lib/types Contributor (so a caller can show
 * it as a drill-down row), plus surprise.
 */
export interface SliceStats {
  dim: string;
  value: string;
  actual: number;
  expected: number;
  /** actual − expected. */
  deviation: number;
  /** Share of the total deviation, signed (see {@link Candidate.explains}). */
  share: number;
  expectedShare: number;
  excess: number;
  surprise: number;
  z: number;
  /** The slice's actual value (its volume for counts; the denominator for ratio metrics). */
  volume: number;
}

export interface RcaResult {
  /**
   * The smallest set of conjunctions that explains the deviation, most explanatory first; `[]`
   * when nothing explains it well (no change, change within noise, or spread in proportion).
   */
  rootCause: Elements[];
  /** Ranked: the root-cause conjunctions first, then the others by score. */
  candidates: Candidate[];
  /** Every value of every dimension, most explanatory first. */
  dimensions: Record<string, SliceStats[]>;
  totals: { actual: number; expected: number; deviation: number; z: number };
  /**
   * The noise model as estimated (or given): relative noise of each leaf (0.05 = 5%, on top of
   * the sigma option), and relative error shared by the leaves of one dimension value.
   */
  noise: { leaf: number; slice: number };
  sentence: string;
}

export interface RcaOptions {
  /**
   * σ of a leaf's (and a slice's) value from its expected value, before the relative noise.
   * Default √max(expected, 1) (Poisson, for counts).
   */
  sigma?: (expected: number) => number;
  /**
   * Relative noise of a leaf's value around its expected value (0.05 = 5%), added to sigma in
   * quadrature. Default: estimated robustly from the leaves (median of standardized residuals).
   */
  relativeNoise?: number;
  /**
   * Largest number of dimensions in one conjunction, 1–5 (default 5). Every conjunction of up to
   * 3 is scored; a cause of 3 is refined into one of 4 or 5 when only that part of it changed.
   */
  maxDepth?: number;
  /** Largest number of conjunctions in the root-cause set (default 4). */
  maxCauses?: number;
  /** Candidates returned (default 20). */
  maxCandidates?: number;
  /** Used in the sentence: "of the drop in purchases". */
  metricName?: string;
  /** Formats actual and expected values in the sentence (default: grouped integers or 3 digits). */
  format?: (value: number) => string;
}

/** A leaf row that cannot be used: non-finite or negative values. */
export class RcaInputError extends Error {
  override name = 'RcaInputError';
}

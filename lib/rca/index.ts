/**
 * Multi-dimensional root cause, pure: leaf rows of the cube in, the root-cause set (the smallest
 * set of conjunctions of up to 3 dimension values that explains the deviation), ranked
 * candidates, a per-dimension breakdown and a sentence out.
 *
 *   import { explainCube } from '@/lib/rca';
 *   const leaves = rows.map((r) => ({ dims: JSON.parse(r.leaf), actual: r.count, expected: r.mean }));
 *   const { rootCause, candidates, sentence } = explainCube(leaves, { metricName: 'purchases' });
 *
 * Ratio metrics (conversion, error rate): {@link explainRatio} with the numerator in
 * actual/expected and the denominator in actualDen/expectedDen; it tells a rate change inside
 * slices from a shift in the mix of slices.
 */
export { explainCube } from './explain';
export { explainRatio, type RatioCandidate, type RatioResult } from './ratio';
export { describeElements } from './cube';
export {
  MISSING,
  RcaInputError,
  type Candidate,
  type Elements,
  type Leaf,
  type RatioLeaf,
  type RcaOptions,
  type RcaResult,
  type SliceStats,
} from './types';

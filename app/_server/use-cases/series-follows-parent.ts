/**
 * The answer to a change of a split metric's series (lib/metrics/split.ts): its definition,
 * rule and state follow its parent's, so it is changed through the parent.
 */
import { ConflictError } from '@/lib/errors';

export const seriesFollowsParent = (): ConflictError =>
  new ConflictError(
    'This series belongs to a split metric: change the metric it splits, and its series follow.',
  );

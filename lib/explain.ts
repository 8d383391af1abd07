/**
 * The explanation of an anomalous window: the per-dimension breakdown over marginal cells
 * (lib/analyze `explainWindow`) and the multi-dimensional root cause over the leaf cube
 * (lib/rca), which names conjunctions such as region=eu-west AND device=android when no single
 * value explains the deviation.
 */
import { explainWindow } from './analyze';
import type { Explanation, LeafDelta, MetricDefinition, RollupDelta } from './types';

/** A window's cells as the engine reads them: marginal cells and leaf-cube cells. */
export interface WindowCells {
  cells: RollupDelta[];
  leaves: LeafDelta[];
}

export function explainAnomaly(
  metric: MetricDefinition,
  now: WindowCells,
  past: readonly WindowCells[],
  total: { actual: number; expected: number },
): Explanation {
  return explainWindow(
    metric,
    now.cells,
    past.map((w) => w.cells),
    total,
  );
}

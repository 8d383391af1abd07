/**
 * Where a time axis puts its ticks: at round times (every 10 s, 1 min, 5 min, … 1 day, 7 days)
 * chosen so that about `target` of them span [from, to]. Round in UTC, which for the steps up
 * to an hour is round in every zone that is a whole number of hours off UTC; day steps fall on
 * UTC midnight (labelled with the date in the zone shown).
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const TICK_STEPS = [
  10 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
] as const;

/** The smallest round step that gives at most `target` ticks over the span. */
export function tickStep(spanMs: number, target: number): number {
  const wanted = spanMs / Math.max(1, target);
  return TICK_STEPS.find((step) => step >= wanted) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
}

/** Round times inside [from, to], ascending; empty for an empty or reversed range. */
export function timeTicks(from: number, to: number, target = 6): number[] {
  if (!(to > from) || !Number.isFinite(from) || !Number.isFinite(to)) return [];
  const step = tickStep(to - from, target);
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return ticks;
}

/**
 * Integration-test helper: every stored rollup and leaf-cube cell, as the lib types, for
 * comparing with an independent fold (lib/stream/rollup naiveFold / naiveLeafFold).
 */
import { naiveFold, naiveLeafFold } from '@/lib/stream/rollup-merge';
import type { LeafDelta, PulseEvent, RollupDelta } from '@/lib/types';
import type { Db } from '@/db/client';
import { leafRollups, rollups } from '@/db/schema';

export async function allRollups(db: Db): Promise<RollupDelta[]> {
  const rows = await db.select().from(rollups);
  return rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
}

export async function allLeaves(db: Db): Promise<LeafDelta[]> {
  const rows = await db.select().from(leafRollups);
  return rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
}

const cellKey = (d: RollupDelta) =>
  `${d.windowStart}|${d.eventType}|${d.dim}|${d.value}|${d.measure}`;
const leafKey = (d: LeafDelta) => `${d.windowStart}|${d.eventType}|${d.leaf}|${d.measure}`;
const close = (a: number, b: number) =>
  Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** How the stored rollups and leaf cube differ from the expected cells, each list empty when equal. */
export interface StoredProblems {
  rollups: string[];
  leaves: string[];
}

/**
 * How the stored rollups and leaf cube differ from `truth` and `leafTruth`: sums to a relative
 * 1e-9, counts, minima and maxima exactly; a cell missing, differing or not expected is named.
 */
export async function storedProblems(
  db: Db,
  truth: readonly RollupDelta[],
  leafTruth: readonly LeafDelta[],
): Promise<StoredProblems> {
  const problems: StoredProblems = { rollups: [], leaves: [] };
  const actual = new Map((await allRollups(db)).map((d) => [cellKey(d), d]));
  for (const want of truth) {
    const got = actual.get(cellKey(want));
    actual.delete(cellKey(want));
    if (!got) problems.rollups.push(`missing ${cellKey(want)}`);
    else if (
      got.count !== want.count ||
      !close(got.sum, want.sum) ||
      !close(got.sumsq, want.sumsq) ||
      got.min !== want.min ||
      got.max !== want.max
    )
      problems.rollups.push(
        `${cellKey(want)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
      );
  }
  for (const key of actual.keys()) problems.rollups.push(`unexpected ${key}`);
  const leaves = new Map((await allLeaves(db)).map((d) => [leafKey(d), d]));
  for (const want of leafTruth) {
    const got = leaves.get(leafKey(want));
    leaves.delete(leafKey(want));
    if (!got) problems.leaves.push(`missing leaf ${leafKey(want)}`);
    else if (got.count !== want.count || !close(got.sum, want.sum) || !close(got.sumsq, want.sumsq))
      problems.leaves.push(
        `leaf ${leafKey(want)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
      );
  }
  for (const key of leaves.keys()) problems.leaves.push(`unexpected leaf ${key}`);
  return problems;
}

/**
 * How the stored rollups and leaf cube differ from an independent fold of `events`
 * (lib/stream/rollup-merge `naiveFold`, `naiveLeafFold`): empty when they are equal.
 */
export async function storedFoldProblems(
  db: Db,
  events: readonly PulseEvent[],
  windowMs: number,
): Promise<string[]> {
  const problems = await storedProblems(
    db,
    naiveFold(events, windowMs),
    naiveLeafFold(events, windowMs),
  );
  return [...problems.rollups, ...problems.leaves];
}

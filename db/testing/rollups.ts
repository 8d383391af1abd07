/**
 * Integration-test helper: every stored rollup and leaf-cube cell, as the lib types, for
 * comparing with an independent fold (lib/stream/rollup naiveFold / naiveLeafFold).
 */
import type { LeafDelta, RollupDelta } from '@/lib/types';
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

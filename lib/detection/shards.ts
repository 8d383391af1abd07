/**
 * Detection sharded across workers (workers/services/detector.ts). Metrics are assigned to
 * `shards` shards by id; a split metric's series go with their parent, since the parent's
 * scoring transaction creates them (db/queries/split.ts). Each shard is scored by the one worker
 * holding its advisory lock; shard 0's holder also coordinates (closes windows, places stray
 * anomalies, takes interim looks). Pure: which shard a metric is in, and how many shards a
 * worker should hold given how many workers are alive.
 */

/** The most shards a deployment may configure (PULSE_DETECTOR_SHARDS). */
export const MAX_SHARDS = 64;

/** The shard of a metric: its own id's, or its parent's for a series of a split metric. */
export function shardOf(
  metric: { id: number; series?: { parentId: number } | null },
  shards: number,
): number {
  const owner = metric.series?.parentId ?? metric.id;
  return ((owner % shards) + shards) % shards;
}

/** The shards each of `workers` live workers should hold: all of them spread evenly, rounded up. */
export function fairShare(shards: number, workers: number): number {
  return Math.ceil(shards / Math.max(1, workers));
}

export interface ShardPlan {
  /** Shards to try to take, in order, until the worker holds its fair share. */
  take: number[];
  /** Shards to give up: held beyond the fair share (the highest first; shard 0 last). */
  release: number[];
}

/**
 * What a worker holding `held` should do, with `workers` workers alive (itself included):
 * take free shards up to its fair share, lowest first (shard 0, the coordinator's, before any),
 * or give back what it holds beyond it so a newcomer can take it. A shard taken by nobody
 * stays taken by somebody: every worker tries every shard it lacks while under its share, and
 * shares sum to at least `shards`.
 */
export function planShards(held: ReadonlySet<number>, shards: number, workers: number): ShardPlan {
  const share = fairShare(shards, workers);
  const all = Array.from({ length: shards }, (_, s) => s);
  // Shards beyond the configured count (it was lowered) are given up at once.
  const stale = [...held].filter((s) => s >= shards).sort((a, b) => b - a);
  const mine = [...held].filter((s) => s < shards);
  if (mine.length > share) {
    const extra = mine
      .sort((a, b) => (a === 0 ? 1 : b === 0 ? -1 : b - a))
      .slice(0, mine.length - share);
    return { take: [], release: [...stale, ...extra] };
  }
  if (mine.length === share) return { take: [], release: stale };
  return { take: all.filter((s) => !held.has(s)), release: stale };
}

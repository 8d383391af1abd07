/**
 * Interim results in the live detector: every few seconds, the window after the last closed one
 * (still open: the global watermark is inside it) is scored with the rollups flushed so far
 * (lib/detection/interim-engine `scoreInterimWindow`). A partial window that proves an anomaly
 * opens it early, marked interim, placed into an incident and announced (NOTIFY) in the same
 * transaction, so the board shows it and notifications go out before the window closes. The
 * window's final score, in the detector's own transaction, confirms or withdraws it
 * (db/queries/interim.ts `settleInterim`).
 *
 * It runs in the detector's loop, after the final scoring of a tick, so the two never race: a
 * look happens only when no closed window waits to be scored, and its window is the next one the
 * detector will score. With detector shards, each worker looks at the metrics of the shards it
 * holds, after scoring their queue.
 */
import { scoreInterimWindow } from '@/lib/detection/interim-engine';
import { looksPerWindow } from '@/lib/detection/interim';
import type { Logger } from '@/lib/observability/log';
import type { DbHandle } from '@/db/client';
import type { Executor } from '@/db/queries/executor';
import { getScoredThrough, queuedWindows } from '@/db/queries/detector';
import { pgEngineStore } from '@/db/queries/engine-store';
import { dataReach } from '@/db/queries/interim';
import { listMetrics, toDefinition, toRule } from '@/db/queries/metrics';
import { shardOf } from '@/lib/detection/shards';
import { notifyInTransaction, type PulseNotice } from '@/db/queries/notify';

export interface InterimOptions {
  /** The allowed out-of-orderness of the sources: how far past its watermark a partition's data goes. */
  outOfOrderMs: number;
  /** How often the open window is looked at (wall clock). Default 5 s. */
  cadenceMs?: number;
}

/** The detector shards a look covers: their metrics, and their scoring queue. */
export interface LookShards {
  held: readonly number[];
  count: number;
}

export interface InterimLooker {
  /** Looks at the open window if the cadence says so; returns the interim anomalies opened. */
  maybeLook(now: number, shards?: LookShards): Promise<number[]>;
  /** Looks now, at the metrics of `shards` (default: the one shard of an unsharded detector). */
  look(shards?: LookShards): Promise<number[]>;
}

export function createInterimLooker(options: {
  handle: DbHandle;
  log: Logger;
  windowMs: number;
  idleTimeoutMs: number;
  interim: InterimOptions;
  /** Places the opened anomalies into incidents, in the look's transaction (the detector's). */
  place: (tx: Executor, notices: readonly PulseNotice[]) => Promise<unknown>;
}): InterimLooker {
  const { handle, log, windowMs, idleTimeoutMs, interim } = options;
  const { db, sql } = handle;
  const cadenceMs = interim.cadenceMs ?? 5_000;
  const looks = looksPerWindow(windowMs, cadenceMs);
  let last = -Infinity;

  async function look(shards: LookShards = { held: [0], count: 1 }): Promise<number[]> {
    if ((await queuedWindows(db, 1, shards.held)).length > 0) return [];
    const closedThrough = await getScoredThrough(db, windowMs);
    if (closedThrough === null) return [];
    const open = closedThrough + windowMs;
    const reach = await dataReach(db, sql, idleTimeoutMs, interim.outOfOrderMs);
    // Only a window the data is inside: one the watermark has passed is closed, its final score
    // is due at the detector's next tick, and an early look there judges a whole window by the
    // partial model (seen on a detector catching up after a stop).
    if (!reach || reach.low <= open || reach.low >= open + windowMs) return [];
    return db.transaction(async (tx) => {
      const metrics = (await listMetrics(tx))
        .map((row) => ({ definition: toDefinition(row), rule: toRule(row) }))
        .filter(
          (m) => m.definition.enabled && shards.held.includes(shardOf(m.definition, shards.count)),
        );
      const outcomes = await scoreInterimWindow(pgEngineStore(tx), metrics, open, windowMs, reach, {
        looks,
      });
      const opened = outcomes.filter((o) => o.anomalyId !== null);
      const notices: PulseNotice[] = opened.map((o) => ({ kind: 'anomaly', id: o.anomalyId! }));
      if (notices.length === 0) return [];
      await options.place(tx, notices);
      for (const notice of notices) await notifyInTransaction(tx, notice);
      for (const o of opened) {
        log.info(
          {
            metric: o.metric.key,
            z: Number(o.verdict.z.toFixed(2)),
            fraction: Number(o.verdict.fraction.toFixed(2)),
            anomalyId: o.anomalyId,
          },
          'interim anomaly: the open window already proves it',
        );
      }
      return opened.map((o) => o.anomalyId!);
    });
  }

  return {
    look,
    async maybeLook(now, shards) {
      if (now - last < cadenceMs) return [];
      last = now;
      return look(shards);
    },
  };
}

/**
 * The detector: once the global watermark has passed a window, score every enabled metric in
 * it, explain anomalies by dimension, persist points and anomalies, and NOTIFY the web tier.
 * Several workers may run it; only the holder of a PostgreSQL advisory lock scores.
 */
import { explainWindow, metricEventTypes, scoreWindow } from '@/lib/analyze';
import type { Logger } from '@/lib/log';
import { isWindowFinal } from '@/lib/windows';
import type { RollupDelta } from '@/lib/types';
import type { DbHandle } from '@/db/client';
import {
  baselineHistory,
  getScoredThrough,
  openOrExtendAnomaly,
  resolveStaleAnomalies,
  setScoredThrough,
  upsertPoint,
} from '@/db/queries/detection';
import { listMetrics, toDefinition, toRule } from '@/db/queries/metrics';
import { notify, type PulseNotice } from '@/db/queries/notify';
import { firstRollupWindow, globalWatermark, readRollups } from '@/db/queries/stream';

/** Arbitrary constant naming the detector's advisory lock. */
const LEADER_LOCK = 0x70756c73; // "puls"
const MAX_HISTORY_MS = 86_400_000;
const MAX_WINDOWS_PER_TICK = 500;

export interface DetectorOptions {
  handle: DbHandle;
  log: Logger;
  windowMs: number;
  pollMs?: number;
  /** A partition silent for this long no longer holds the global watermark back. */
  idleTimeoutMs?: number;
}

export interface Detector {
  /** Scores every window that is final now; returns how many. What the poll loop calls. */
  tick(): Promise<number>;
  /** Starts polling. */
  start(): void;
  stop(): Promise<void>;
}

/** Starts a detector that polls every `pollMs`. */
export function startDetector(options: DetectorOptions): Detector {
  const detector = createDetector(options);
  detector.start();
  return detector;
}

export function createDetector(options: DetectorOptions): Detector {
  const { handle, log, windowMs } = options;
  const { db, sql } = handle;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  let leader: Awaited<ReturnType<typeof sql.reserve>> | null = null;
  let stopped = false;

  async function ensureLeader(): Promise<boolean> {
    try {
      if (leader) {
        await leader`select 1`;
        return true;
      }
      const conn = await sql.reserve();
      const [row] = await conn<
        { locked: boolean }[]
      >`select pg_try_advisory_lock(${LEADER_LOCK}) as locked`;
      if (row?.locked) {
        leader = conn;
        log.info('this worker is now the detector leader');
        return true;
      }
      conn.release();
      return false;
    } catch (error) {
      leader?.release();
      leader = null;
      throw error;
    }
  }

  async function scoreWindowStart(windowStart: number): Promise<PulseNotice[]> {
    const notices: PulseNotice[] = [{ kind: 'window', windowStart }];
    const metrics = (await listMetrics(db)).filter((m) => m.enabled);
    const types = [...new Set(metrics.flatMap((m) => metricEventTypes(toDefinition(m))))];
    const cells = await readRollups(db, [windowStart], types);
    for (const row of metrics) {
      const metric = toDefinition(row);
      const rule = toRule(row);
      const history = await baselineHistory(db, metric.id, windowStart, rule.baselineWindows);
      const { score, volume } = scoreWindow(
        metric,
        rule,
        cells,
        history.map((h) => h.value),
      );
      let anomalyId: number | null = null;
      if (score.severity) {
        const past = await readRollups(
          db,
          history.map((h) => h.windowStart),
          metricEventTypes(metric),
        );
        const byWindow = new Map<number, RollupDelta[]>();
        for (const cell of past) {
          const list = byWindow.get(cell.windowStart) ?? [];
          list.push(cell);
          byWindow.set(cell.windowStart, list);
        }
        const explanation = explainWindow(metric, cells, [...byWindow.values()], {
          actual: score.value,
          expected: score.expected,
        });
        anomalyId = await openOrExtendAnomaly(db, {
          metricId: metric.id,
          windowStart,
          windowMs,
          score,
          explanation,
        });
        notices.push({ kind: 'anomaly', id: anomalyId });
        log.info(
          {
            metric: metric.key,
            z: Number(score.z.toFixed(2)),
            severity: score.severity,
            anomalyId,
          },
          `anomaly: ${explanation.sentence}`,
        );
      } else {
        for (const resolved of await resolveStaleAnomalies(db, metric.id, windowStart)) {
          notices.push({ kind: 'anomaly', id: resolved.id });
        }
      }
      await upsertPoint(db, metric.id, windowStart, score, volume, anomalyId);
    }
    await setScoredThrough(db, windowStart, windowMs);
    return notices;
  }

  async function tick(): Promise<number> {
    if (!(await ensureLeader())) return 0;
    const watermark = await globalWatermark(db, idleTimeoutMs);
    if (watermark === null) return 0;
    const scoredThrough = await getScoredThrough(db, windowMs);
    let next =
      scoredThrough !== null
        ? scoredThrough + windowMs
        : await firstRollupWindow(db, watermark - MAX_HISTORY_MS);
    if (next === null) return 0;
    let scored = 0;
    while (
      !stopped &&
      isWindowFinal(next, windowMs, 0, watermark) &&
      scored < MAX_WINDOWS_PER_TICK
    ) {
      const notices = await scoreWindowStart(next);
      for (const notice of notices) await notify(sql, notice);
      next += windowMs;
      scored++;
    }
    return scored;
  }

  let loop: Promise<void> = Promise.resolve();
  let wake: (() => void) | null = null;

  return {
    tick,
    start() {
      loop = (async () => {
        while (!stopped) {
          try {
            await tick();
          } catch (error) {
            log.warn({ err: error }, 'detector tick failed; retrying');
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, options.pollMs ?? 1000);
          });
        }
      })();
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      if (leader) {
        await leader`select pg_advisory_unlock(${LEADER_LOCK})`.catch(() => undefined);
        leader.release();
        leader = null;
      }
    },
  };
}

/**
 * The detector: once the global watermark has passed a window, score every enabled metric in
 * it, explain anomalies by dimension, persist points and anomalies, and NOTIFY the web tier.
 * Several workers may run it; only the holder of a PostgreSQL advisory lock scores.
 */
import { explainWindow, metricEventTypes, scoreWindow } from '@/lib/analyze';
import type { Logger } from '@/lib/log';
import { anomalyExtent, anomalyToJoin, pointChanged } from '@/lib/revise';
import { isWindowFinal } from '@/lib/windows';
import type {
  AlertRule,
  Explanation,
  MetricDefinition,
  RollupDelta,
  Score,
  Severity,
} from '@/lib/types';
import type { DbHandle } from '@/db/client';
import {
  anomaliesNear,
  anomalyPoints,
  baselineHistory,
  closeWindows,
  createRevisedAnomaly,
  dequeueWindow,
  ensureDetectorProgress,
  getScoredThrough,
  openOrExtendAnomaly,
  hasLaterPoint,
  pointsOfWindow,
  queuedWindows,
  resolveStaleAnomalies,
  reviseAnomaly,
  upsertPoint,
  type PointRow,
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

  /** Rollups of the metric's baseline windows, grouped by window, for the explanation. */
  async function historyCells(metric: MetricDefinition, windows: number[]) {
    const past = await readRollups(db, windows, metricEventTypes(metric));
    const byWindow = new Map<number, RollupDelta[]>();
    for (const cell of past) {
      const list = byWindow.get(cell.windowStart) ?? [];
      list.push(cell);
      byWindow.set(cell.windowStart, list);
    }
    return [...byWindow.values()];
  }

  /** Score and explanation of one metric in one window, as the detector stores them. */
  async function assess(
    metric: MetricDefinition,
    rule: AlertRule,
    windowStart: number,
    cells: RollupDelta[],
  ) {
    const history = await baselineHistory(db, metric.id, windowStart, rule.baselineWindows);
    const { score, volume } = scoreWindow(
      metric,
      rule,
      cells,
      history.map((h) => h.value),
    );
    const explanation = score.severity
      ? explainWindow(
          metric,
          cells,
          await historyCells(
            metric,
            history.map((h) => h.windowStart),
          ),
          { actual: score.value, expected: score.expected },
        )
      : null;
    return { score, volume, explanation };
  }

  /** Scores the window for every enabled metric: first scoring, or a revision by late data. */
  async function scoreWindowStart(windowStart: number): Promise<PulseNotice[]> {
    const notices: PulseNotice[] = [{ kind: 'window', windowStart }];
    const metrics = (await listMetrics(db)).filter((m) => m.enabled);
    const types = [...new Set(metrics.flatMap((m) => metricEventTypes(toDefinition(m))))];
    const cells = await readRollups(db, [windowStart], types);
    const scored = new Map((await pointsOfWindow(db, windowStart)).map((p) => [p.metricId, p]));
    for (const row of metrics) {
      const metric = toDefinition(row);
      const rule = toRule(row);
      const { score, volume, explanation } = await assess(metric, rule, windowStart, cells);
      const before = scored.get(metric.id);
      if (before) {
        const ids = await revise(metric, rule, windowStart, before, score, volume, explanation);
        for (const id of ids) notices.push({ kind: 'anomaly', id });
        continue;
      }
      let anomalyId: number | null = null;
      if (score.severity && explanation) {
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
    return notices;
  }

  /**
   * Applies a re-score of a window that was scored before (late data changed it): updates the
   * point and every anomaly it joins or leaves — extent, peak, severity — marking them revised;
   * an anomaly left with no anomalous window is withdrawn. Returns the anomalies it changed.
   */
  async function revise(
    metric: MetricDefinition,
    rule: AlertRule,
    windowStart: number,
    before: PointRow,
    score: Score,
    volume: number,
    explanation: Explanation | null,
  ): Promise<number[]> {
    if (!pointChanged(before, score)) return [];
    let joined: number | null = null;
    if (score.severity && explanation) {
      const direction = score.direction ?? (score.z < 0 ? 'down' : 'up');
      const near = await anomaliesNear(db, metric.id, windowStart, windowMs);
      const sameAsBefore = near.find((a) => a.id === before.anomalyId && a.direction === direction);
      const target =
        sameAsBefore ??
        anomalyToJoin(
          near.map((a) => ({
            ...a,
            firstWindow: a.firstWindow.getTime(),
            lastWindow: a.lastWindow.getTime(),
          })),
          windowStart,
          windowMs,
          direction,
        );
      if (target) {
        joined = target.id;
      } else {
        joined = await createRevisedAnomaly(
          db,
          metric.id,
          { windowStart, score, explanation },
          (await hasLaterPoint(db, metric.id, windowStart)) ? 'resolved' : 'open',
        );
        await upsertPoint(db, metric.id, windowStart, score, volume, joined);
        log.info(
          { metric: metric.key, window: new Date(windowStart).toISOString(), anomalyId: joined },
          `late data made a window anomalous: ${explanation.sentence}`,
        );
        return before.anomalyId !== null
          ? [joined, ...(await refresh(metric, rule, before.anomalyId))]
          : [joined];
      }
    }
    await upsertPoint(db, metric.id, windowStart, score, volume, joined);
    const changed = new Set<number>();
    for (const id of [before.anomalyId, joined]) {
      if (id !== null && !changed.has(id))
        for (const c of await refresh(metric, rule, id)) changed.add(c);
    }
    log.info(
      {
        metric: metric.key,
        window: new Date(windowStart).toISOString(),
        from: before.status,
        to: score.status,
        anomalies: [...changed],
      },
      'late data revised a scored window',
    );
    return [...changed];
  }

  /** Recomputes an anomaly from its member windows after one of them was revised. */
  async function refresh(
    metric: MetricDefinition,
    rule: AlertRule,
    anomalyId: number,
  ): Promise<number[]> {
    const members = (await anomalyPoints(db, anomalyId)).filter(
      (p): p is PointRow & { z: number; status: Severity } =>
        p.z !== null && (p.status === 'warn' || p.status === 'critical'),
    );
    const extent = anomalyExtent(
      members.map((p) => ({ windowStart: p.windowStart.getTime(), z: p.z, severity: p.status })),
    );
    let peak = null;
    if (extent) {
      const cells = await readRollups(db, [extent.peakWindow], metricEventTypes(metric));
      const { score, explanation } = await assess(metric, rule, extent.peakWindow, cells);
      if (explanation) peak = { windowStart: extent.peakWindow, score, explanation };
    } else {
      log.info({ metric: metric.key, anomalyId }, 'late data withdrew an anomaly');
    }
    await reviseAnomaly(db, anomalyId, extent, peak);
    return [anomalyId];
  }

  /** Closes every window the global watermark has passed, queueing it for scoring. */
  async function closeFinalWindows(): Promise<void> {
    const watermark = await globalWatermark(sql, idleTimeoutMs);
    if (watermark === null) return;
    await ensureDetectorProgress(db, windowMs);
    const scoredThrough = await getScoredThrough(db, windowMs);
    let next =
      scoredThrough !== null
        ? scoredThrough + windowMs
        : await firstRollupWindow(db, watermark - MAX_HISTORY_MS);
    if (next === null) return;
    const closing: number[] = [];
    while (isWindowFinal(next, windowMs, 0, watermark) && closing.length < MAX_WINDOWS_PER_TICK) {
      closing.push(next);
      next += windowMs;
    }
    await closeWindows(db, closing, windowMs);
  }

  async function tick(): Promise<number> {
    if (!(await ensureLeader())) return 0;
    await closeFinalWindows();
    let scored = 0;
    for (const entry of await queuedWindows(db, MAX_WINDOWS_PER_TICK)) {
      if (stopped) break;
      const notices = await scoreWindowStart(entry.windowStart);
      await dequeueWindow(db, entry);
      for (const notice of notices) await notify(sql, notice);
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

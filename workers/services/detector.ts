/**
 * The detector: once the global watermark has passed a window, score every enabled metric in
 * it, explain anomalies by dimension, persist points and anomalies, and NOTIFY the web tier.
 *
 * Several workers may run it. Metrics are split into shards (PULSE_DETECTOR_SHARDS, default 1;
 * lib/detection/shards.ts), each scored by the worker holding its PostgreSQL advisory lock
 * (db/shard-locks.ts); the workers alive share the shards evenly and take over a dead one's at
 * their next poll. A window is queued once per shard, and each shard's entries are scored in
 * their own transactions, as are the interim looks at their metrics. The holder of shard 0 also
 * coordinates: it closes windows and places stray anomalies. Anomalies are placed into
 * incidents under a transaction lock, so two shards never group the same incident at once.
 *
 * Scoring one base window (points, anomalies, the window leaving the scoring queue) is one
 * transaction that also queues its NOTIFYs, and so is re-scoring one metric's history:
 * PostgreSQL delivers the notices on commit, when the web tier's reads see what they announce,
 * and never for work that rolled back (db/queries/notify.ts). A crash mid-window leaves the
 * window queued, to be scored again from scratch.
 */
import { assessMetric, scoreBaseWindow, type EngineMetric } from '@/lib/detection/engine';
import type { Logger } from '@/lib/observability/log';
import { metricWindowStart } from '@/lib/metrics/metric-windows';
import { anomalyExtent, anomalyToJoin, pointChanged } from '@/lib/detection/revise';
import { isWindowFinal } from '@/lib/stream/windows';
import type { AlertRule, MetricDefinition, Severity } from '@/lib/types';
import type { DbHandle } from '@/db/client';
import type { Executor } from '@/db/queries/executor';
import { shardLocks } from '@/db/shard-locks';
import { shardOf } from '@/lib/detection/shards';
import {
  anomaliesNear,
  createRevisedAnomaly,
  resetMetricHistory,
  reviseAnomaly,
} from '@/db/queries/anomalies';
import {
  claimQueued,
  closeWindows,
  dequeueWindow,
  ensureDetectorProgress,
  getScoredThrough,
  getShardCount,
  queuedWindows,
  setShardCount,
} from '@/db/queries/detector';
import { pgEngineStore } from '@/db/queries/engine-store';
import { SliceMemo } from '@/lib/detection/slice-drift';
import { finishRescore, listMetrics, toDefinition, toRule } from '@/db/queries/metrics';
import { syncSplitSeries } from '@/db/queries/split';
import { placeAndRefresh, unplacedAnomalies, type IncidentSettings } from '@/db/queries/incidents';
import { notifyInTransaction, type PulseNotice } from '@/db/queries/notify';
import { sql as dsql } from 'drizzle-orm';
import { anomalyPoints, hasLaterPoint, upsertPoint, type PointRow } from '@/db/queries/points';
import { pointsAt } from '@/db/queries/points-batched';
import { firstRollupWindow, globalWatermark } from '@/db/queries/stream';
import { withdrawUnsettledInterim } from '@/db/queries/interim';
import { createInterimLooker, type InterimOptions } from './interim-detector';
import { checkSeasons } from './season-check';

/** Thrown inside a re-score's transaction when the detector stops: rolls it back. */
class Stopped extends Error {}

/** Arbitrary constant naming the detector's advisory locks: (LOCKS, shard) per shard. */
const LOCKS = 0x70756c73; // "puls"
/** The transaction lock (LOCKS, PLACING) under which a shard places anomalies into incidents. */
const PLACING = -2;
/** Transaction locks (SCORING, shard): one transaction at a time scores a shard's entries. */
const SCORING = 0x70756c74; // pult
const MAX_HISTORY_MS = 86_400_000;
const MAX_WINDOWS_PER_TICK = 500;

export interface DetectorOptions {
  handle: DbHandle;
  log: Logger;
  windowMs: number;
  pollMs?: number;
  /** A partition silent for this long no longer holds the global watermark back. */
  idleTimeoutMs?: number;
  /** Shards the metrics are split into (PULSE_DETECTOR_SHARDS); every worker must agree. Default 1. */
  shards?: number;
  /**
   * Grouping anomalies into incidents and writing their notifications, in the transaction of
   * the window that changed them (db/queries/incidents.ts). `baseWindowMs` defaults to
   * `windowMs`.
   */
  incidents: Omit<IncidentSettings, 'baseWindowMs'>;
  /** Interim results: score the open window every few seconds (./interim-detector.ts). Off when absent. */
  interim?: InterimOptions;
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
  const configuredShards = options.shards ?? 1;
  /**
   * The shard count every detector follows: the stored one (detector_progress.shards), which
   * shard 0's holder sets from its own configuration. Read at each tick.
   */
  let shardCount = configuredShards;
  let warnedCount: number | null = null;
  const incidentSettings: IncidentSettings = { ...options.incidents, baseWindowMs: windowMs };
  /** Places the anomalies among `notices` into incidents and writes what they are owed. */
  const placeNoticed = async (tx: Executor, notices: readonly PulseNotice[]) => {
    const ids = notices.flatMap((n) => (n.kind === 'anomaly' ? [n.id] : []));
    if (ids.length === 0) return;
    // Another shard's transaction (or a worker following another count) may be grouping
    // anomalies of the same incident: one at a time.
    await tx.execute(dsql`select pg_advisory_xact_lock(${LOCKS}, ${PLACING})`);
    await placeAndRefresh(tx, ids, incidentSettings, new Date());
  };
  const locks = shardLocks(sql, LOCKS, ({ taken, released, held }) =>
    log.info(
      { taken, released, held, shards: shardCount },
      shardCount === 1 ? 'this worker is now the detector leader' : 'detector shards changed hands',
    ),
  );
  let stopped = false;
  const interim = options.interim
    ? createInterimLooker({
        handle,
        log,
        windowMs,
        idleTimeoutMs,
        interim: options.interim,
        place: placeNoticed,
      })
    : null;

  // The slice drift test's observations of recent windows, kept across windows (exact: each
  // entry is checked against the window's cells; lib/detection/slice-drift `SliceMemo`).
  const sliceMemo = new SliceMemo();
  /** Scoring reads and writes through `x`: the transaction of one window (or re-score). */
  function scorer(x: Executor) {
    const store = pgEngineStore(x, { sliceMemo });
    /**
     * Scores base window `windowStart` for every enabled metric of `shard`: first scoring
     * through the engine for metrics whose window ends here, or a revision (late data) for
     * metrics whose window containing it was already scored.
     */
    async function scoreWindowStart(windowStart: number, shard = 0): Promise<PulseNotice[]> {
      const notices: PulseNotice[] = [{ kind: 'window', windowStart }];
      const owns = (id: number) => shardOf({ id }, shardCount) === shard;
      for (const metricId of await syncSplitSeries(x, windowStart, windowMs, owns)) {
        notices.push({ kind: 'metric', metricId });
      }
      const metrics = (await listMetrics(x))
        .map((row) => ({ definition: toDefinition(row), rule: toRule(row) }))
        .filter((m) => m.definition.enabled && shardOf(m.definition, shardCount) === shard);
      const fresh: EngineMetric[] = [];
      // Their points already scored at their window start, read for all metrics at once.
      const scored = await pointsAt(
        x,
        metrics.map((m) => ({
          metricId: m.definition.id,
          windowStart: metricWindowStart(windowStart, windowMs, m.definition.windowMultiple),
        })),
      );
      for (const m of metrics) {
        const start = metricWindowStart(windowStart, windowMs, m.definition.windowMultiple);
        const before = scored.get(m.definition.id);
        if (before) {
          const changed = await revise(m.definition, m.rule, start, before);
          for (const id of changed) notices.push({ kind: 'anomaly', id });
          if (start !== windowStart) notices.push({ kind: 'window', windowStart: start });
        } else {
          fresh.push(m);
        }
      }
      for (const outcome of await scoreBaseWindow(store, fresh, windowStart, windowMs)) {
        if (outcome.windowStart !== windowStart) {
          notices.push({ kind: 'window', windowStart: outcome.windowStart });
        }
        // An interim anomaly this score withdrew (a confirmed one is the outcome's own).
        if (outcome.interimId && outcome.interimId !== outcome.anomalyId) {
          notices.push({ kind: 'anomaly', id: outcome.interimId });
        }
        if (outcome.anomalyId === null) continue;
        notices.push({ kind: 'anomaly', id: outcome.anomalyId });
        if (outcome.step.kind === 'open' || outcome.step.kind === 'resolve') {
          log.info(
            {
              metric: outcome.metric.key,
              z: Number(outcome.score.z.toFixed(2)),
              severity: outcome.step.anomaly.severity,
              anomalyId: outcome.anomalyId,
            },
            outcome.step.kind === 'open'
              ? `anomaly: ${outcome.peak?.explanation.sentence ?? ''}`
              : 'anomaly resolved after normal windows',
          );
        }
      }
      for (const id of await withdrawUnsettledInterim(x, windowStart, windowMs, {
        index: shard,
        count: shardCount,
      })) {
        notices.push({ kind: 'anomaly', id });
      }
      return notices;
    }

    /**
     * Applies a re-score of a metric window that was scored before (late data changed it):
     * updates the point and every anomaly it joins or leaves — extent, peak, severity — marking
     * them revised; an anomaly left with no anomalous window is withdrawn. Returns the anomalies
     * it changed.
     */
    async function revise(
      metric: MetricDefinition,
      rule: AlertRule,
      start: number,
      before: PointRow,
    ): Promise<number[]> {
      const span = windowMs * metric.windowMultiple;
      const { score, volume, explain } = await assessMetric(store, metric, rule, start, windowMs);
      if (!pointChanged(before, score)) return [];
      let joined: number | null = null;
      if (score.severity) {
        const direction = score.direction ?? (score.z < 0 ? 'down' : 'up');
        const near = await anomaliesNear(x, metric.id, start, span);
        const sameAsBefore = near.find(
          (a) => a.id === before.anomalyId && a.direction === direction,
        );
        const target =
          sameAsBefore ??
          anomalyToJoin(
            near.map((a) => ({
              ...a,
              firstWindow: a.firstWindow.getTime(),
              lastWindow: a.lastWindow.getTime(),
            })),
            start,
            span,
            direction,
          );
        if (target) {
          joined = target.id;
        } else {
          const explanation = await explain();
          // In the window's transaction: a rollback must not leave an anomaly without its point.
          joined = await createRevisedAnomaly(
            x,
            metric.id,
            { windowStart: start, score, explanation },
            (await hasLaterPoint(x, metric.id, start)) ? 'resolved' : 'open',
          );
          await upsertPoint(x, metric.id, start, score, volume, joined);
          log.info(
            { metric: metric.key, window: new Date(start).toISOString(), anomalyId: joined },
            `late data made a window anomalous: ${explanation.sentence}`,
          );
          return before.anomalyId !== null
            ? [joined, ...(await refresh(metric, rule, before.anomalyId))]
            : [joined];
        }
      }
      await upsertPoint(x, metric.id, start, score, volume, joined);
      const changed = new Set<number>();
      for (const id of [before.anomalyId, joined]) {
        if (id !== null && !changed.has(id))
          for (const c of await refresh(metric, rule, id)) changed.add(c);
      }
      log.info(
        {
          metric: metric.key,
          window: new Date(start).toISOString(),
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
      const members = (await anomalyPoints(x, anomalyId)).filter(
        (p): p is PointRow & { z: number; status: Severity } =>
          p.z !== null && (p.status === 'warn' || p.status === 'critical'),
      );
      const extent = anomalyExtent(
        members.map((p) => ({ windowStart: p.windowStart.getTime(), z: p.z, severity: p.status })),
      );
      let peak = null;
      if (extent) {
        const { score, explain } = await assessMetric(
          store,
          metric,
          rule,
          extent.peakWindow,
          windowMs,
        );
        if (score.severity)
          peak = { windowStart: extent.peakWindow, score, explanation: await explain() };
      } else {
        log.info({ metric: metric.key, anomalyId }, 'late data withdrew an anomaly');
      }
      await reviseAnomaly(x, anomalyId, extent, peak);
      return [anomalyId];
    }
    return { store, scoreWindowStart };
  }

  /** Closes every window the global watermark has passed, queueing it for scoring. */
  async function closeFinalWindows(): Promise<void> {
    const watermark = await globalWatermark(sql, idleTimeoutMs);
    if (watermark === null) return;
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
    await closeWindows(db, closing, windowMs, shardCount);
  }

  /**
   * Honours re-score requests (a metric's definition or rule changed and its history should
   * follow): withdraws the metric's anomalies from the requested window on, deletes its points
   * there and scores those windows again, oldest first, up to the last closed window. Done in
   * one go per metric, so a crash half-way simply starts it over. Only the metrics of `mine`,
   * the shards this worker holds. Returns windows scored.
   */
  async function rescoreRequested(mine: ReadonlySet<number>): Promise<number> {
    const closedThrough = await getScoredThrough(db, windowMs);
    if (closedThrough === null) return 0;
    let scored = 0;
    for (const row of await listMetrics(db)) {
      if (!row.rescoreFrom || stopped) continue;
      if (!mine.has(shardOf(toDefinition(row), shardCount))) continue;
      const requested = row.rescoreFrom;
      if (!row.enabled) {
        await finishRescore(db, row.id, requested);
        continue;
      }
      const metric = { definition: toDefinition(row), rule: toRule(row) };
      const span = windowMs * metric.definition.windowMultiple;
      const from = metricWindowStart(
        requested.getTime(),
        windowMs,
        metric.definition.windowMultiple,
      );
      let windows = 0;
      let withdrawn: { id: number }[];
      try {
        withdrawn = await db.transaction(async (tx) => {
          const { store } = scorer(tx);
          const gone = await resetMetricHistory(tx, row.id, from);
          for (let w = from + span - windowMs; w <= closedThrough; w += span) {
            // Stopping mid-way rolls the re-score back; the request stays for the next run.
            if (stopped) throw new Stopped();
            await scoreBaseWindow(store, [metric], w, windowMs);
            windows++;
          }
          await finishRescore(tx, row.id, requested);
          const notices: PulseNotice[] = gone.map(({ id }) => ({ kind: 'anomaly', id }));
          for (const id of await unplacedAnomalies(tx)) notices.push({ kind: 'anomaly', id });
          await placeNoticed(tx, notices);
          for (const notice of notices) await notifyInTransaction(tx, notice);
          await notifyInTransaction(tx, { kind: 'rule', metricId: row.id });
          return gone;
        });
      } catch (error) {
        if (error instanceof Stopped) break;
        throw error;
      }
      scored += windows;
      log.info(
        {
          metric: row.key,
          from: new Date(from).toISOString(),
          windows,
          withdrawn: withdrawn.length,
        },
        're-scored stored history after a change',
      );
    }
    return scored;
  }

  /**
   * Anomalies without an incident — from before incidents existed, or opened by a path that
   * does not place them — are placed here, in their own transaction, oldest first.
   */
  async function placeStragglers(): Promise<void> {
    await db.transaction(async (tx) => {
      const notices = (await unplacedAnomalies(tx)).map((id): PulseNotice => ({
        kind: 'anomaly',
        id,
      }));
      if (notices.length > 0) {
        await placeNoticed(tx, notices);
        for (const notice of notices) await notifyInTransaction(tx, notice);
      }
    });
  }

  /**
   * The shard count for this tick: the stored one; shard 0's holder first makes it its own
   * configured count (re-queueing queued windows for the new shards). A worker configured
   * otherwise follows the stored count and says so once.
   */
  async function followShardCount(coordinator: boolean): Promise<number> {
    if (coordinator) {
      await ensureDetectorProgress(db, windowMs, configuredShards);
      const stored = await getShardCount(db);
      if (stored !== null && stored !== configuredShards) {
        log.warn(
          { from: stored, to: configuredShards },
          'detector shard count changed (PULSE_DETECTOR_SHARDS): queued windows are queued again for the new shards',
        );
        await setShardCount(db, configuredShards);
      }
      return configuredShards;
    }
    const stored = (await getShardCount(db)) ?? configuredShards;
    if (stored !== configuredShards && warnedCount !== stored) {
      warnedCount = stored;
      log.warn(
        { configured: configuredShards, following: stored },
        'PULSE_DETECTOR_SHARDS differs from the count the detectors use (set by the worker holding shard 0); following theirs',
      );
    }
    return stored;
  }

  /**
   * One poll: takes or gives back shards, coordinates when holding shard 0, and scores the
   * queued entries of the shards held. Returns the entries scored (windows × shards).
   */
  async function tick(): Promise<number> {
    shardCount = (await getShardCount(db)) ?? configuredShards;
    let mine = await locks.ensure(shardCount);
    if (mine.size === 0) return 0;
    const coordinator = mine.has(0);
    const count = await followShardCount(coordinator);
    if (count !== shardCount) {
      shardCount = count;
      mine = await locks.ensure(shardCount);
    }
    if (coordinator) await closeFinalWindows();
    // Seasons before re-scores: a metric just switched to the automatic baseline is re-scored
    // with the season it has, not as robust for want of a check.
    await checkSeasons(db, { windowMs, log, shards: { held: [...mine], count: shardCount } });
    await rescoreRequested(mine);
    if (coordinator) await placeStragglers();
    let scored = 0;
    // Entries in window order; a shard whose entry cannot be claimed waits for the next poll
    // rather than have a later window scored before an earlier one.
    const halted = new Set<number>();
    const guard = { shards: shardCount, scoringKey: SCORING, shardKey: LOCKS };
    for (const entry of await queuedWindows(db, MAX_WINDOWS_PER_TICK, [...mine])) {
      if (stopped) break;
      if (halted.has(entry.shard)) continue;
      const done = await db.transaction(async (tx) => {
        const claim = await claimQueued(tx, entry, { ...guard, pid: locks.pid() });
        if (claim !== 'claimed') return false;
        const notices = await scorer(tx).scoreWindowStart(entry.windowStart, entry.shard);
        await placeNoticed(tx, notices);
        await dequeueWindow(tx, entry);
        for (const notice of notices) await notifyInTransaction(tx, notice);
        return true;
      });
      if (done) scored++;
      else halted.add(entry.shard);
    }
    if (interim && !stopped) {
      await interim.maybeLook(Date.now(), { held: [...locks.held()], count: shardCount });
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
      await locks.release();
    },
  };
}

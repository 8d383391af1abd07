/**
 * File replay, behind `npm run replay -- events.jsonl|events.csv [--speed N | --fast] [...]`
 * (the entry point is workers/replay.ts).
 *
 * Claims source `replay:<name>` partition 0 like every source (db/sources/partition.ts), which
 * fences any other replay of the same source, skips the records already stored (the claim
 * returns the stored next offset, so a re-run resumes instead of counting twice), folds the rest
 * through the partition's Pipeline and writes with its fenced compare-and-set flush. At the end of the file the
 * pipeline's watermark moves past the last window plus the allowed lateness, so every window
 * closes; then, unless --no-wait, a detector runs in this process (or the other processes that
 * hold the detector's shards score) and the replay waits until the replayed windows are scored. Progress
 * goes to stderr (pino), the summary as JSON to stdout.
 *
 * Validation's "now" is the replay clock (lib/ingest/replay.ts), never the wall clock, and flushes are
 * additive, so the same file gives the same rollups and quarantine at any speed and across
 * interruptions.
 */
import { access, constants } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Config } from '@/lib/config/schema';
import { EVENT_LIMITS } from '@/lib/ingest/contract';
import type { Logger } from '@/lib/observability/log';
import {
  clockSeed,
  CsvHeaderError,
  Pacer,
  RunTotals,
  recordTime,
  SEED_RECORDS,
  validationNow,
  windowsOf,
  type ReplayRecord,
} from '@/lib/ingest/replay';
import { readRecords } from '@/workers/services/records';
import type { ReplayArgs, ReplayFormat } from '@/lib/cli/replay-args';
import type { DbHandle } from '@/db/client';
import {
  anomaliesInRange,
  scoringProgress,
  sourceTotals,
  watermarkHolders,
  type AnomalyInRange,
  type SourceTotals,
} from '@/db/queries/replay';
import { SourcePartition } from '@/db/sources/partition';
import { startDetector } from './detector';

const PROGRESS_EVERY_MS = 5000;
const WAIT_POLL_MS = 500;
/** A flush that keeps failing this long ends the replay (re-running it resumes). */
const GIVE_UP_FLUSHING_MS = 120_000;

/** The file cannot be replayed as given (missing, unreadable, a CSV header that cannot map). */
export class ReplayInputError extends Error {
  override name = 'ReplayInputError';
}

export interface ReplayDetection {
  /** complete: scored through the last window; timeout; skipped (--no-wait, interrupted); none: no window to score. */
  status: 'complete' | 'timeout' | 'skipped' | 'none';
  message?: string;
  closedThrough: string | null;
  queued: number;
  anomalies: (Omit<AnomalyInRange, 'firstWindow' | 'lastWindow' | 'peakWindow'> & {
    firstWindow: string;
    lastWindow: string;
    peakWindow: string;
  })[];
}

export interface ReplaySummary {
  file: string;
  format: ReplayFormat;
  source: string;
  speed: number | 'fast';
  /** Records read: JSONL lines (blank ones included), CSV rows after the header. */
  lines: number;
  /** Records below the stored position, already replayed by an earlier run. */
  skipped: number;
  received: number;
  folded: number;
  quarantined: { total: number; byReason: Record<string, number> };
  eventTime: { first: string; last: string } | null;
  windows: { count: number; first: string; last: string; windowMs: number } | null;
  /** What PostgreSQL holds for the source after this run, earlier runs included. */
  stored: (Omit<SourceTotals, 'watermark'> & { watermark: string | null }) | null;
  elapsedMs: number;
  eventsPerSec: number;
  interrupted: boolean;
  detection: ReplayDetection;
}

export interface ReplayDeps {
  cfg: Config;
  log: Logger;
  handle: DbHandle;
  /** Aborting stops reading: what was read is flushed (without closing windows), as for Ctrl-C. */
  signal?: AbortSignal;
}

const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Replays one file; see the module comment. Throws ReplayInputError for a file it cannot read. */
export async function replayFile(args: ReplayArgs, deps: ReplayDeps): Promise<ReplaySummary> {
  const { cfg, log, handle, signal } = deps;
  const source = `replay:${args.sourceName}`;
  const paced = Number.isFinite(args.speed);
  try {
    await access(args.file, constants.R_OK);
  } catch (error) {
    throw new ReplayInputError(`${args.file}: ${(error as Error).message}`);
  }
  const started = performance.now();

  // Read ahead to seed the replay clock from the file's first records (all of them, skipped or
  // not, so that a resumed run has the clock an uninterrupted one had).
  const batches = readRecords(args.file, args.format);
  const head: ReplayRecord[] = [];
  try {
    while (head.length < SEED_RECORDS) {
      const next = await batches.next();
      if (next.done) break;
      head.push(...next.value);
    }
  } catch (error) {
    if (error instanceof CsvHeaderError) throw new ReplayInputError(error.message);
    throw error;
  }
  const seed = clockSeed(head.slice(0, SEED_RECORDS).map(recordTime));

  const totals = new RunTotals();
  const partition = await SourcePartition.claim(
    { sql: handle.sql, log },
    {
      source,
      partition: 0,
      owner: `${hostname()}:${process.pid}:replay`,
      windowMs: cfg.windowMs,
      outOfOrderMs: cfg.outOfOrderMs,
      allowedLatenessMs: cfg.allowedLatenessMs,
      maxValuesPerDim: cfg.maxValuesPerDim,
      // Every drained batch also counts towards the run's totals.
      onDrain: (drained) => totals.add(drained),
    },
  );
  const { pipeline } = partition;
  const resumeAt = partition.storedOffset;
  const closedBefore = (
    await scoringProgress(handle.db, { windowMs: cfg.windowMs, firstWindow: 0, lastWindow: 0 })
  ).closedThrough;

  log.info(
    {
      file: args.file,
      source,
      speed: paced ? args.speed : 'fast',
      resumeAt,
      clock: seed === null ? null : iso(seed),
    },
    resumeAt > 0
      ? `replaying; the first ${resumeAt} records are already stored and are skipped`
      : 'replaying',
  );

  /** Writes what was folded; retries a failed flush until it lands (or gives up). */
  async function flush(): Promise<void> {
    const result = await partition.flushAll({ timeoutMs: GIVE_UP_FLUSHING_MS, minDelayMs: 100 });
    if (result === 'fenced') {
      throw new Error(
        `another process claimed ${source} (a second replay of the same source?); this one stops`,
      );
    }
    if (result === 'failed') {
      throw new Error(
        `PostgreSQL refused flushes for ${GIVE_UP_FLUSHING_MS / 1000}s (${partition.stats.lastError}); run the replay again to resume`,
      );
    }
  }

  let index = 0;
  let skipped = 0;
  let lastFlush = performance.now();
  let lastProgress = lastFlush;
  let paceStart: number | null = null;
  // Pacing starts from the clock (the seed, or where a resumed run left off).
  const clockStart = validationNow(seed, pipeline.newestEventTime(), 0);
  const pacer = new Pacer({
    speed: args.speed,
    reachMs: args.maxGapMs + EVENT_LIMITS.maxFutureMs,
    startTime: Number.isNaN(clockStart) ? null : clockStart,
  });

  function progress(now: number): void {
    if (now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    const clock = pipeline.newestEventTime();
    log.info(
      {
        lines: index,
        received: totals.received + pipeline.pending().received,
        quarantined: totals.quarantinedTotal() + pipeline.pending().quarantined,
        eventTime: clock === null ? null : iso(clock),
        eventsPerSec: Math.round((index - skipped) / ((now - started) / 1000)),
      },
      'replaying',
    );
  }

  /** Flushes when the interval has passed. Only ever before a record is ingested (see below). */
  async function maybeFlush(): Promise<void> {
    const now = performance.now();
    if (now - lastFlush >= cfg.flushIntervalMs) {
      await flush();
      lastFlush = performance.now();
    }
    progress(now);
  }

  async function ingest(records: readonly ReplayRecord[]): Promise<void> {
    for (const record of records) {
      if (signal?.aborted) return;
      const offset = index;
      if (offset < resumeAt) {
        index++;
        skipped++;
        continue;
      }
      if (paced) {
        paceStart ??= performance.now();
        const due = paceStart + pacer.due(recordTime(record));
        for (let wait = due - performance.now(); wait > 1; wait = due - performance.now()) {
          await sleep(Math.min(wait, cfg.flushIntervalMs));
          await maybeFlush();
          if (signal?.aborted) return;
        }
      }
      // Flushes happen before a record is ingested, never after the last one: so the final
      // flush always carries the end of the file together with the closing watermark, and a
      // stored position past every record means the windows were closed too.
      if ((offset & 1023) === 0) await maybeFlush();
      index++;
      const now = validationNow(seed, pipeline.newestEventTime(), args.maxGapMs);
      if (record.kind === 'line') pipeline.ingestLine(record.line, now, offset);
      else pipeline.reject(record.raw, record.reason, record.detail, offset);
    }
  }

  await ingest(head);
  for (;;) {
    if (signal?.aborted) break;
    let next;
    try {
      next = await batches.next();
    } catch (error) {
      throw new ReplayInputError(`${args.file}: ${(error as Error).message}`);
    }
    if (next.done) break;
    await ingest(next.value);
  }
  const interrupted = signal?.aborted === true;
  if (interrupted) {
    await batches.return(undefined);
    log.warn({ lines: index }, 'interrupted: flushing what was read; run again to resume');
  } else {
    if (index < resumeAt) {
      log.warn(
        { records: index, storedPosition: resumeAt },
        'the stored position is past the end of this file: is it the file replayed before under this source? (--source NAME replays it as a new source)',
      );
    }
    const watermark = pipeline.finish();
    if (watermark !== null)
      log.info({ watermark: iso(watermark) }, 'end of file: closing every window');
  }
  await flush();
  const elapsedMs = Math.round(performance.now() - started);

  const stored = await sourceTotals(handle.db, source, 0);
  const folded = pipeline.foldedEventTimes();
  const windows = folded ? windowsOf(folded, cfg.windowMs) : null;
  const byWindow = totals.windowRange();
  const summary: ReplaySummary = {
    file: args.file,
    format: args.format,
    source,
    speed: paced ? args.speed : 'fast',
    lines: index,
    skipped,
    received: totals.received,
    folded: totals.folded,
    quarantined: { total: totals.quarantinedTotal(), byReason: totals.byReason() },
    eventTime: folded ? { first: iso(folded.first), last: iso(folded.last) } : null,
    windows: byWindow
      ? {
          count: byWindow.count,
          first: iso(byWindow.first),
          last: iso(byWindow.last),
          windowMs: cfg.windowMs,
        }
      : null,
    stored: stored
      ? { ...stored, watermark: stored.watermark === null ? null : iso(stored.watermark) }
      : null,
    elapsedMs,
    eventsPerSec: Math.round((index - skipped) / Math.max(elapsedMs / 1000, 0.001)),
    interrupted,
    detection: { status: 'skipped', closedThrough: null, queued: 0, anomalies: [] },
  };
  log.info(
    {
      received: summary.received,
      folded: summary.folded,
      quarantined: summary.quarantined.total,
      elapsedMs,
    },
    'replayed',
  );

  if (interrupted) {
    summary.detection.message = 'interrupted before the end of the file';
  } else if (!windows) {
    summary.detection = {
      status: 'none',
      message:
        summary.skipped > 0
          ? 'nothing new: every record was replayed before'
          : 'no event was folded: no window to score',
      closedThrough: null,
      queued: 0,
      anomalies: [],
    };
  } else if (!args.wait) {
    summary.detection.message = '--no-wait';
  } else {
    summary.detection = await waitForDetector(deps, args, windows, closedBefore);
  }
  return summary;
}

/** Runs a detector here and waits until the windows [first, last] are scored, or times out. */
async function waitForDetector(
  { cfg, log, handle, signal }: ReplayDeps,
  args: ReplayArgs,
  windows: { first: number; last: number },
  closedBefore: number | null,
): Promise<ReplayDetection> {
  const range = { windowMs: cfg.windowMs, firstWindow: windows.first, lastWindow: windows.last };
  const total = (windows.last - windows.first) / cfg.windowMs + 1;
  const notes: string[] = [];
  if (closedBefore !== null && closedBefore >= windows.first) {
    const reclosed = (Math.min(closedBefore, windows.last) - windows.first) / cfg.windowMs + 1;
    notes.push(
      `${reclosed} of the ${total} windows had been closed by the detector before this replay; their new data is scored as a revision`,
    );
  }
  log.info(
    { firstWindow: iso(windows.first), lastWindow: iso(windows.last), windows: total },
    'waiting for the detector to score the replayed windows',
  );
  const detector = startDetector({
    handle,
    log,
    windowMs: cfg.windowMs,
    idleTimeoutMs: cfg.idleTimeoutMs,
    shards: cfg.detectorShards,
    pollMs: WAIT_POLL_MS,
    incidents: { publicUrl: cfg.notify.publicUrl, schedule: cfg.notify.schedule },
  });
  const started = performance.now();
  let lastLog = started;
  let state = await scoringProgress(handle.db, range);
  let status: ReplayDetection['status'] = 'timeout';
  try {
    for (;;) {
      if (
        state.closedThrough !== null &&
        state.closedThrough >= windows.last &&
        state.queued === 0
      ) {
        status = 'complete';
        break;
      }
      if (signal?.aborted) {
        status = 'skipped';
        notes.push('interrupted while waiting for the detector');
        break;
      }
      const now = performance.now();
      if (now - started > args.waitTimeoutMs) break;
      if (now - lastLog > PROGRESS_EVERY_MS) {
        lastLog = now;
        log.info(
          {
            closedThrough: state.closedThrough === null ? null : iso(state.closedThrough),
            queued: state.queued,
            lastWindow: iso(windows.last),
          },
          'waiting for the detector',
        );
      }
      await sleep(WAIT_POLL_MS);
      state = await scoringProgress(handle.db, range);
    }
  } finally {
    await detector.stop();
  }
  if (status === 'timeout') {
    const needed = windows.last + cfg.windowMs;
    const holders = await watermarkHolders(handle.db, needed, cfg.idleTimeoutMs);
    const held = holders
      .slice(0, 5)
      .map(
        (h) =>
          `${h.source}/${h.partition} at ${h.watermark === null ? 'no watermark' : iso(h.watermark)}`,
      );
    notes.unshift(
      `the detector has not scored through ${iso(windows.last)} after ${Math.round(args.waitTimeoutMs / 1000)}s ` +
        `(closed through ${state.closedThrough === null ? 'nothing' : iso(state.closedThrough)}, ${state.queued} windows queued). ` +
        (held.length > 0
          ? `Active partitions hold the global watermark back: ${held.join(', ')}.`
          : 'Another process may hold detector shards without scoring; the events are stored, so they will be scored when it runs.'),
    );
    log.warn(notes[0]);
  }
  const anomalies = await anomaliesInRange(handle.db, windows.first, windows.last);
  return {
    status,
    ...(notes.length > 0 ? { message: notes.join(' ') } : {}),
    closedThrough: state.closedThrough === null ? null : iso(state.closedThrough),
    queued: state.queued,
    anomalies: anomalies.map((a) => ({
      ...a,
      firstWindow: iso(a.firstWindow),
      lastWindow: iso(a.lastWindow),
      peakWindow: iso(a.peakWindow),
    })),
  };
}

/** Exit status of a finished replay: see REPLAY_USAGE. */
export function exitCode(summary: ReplaySummary): number {
  if (summary.interrupted) return 130;
  return summary.detection.status === 'timeout' ? 3 : 0;
}

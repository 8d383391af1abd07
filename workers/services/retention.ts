/**
 * The maintenance loop of a stream worker: at start and every ~10 minutes, the retention pass
 * (expired day partitions dropped, expired default rows, stale worker snapshots and expired
 * sessions deleted) and then the day partitions ahead (db/queries/retention.ts). With several
 * workers one does it at a time: the holder of a PostgreSQL advisory lock, tried (never waited
 * for) at each pass, so a worker that dies mid-pass simply leaves it to the next one. Both steps
 * are idempotent, so a pass cut short is finished by the next.
 *
 * A pass never stops the worker: a failure is logged and the pass tried again at the next
 * tick. Until then the default partitions take any row, and old data is only kept longer.
 */
import type { Logger } from '@/lib/observability/log';
import type { RetentionPolicy } from '@/lib/retention/policy';
import type { DbHandle } from '@/db/client';
import {
  applyRetention,
  ensurePartitions,
  type EnsureReport,
  type MaintenanceOptions,
  type RetentionReport,
} from '@/db/queries/retention';

/** How often the pass runs. */
export const RETENTION_INTERVAL_MS = 10 * 60_000;
/** Longest a stop waits for a pass in progress. */
const STOP_WAIT_MS = 3_000;
/** Arbitrary constant naming the maintenance lock (the detector's is "puls"). */
const RETENTION_LOCK = 0x72657431; // "ret1"

export interface RetentionOptions extends MaintenanceOptions {
  handle: DbHandle;
  log: Logger;
  policy: RetentionPolicy;
  intervalMs?: number;
  /** Clock (epoch ms); tests pass their own. */
  now?: () => number;
}

export interface PassReport {
  retention: RetentionReport;
  partitions: EnsureReport;
}

export interface RetentionService {
  /** Runs one pass now; null when another worker holds the lock (or this one is stopping). */
  runOnce(): Promise<PassReport | null>;
  /** Stops the loop, waiting for a pass in progress. */
  stop(): Promise<void>;
}

/** Creates the service without starting its loop. */
export function createRetention(options: RetentionOptions): RetentionService {
  const { handle, log, policy } = options;
  const now = options.now ?? Date.now;
  let stopped = false;

  async function runOnce(): Promise<PassReport | null> {
    if (stopped) return null;
    const conn = await handle.sql.reserve();
    try {
      const [row] = await conn<
        { locked: boolean }[]
      >`select pg_try_advisory_lock(${RETENTION_LOCK}) as locked`;
      if (!row?.locked) return null;
      try {
        // The work goes through the pool: a pass holds two of its connections at most.
        const at = now();
        const retention = await applyRetention(handle.db, at, policy, options);
        const partitions = await ensurePartitions(handle.db, at, policy, options);
        report(retention, partitions);
        return { retention, partitions };
      } finally {
        await conn`select pg_advisory_unlock(${RETENTION_LOCK})`;
      }
    } finally {
      conn.release();
    }
  }

  function report(retention: RetentionReport, partitions: EnsureReport): void {
    const deleted = Object.values(retention.deletedFromDefault).reduce((a, b) => a + b, 0);
    const summary = {
      dropped: retention.dropped.map((d) => d.partition),
      created: partitions.created.map((c) => c.partition),
      movedRows: partitions.created.reduce((n, c) => n + c.movedRows, 0),
      deletedFromDefault: deleted,
      workerMetricsDeleted: retention.workerMetricsDeleted,
      sessionsDeleted: retention.sessionsDeleted,
    };
    const skipped = [...retention.skipped, ...partitions.skipped];
    if (skipped.length > 0) {
      log.warn(
        { ...summary, skipped: skipped.map((s) => `${s.step} ${s.partition}`) },
        'retention: some partitions were locked by long transactions; next pass tries again',
      );
    } else if (summary.dropped.length + summary.created.length + deleted > 0) {
      log.info(summary, 'retention pass');
    } else {
      log.debug(summary, 'retention pass: nothing to do');
    }
  }

  return {
    runOnce,
    async stop() {
      stopped = true;
    },
  };
}

/** Starts the loop: a pass now, then every `intervalMs`. */
export function startRetention(options: RetentionOptions): RetentionService {
  const service = createRetention(options);
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();

  const tick = () => {
    running = service
      .runOnce()
      .catch((error: unknown) =>
        options.log.warn({ err: error }, 'retention pass failed; retrying at the next one'),
      )
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(tick, options.intervalMs ?? RETENTION_INTERVAL_MS);
        timer.unref();
      });
  };
  tick();

  return {
    runOnce: service.runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await service.stop();
      // A pass is a series of short transactions: one cut by the pool closing rolls back and
      // the next worker's pass does it again, so shutdown waits only so long.
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS))]);
    },
  };
}

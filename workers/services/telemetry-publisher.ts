/**
 * A worker's side of /metrics: every few seconds it upserts its registry's JSON into
 * `worker_metrics` (one row per worker), which the web server merges into /metrics and the
 * health page. Publishing never throws and never blocks the worker: while PostgreSQL is
 * unreachable a snapshot is skipped (the web side then drops this worker after ~30 s). On a
 * clean stop the row is deleted, so a stopped worker disappears at once; a killed one ages out.
 */
import type { Logger } from '@/lib/observability/log';
import { workerSnapshot } from '@/lib/observability/snapshots';
import { type Telemetry } from '@/lib/observability/telemetry';
import type { Sql } from '@/db/client';
import { deleteWorkerSnapshot, upsertWorkerSnapshot } from '@/db/queries/worker-metrics';

/** How often a worker publishes its snapshot. */
export const PUBLISH_INTERVAL_MS = 5_000;

export interface TelemetryPublisher {
  /** Publishes one snapshot now (also what the timer does). Never throws. */
  publish(): Promise<boolean>;
  /** Stops publishing and deletes this worker's row (best effort). */
  stop(): Promise<void>;
}

export function startTelemetryPublisher(options: {
  sql: Sql;
  telemetry: Telemetry;
  /** This worker's name in the `worker` label; unique per process (host:pid). */
  worker: string;
  log: Logger;
  intervalMs?: number;
}): TelemetryPublisher {
  const { sql, telemetry, worker, log } = options;
  let failing = false;
  let stopped = false;
  let inFlight: Promise<boolean> | null = null;

  const publishOnce = async (): Promise<boolean> => {
    try {
      await upsertWorkerSnapshot(sql, worker, await workerSnapshot(telemetry));
      // Rows of workers that died without stopping are deleted by the retention pass
      // (PULSE_RETAIN_WORKER_METRICS, workers/services/retention.ts).
      if (failing) log.info('metrics snapshots published again');
      failing = false;
      return true;
    } catch (error) {
      // The flush path reports PostgreSQL outages; one line here is enough.
      if (!failing) log.warn({ err: error }, 'could not publish the metrics snapshot; retrying');
      failing = true;
      return false;
    }
  };
  const publish = (): Promise<boolean> => {
    if (stopped) return Promise.resolve(false);
    inFlight ??= publishOnce().finally(() => (inFlight = null));
    return inFlight;
  };

  const timer = setInterval(() => void publish(), options.intervalMs ?? PUBLISH_INTERVAL_MS);
  timer.unref();
  void publish();

  return {
    publish,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await inFlight?.catch(() => undefined);
      await deleteWorkerSnapshot(sql, worker).catch((error: unknown) =>
        log.debug({ err: error }, 'could not delete the metrics snapshot (it ages out)'),
      );
    },
  };
}

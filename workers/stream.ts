/**
 * The stream worker: reads NDJSON events from stdin (the simulator's pipe, or any producer) or,
 * when KAFKA_BROKERS is set, consumes the Kafka topic as a member of the consumer group; folds
 * them into event-time windows and flushes additive rollup deltas to PostgreSQL (both through
 * db/sources/partition.ts). It also runs the detector (unless PULSE_DETECTOR=off), which scores
 * a window once the watermark has passed it; with several workers only the holder of the
 * advisory lock scores.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { config, secretReferences } from '@/env';
import { createLogger } from '@/lib/observability/log';
import { createTelemetry } from '@/lib/observability/telemetry';
import { SIMULATOR_SOURCE } from '@/lib/stream/pipeline';
import { createDb } from '@/db/client';
import { SourcePartition } from '@/db/sources/partition';
import { startDetector } from '@/workers/services/detector';
import { startNotifier } from '@/workers/services/notifier/notifier';
import {
  provisionNotifications,
  provisioningOf,
  scheduleOf,
} from '@/workers/services/provisioning';
import { startRetention } from '@/workers/services/retention';
import { KafkaSource } from '@/workers/services/kafka-source';
import { consumeLines } from '@/workers/services/stdin-source';
import { startTelemetryPublisher } from '@/workers/services/telemetry-publisher';

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: { source: { type: 'string', default: SIMULATOR_SOURCE } },
  });
  const cfg = config();
  const log = createLogger('worker', cfg.logLevel);
  // Run by the supervisor (an IPC channel): until the worker can stop cleanly (the handler at
  // the end of main replaces this one), the supervisor's death ends it at once. Starting, it may
  // be waiting on a database that went with the supervisor, and has nothing of its own to flush.
  const goneWhileStarting = () => {
    log.warn('the supervisor is gone while starting; exiting');
    process.exit(1);
  };
  if (process.send) process.once('disconnect', goneWhileStarting);
  if (!cfg.databaseUrl) throw new Error('DATABASE_URL: required by the stream worker');
  // Pool: flushes, the detector's and the dispatcher's leader connections, their writes.
  const handle = createDb(cfg.databaseUrl, { max: 6, appName: 'pulse-worker' });
  const identity = `${hostname()}:${process.pid}`;
  // Metrics: published to worker_metrics every few seconds, merged into the web's /metrics.
  const telemetry = createTelemetry();
  const publisher = startTelemetryPublisher({ sql: handle.sql, telemetry, worker: identity, log });
  // Notification channels, routes and silences declared as code (PULSE_NOTIFY_CONFIG,
  // PULSE_WEBHOOK_URL): applied before anything can write a notification.
  const provisioning = provisioningOf(cfg, secretReferences());
  await provisionNotifications({ db: handle.db, log }, provisioning);
  const incidentSettings = {
    publicUrl: cfg.notify.publicUrl,
    schedule: scheduleOf(cfg, provisioning),
  };
  const detector = cfg.detector
    ? startDetector({
        handle,
        log,
        windowMs: cfg.windowMs,
        idleTimeoutMs: cfg.idleTimeoutMs,
        shards: cfg.detectorShards,
        incidents: incidentSettings,
        // Interim results: the open window is scored every 5 s from the rollups flushed so far.
        interim: { outOfOrderMs: cfg.outOfOrderMs },
      })
    : null;
  // Notifications: every worker runs the dispatcher; one at a time (a leader lock) delivers.
  const notifier = startNotifier({
    db: handle.db,
    sql: handle.sql,
    log,
    telemetry,
    incidents: { ...incidentSettings, baseWindowMs: cfg.windowMs },
  });
  // Retention: one worker at a time drops expired day partitions and creates the next ones.
  const retention = startRetention({ handle, log, policy: cfg.retention });
  const fold = {
    windowMs: cfg.windowMs,
    outOfOrderMs: cfg.outOfOrderMs,
    allowedLatenessMs: cfg.allowedLatenessMs,
    maxValuesPerDim: cfg.maxValuesPerDim,
  };

  let stop: () => Promise<{ fenced: boolean }>;
  /** After stop: logs what the final flush left unwritten; true when something was. */
  let reportUnwritten: () => boolean = () => false;
  if (cfg.kafka) {
    // Kafka mode: consume until SIGTERM/SIGINT; broker and PostgreSQL faults are retried inside
    // the source, nothing transient ends the process.
    const source = new KafkaSource({
      kafka: cfg.kafka,
      sql: handle.sql,
      log,
      flushIntervalMs: cfg.flushIntervalMs,
      telemetry,
      ...fold,
    });
    // kafkajs starts some retries in timers whose promises nobody awaits; a rejection there is
    // a transient fault the source recovers from, not a reason to exit.
    process.on('unhandledRejection', (reason) =>
      log.error({ err: reason }, 'unhandled rejection (ignored; the Kafka source retries)'),
    );
    source.start();
    stop = async () => {
      await source.stop();
      return { fenced: false };
    };
  } else {
    // Claim the partition: fences any earlier worker on this source and gives the stored
    // position, from which offsets and the watermark continue.
    const source = args.source ?? SIMULATOR_SOURCE;
    const partition = await SourcePartition.claim(
      { sql: handle.sql, log, telemetry },
      { source, partition: 0, owner: identity, ...fold },
    );
    telemetry.addSource(() => partition.reading());
    log.info({ source, windowMs: cfg.windowMs }, 'worker reading events from stdin');
    const stdin = consumeLines(process.stdin, partition, {
      flushIntervalMs: cfg.flushIntervalMs,
      log,
    });
    stop = async () => {
      stdin.stop();
      return stdin.done;
    };
    reportUnwritten = () => {
      if (partition.fenced) return true; // the partition logged it
      const { events, quarantined } = partition.pending();
      if (events === 0 && quarantined === 0) {
        log.info(
          { storedOffset: partition.storedOffset },
          'final flush landed: all read is stored',
        );
        return false;
      }
      log.warn(
        { events, quarantined, storedOffset: partition.storedOffset },
        'stopping with events not written (not stored as consumed: the simulator generates ' +
          'them again on restart, another producer must send them again)',
      );
      return true;
    };
    // Input that ends (a producer that finished) stops the worker as a signal would.
    void stdin.done.then(() => shutdown('end of input'));
  }

  // Stopping is bounded: with PostgreSQL gone, the final flush's attempts and the detector's and
  // publisher's queries each wait behind the client's reconnect backoff (up to 20 s a try), and
  // the worker would outlive whoever asked it to stop. Under `npm start` this stays below the
  // supervisor's grace period (7 s); Kafka's own timeouts (commit, leaving the group) bound it.
  const budgetMs = cfg.kafka ? 25_000 : 6_000;
  let stopping: Promise<void> | null = null;
  function shutdown(reason: string): Promise<void> {
    stopping ??= (async () => {
      log.info({ reason }, 'stopping');
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        (async () => {
          const { fenced } = await stop();
          await detector?.stop();
          await notifier.stop();
          await retention.stop();
          await publisher.stop();
          await handle.close();
          return { fenced };
        })(),
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), budgetMs))),
      ]);
      clearTimeout(timer);
      if (!finished) log.warn({ budgetMs }, 'stopping took too long; exiting without waiting');
      const unwritten = reportUnwritten();
      log.info('worker stopped');
      process.exit(!finished || finished.fenced || unwritten ? 1 : 0);
    })();
    return stopping;
  }
  // `on`, not `once`: a second signal must not end the process before its final flush.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Run by the supervisor (an IPC channel): stop when it is gone, killed without stopping us.
  if (process.send) {
    process.off('disconnect', goneWhileStarting);
    process.on('disconnect', () => void shutdown('the supervisor is gone'));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

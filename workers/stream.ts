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
import { config } from '@/env';
import { createLogger } from '@/lib/observability/log';
import { createTelemetry } from '@/lib/observability/telemetry';
import { SIMULATOR_SOURCE } from '@/lib/stream/pipeline';
import { createDb } from '@/db/client';
import { SourcePartition } from '@/db/sources/partition';
import { startDetector } from '@/workers/services/detector';
import { KafkaSource } from '@/workers/services/kafka-source';
import { consumeLines } from '@/workers/services/stdin-source';
import { startTelemetryPublisher } from '@/workers/services/telemetry-publisher';

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: { source: { type: 'string', default: SIMULATOR_SOURCE } },
  });
  const cfg = config();
  const log = createLogger('worker', cfg.logLevel);
  if (!cfg.databaseUrl) throw new Error('DATABASE_URL: required by the stream worker');
  const handle = createDb(cfg.databaseUrl, { max: 4, appName: 'pulse-worker' });
  const identity = `${hostname()}:${process.pid}`;
  // Metrics: published to worker_metrics every few seconds, merged into the web's /metrics.
  const telemetry = createTelemetry();
  const publisher = startTelemetryPublisher({ sql: handle.sql, telemetry, worker: identity, log });
  const detector = cfg.detector
    ? startDetector({ handle, log, windowMs: cfg.windowMs, idleTimeoutMs: cfg.idleTimeoutMs })
    : null;
  const fold = {
    windowMs: cfg.windowMs,
    outOfOrderMs: cfg.outOfOrderMs,
    allowedLatenessMs: cfg.allowedLatenessMs,
    maxValuesPerDim: cfg.maxValuesPerDim,
  };

  let stop: () => Promise<{ fenced: boolean }>;
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
    // Input that ends (a producer that finished) stops the worker as a signal would.
    void stdin.done.then(() => shutdown('end of input'));
  }

  let stopping: Promise<void> | null = null;
  function shutdown(reason: string): Promise<void> {
    stopping ??= (async () => {
      log.info({ reason }, 'stopping');
      const { fenced } = await stop();
      await detector?.stop();
      await publisher.stop();
      await handle.close();
      log.info('worker stopped');
      process.exit(fenced ? 1 : 0);
    })();
    return stopping;
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

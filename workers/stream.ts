/**
 * The stream worker: reads NDJSON events from stdin (the simulator's pipe, or any producer) or,
 * when KAFKA_BROKERS is set, consumes the Kafka topic as a member of the consumer group (see
 * workers/services/kafka-source.ts); folds them into event-time windows and flushes additive rollup
 * deltas to PostgreSQL. It also runs the detector (unless PULSE_DETECTOR=off), which scores a
 * window once the watermark has passed it; with several workers only the holder of the
 * advisory lock scores.
 */
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { config } from '@/env';
import { type Config } from '@/lib/config/schema';
import { createLogger, type Logger } from '@/lib/observability/log';
import { Pipeline, SIMULATOR_SOURCE } from '@/lib/stream/pipeline';
import { createTelemetry, type Telemetry } from '@/lib/observability/telemetry';
import { createDb, type DbHandle } from '@/db/client';
import { claimPartitions } from '@/db/queries/stream';
import { startDetector, type Detector } from '@/workers/services/detector';
import { Flusher } from '@/db/sources/flusher';
import { KafkaSource } from '@/workers/services/kafka-source';
import {
  startTelemetryPublisher,
  type TelemetryPublisher,
} from '@/workers/services/telemetry-publisher';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: { source: { type: 'string', default: SIMULATOR_SOURCE } },
  });
  const cfg = config();
  const log = createLogger('worker', cfg.logLevel);
  if (!cfg.databaseUrl) throw new Error('DATABASE_URL: required by the stream worker');
  const handle = createDb(cfg.databaseUrl, { max: 4, appName: 'pulse-worker' });
  // Metrics: published to worker_metrics every few seconds, merged into the web's /metrics.
  const telemetry = createTelemetry();
  const metrics = {
    telemetry,
    publisher: startTelemetryPublisher({
      sql: handle.sql,
      telemetry,
      worker: `${hostname()}:${process.pid}`,
      log,
    }),
  };
  const detector = cfg.detector
    ? startDetector({ handle, log, windowMs: cfg.windowMs, idleTimeoutMs: cfg.idleTimeoutMs })
    : null;
  if (cfg.kafka) return consumeKafka(cfg, cfg.kafka, handle, log, detector, metrics);
  const source = args.source ?? SIMULATOR_SOURCE;
  // Claim the partition: fences any earlier worker on this source and gives the stored
  // position, from which offsets and the watermark continue.
  const [claim] = await claimPartitions(handle.sql, {
    source,
    owner: `${hostname()}:${process.pid}`,
    partitions: [0],
  });
  if (!claim) throw new Error(`could not claim ${source}/0`);

  const pipeline = new Pipeline({
    source,
    partition: 0,
    windowMs: cfg.windowMs,
    outOfOrderMs: cfg.outOfOrderMs,
    allowedLatenessMs: cfg.allowedLatenessMs,
    maxValuesPerDim: cfg.maxValuesPerDim,
    resumeFrom: { nextOffset: claim.nextOffset, watermark: claim.watermark },
  });
  const flusher = new Flusher(
    handle.sql,
    { source, partition: 0, generation: claim.generation, nextOffset: claim.nextOffset },
    log,
    telemetry,
  );
  telemetry.addSource(() => ({
    source,
    buffer: {
      events: pipeline.pending().received + flusher.heldEvents,
      cells: pipeline.pending().cells,
      heldFlushes: flusher.backlogged ? 1 : 0,
    },
    partitions: [{ partition: 0, consumerLag: null, watermark: flusher.watermark }],
  }));

  let inputDone = false;
  let stopping = false;
  let fenced = false;

  const flushLoop = (async () => {
    while (!stopping && !inputDone) {
      await sleep(flusher.backlogged ? flusher.retryDelayMs : cfg.flushIntervalMs);
      if ((await flusher.flush(pipeline)) === 'fenced') {
        fenced = true;
        stop();
        return;
      }
    }
    // Final flush: a few quick attempts. If PostgreSQL is gone (Ctrl-C reaches it too), give
    // up: nothing was stored as consumed, so the source delivers these events again on restart.
    for (let attempt = 0; attempt < 6; attempt++) {
      const result = await flusher.flush(pipeline);
      if (result === 'fenced') {
        fenced = true;
        return;
      }
      // 'ok' after retrying a held flush: what arrived meanwhile goes in the next round.
      if (result === 'ok' && pipeline.pending().received === 0) return;
      if (result === 'failed') await sleep(400);
    }
    log.warn('final flush failed; the unflushed events will be read again on restart');
  })();

  const overflowReported = new Set<string>();
  const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
  function stop() {
    stopping = true;
    input.close();
  }
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  log.info({ source, windowMs: cfg.windowMs }, 'worker reading events from stdin');
  let lines = 0;
  for await (const line of input) {
    pipeline.ingestLine(line, Date.now());
    if (++lines % 1024 === 0) {
      // Backpressure: while PostgreSQL is unreachable, stop reading; the pipe fills and the
      // producer blocks, instead of this process growing without bound.
      while (flusher.backlogged && !stopping) await sleep(100);
      for (const dim of pipeline.overflowedDims()) {
        if (!overflowReported.has(dim)) {
          overflowReported.add(dim);
          log.warn(
            { dim, limit: cfg.maxValuesPerDim },
            "dimension over its value limit; the rest fold into '(other)'",
          );
        }
      }
    }
  }
  inputDone = true;
  log.info({ lines }, stopping ? 'stopping: final flush' : 'input ended: final flush');
  await flushLoop;
  await detector?.stop();
  await metrics.publisher.stop();
  await handle.close();
  log.info('worker stopped');
  process.exit(fenced ? 1 : 0);
}

/**
 * Kafka mode: consume until SIGTERM/SIGINT, then stop consuming, flush, leave the group. Broker
 * and PostgreSQL faults are retried inside the source; nothing transient ends the process.
 */
async function consumeKafka(
  cfg: Config,
  kafka: NonNullable<Config['kafka']>,
  handle: DbHandle,
  log: Logger,
  detector: Detector | null,
  metrics: { telemetry: Telemetry; publisher: TelemetryPublisher },
): Promise<void> {
  const source = new KafkaSource({
    kafka,
    sql: handle.sql,
    log,
    windowMs: cfg.windowMs,
    outOfOrderMs: cfg.outOfOrderMs,
    flushIntervalMs: cfg.flushIntervalMs,
    maxValuesPerDim: cfg.maxValuesPerDim,
    allowedLatenessMs: cfg.allowedLatenessMs,
    telemetry: metrics.telemetry,
  });
  // kafkajs starts some retries in timers whose promises nobody awaits; a rejection there is a
  // transient fault the source recovers from, not a reason to exit.
  process.on('unhandledRejection', (reason) =>
    log.error({ err: reason }, 'unhandled rejection (ignored; the Kafka source retries)'),
  );
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  source.start();
  const signal = await stopped;
  log.info({ signal }, 'stopping: final flush');
  await source.stop();
  await detector?.stop();
  await metrics.publisher.stop();
  await handle.close();
  log.info('worker stopped');
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

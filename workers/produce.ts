/**
 * The load generator: `npm run produce -- --rate N --scenario NAME [--seconds S] [--backfill D]`
 * publishes simulated telemetry to the Kafka topic (KAFKA_BROKERS, KAFKA_TOPIC) as JSON values,
 * keyed by a synthetic session id so the load spreads over partitions. Incidents of the chosen
 * scenarios are scheduled like the simulator process does (first after
 * PULSE_SIM_FIRST_INCIDENT, each PULSE_SIM_INCIDENT_DURATION long, PULSE_SIM_INCIDENT_GAP
 * apart); with DATABASE_URL set, each is recorded in PostgreSQL as ground truth when it starts.
 */
import {
  Kafka,
  logLevel as kafkaLogLevel,
  Partitioners,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { config } from '@/env';
import { backoffMs, messageKey } from '@/lib/ingest/kafka';
import { createLogger, type Logger } from '@/lib/observability/log';
import { parseProduceArgs, PRODUCE_USAGE, UsageError } from '@/lib/cli/produce-args';
import { Simulator } from '@/lib/simulator/generator';
import { schedule, type Injection } from '@/lib/simulator/scenarios';
import type { PulseEvent } from '@/lib/types';
import { createDb, type DbHandle } from '@/db/client';
import { startDueInjections } from '@/workers/services/injections';

const TICK_MS = 250;
const BACKFILL_CHUNK_MS = 5_000;
const MAX_MESSAGES_PER_SEND = 5_000;
const MONTH_MS = 30 * 86_400_000;

async function main(): Promise<void> {
  const cfg = config();
  let args;
  try {
    args = parseProduceArgs(process.argv.slice(2), cfg.simulator);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${PRODUCE_USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(PRODUCE_USAGE);
    return;
  }
  if (!cfg.kafka) {
    console.error('KAFKA_BROKERS: required by npm run produce (host:port[,host:port…])');
    process.exit(2);
  }
  const { topic } = cfg.kafka;
  const log = createLogger('produce', cfg.logLevel);

  const startedAt = Date.now();
  const endsAt = args.seconds === null ? null : startedAt + args.seconds * 1000;
  const injections = schedule({
    startMs: startedAt,
    firstAfterMs: cfg.simulator.firstIncidentMs,
    durationMs: cfg.simulator.incidentDurationMs,
    gapMs: cfg.simulator.incidentGapMs,
    scenarios: args.scenarios,
    untilMs: endsAt ?? startedAt + MONTH_MS,
  });
  const simulator = new Simulator({ seed: args.seed, ratePerSec: args.ratePerSec, injections });
  const pending: Injection[] = [...injections];
  const handle: DbHandle | null = cfg.databaseUrl
    ? createDb(cfg.databaseUrl, { max: 1, appName: 'pulse-produce' })
    : null;

  const kafka = new Kafka({
    clientId: `${cfg.kafka.clientId}-producer`,
    brokers: cfg.kafka.brokers,
    connectionTimeout: 3000,
    logLevel: kafkaLogLevel.WARN,
    logCreator: kafkaLogCreator(log),
  });
  // Not idempotent: kafkajs marks that mode experimental and librdkafka's mock cluster (the
  // tests' broker) cannot serve it. A send retried after a lost acknowledgement can therefore
  // duplicate events; the workers count every record they are given exactly once.
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });

  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  await producer.connect();
  const publisher = new Publisher(producer, topic, log, () => stopped);
  log.info(
    {
      topic,
      rate: args.ratePerSec,
      scenarios: args.scenarios,
      seconds: args.seconds,
      backfillMinutes: Math.round(args.backfillMs / 60_000),
      recordsInjections: handle !== null,
    },
    'producing simulated telemetry to Kafka',
  );

  // Back-fill history as fast as Kafka takes it, then run live.
  let cursor = startedAt - args.backfillMs;
  while (!stopped && cursor < startedAt) {
    const to = Math.min(startedAt, cursor + BACKFILL_CHUNK_MS);
    await publisher.publish(simulator.generate(cursor, to));
    cursor = to;
  }
  if (args.backfillMs > 0) log.info({ events: publisher.sent }, 'back-fill done; running live');

  while (!stopped) {
    const now = Date.now();
    const until = endsAt === null ? now : Math.min(now, endsAt);
    await startDueInjections(pending, until, handle?.db ?? null, log);
    if (until > cursor) {
      await publisher.publish(simulator.generate(cursor, until));
      cursor = until;
    }
    if (endsAt !== null && cursor >= endsAt) break;
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }

  await producer.disconnect();
  await handle?.close();
  log.info({ events: publisher.sent }, 'producer stopped');
}

/** Sends events in bounded batches; a failed send is retried (kafkajs retries first). */
class Publisher {
  sent = 0;
  private seq = 0;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly log: Logger,
    private readonly stopped: () => boolean,
  ) {}

  async publish(events: readonly PulseEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_MESSAGES_PER_SEND) {
      const messages = events.slice(i, i + MAX_MESSAGES_PER_SEND).map((event) => ({
        key: messageKey(this.seq++),
        value: JSON.stringify(event),
      }));
      for (let failures = 0; ; failures++) {
        try {
          await this.producer.send({ topic: this.topic, acks: -1, messages });
          this.sent += messages.length;
          break;
        } catch (error) {
          if (this.stopped()) return;
          const waitMs = backoffMs(failures + 1, 500, 10_000);
          this.log.warn({ err: error, retryInMs: waitMs }, 'send failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, waitMs));
        }
      }
    }
  }
}

function kafkaLogCreator(log: Logger) {
  const kafkaLog = log.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...details } = entry;
      const method =
        level <= kafkaLogLevel.ERROR ? 'error' : level <= kafkaLogLevel.WARN ? 'warn' : 'info';
      kafkaLog[method]({ namespace, ...details }, message);
    };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * The load generator: `npm run produce -- --rate N --scenario NAME [--seconds S] [--backfill D]`
 * publishes simulated telemetry to the Kafka topic (KAFKA_BROKERS, KAFKA_TOPIC) as JSON values,
 * keyed by a synthetic session id so the load spreads over partitions. Incidents of the chosen
 * scenarios are scheduled like the simulator process does (first after
 * PULSE_SIM_FIRST_INCIDENT, each PULSE_SIM_INCIDENT_DURATION long, PULSE_SIM_INCIDENT_GAP
 * apart); with DATABASE_URL set, each is recorded in PostgreSQL as ground truth when it starts.
 */
import { config } from '@/env';
import { parseProduceArgs, PRODUCE_USAGE } from '@/lib/cli/produce-args';
import { UsageError } from '@/lib/cli/usage';
import { createLogger } from '@/lib/observability/log';
import { Simulator } from '@/lib/simulator/generator';
import { schedule } from '@/lib/simulator/scenarios';
import { createDb } from '@/db/client';
import { connectProducer, Publisher } from '@/workers/services/kafka-producer';
import { feedSimulated } from '@/workers/services/simulated-feed';

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
  const handle = cfg.databaseUrl
    ? createDb(cfg.databaseUrl, { max: 1, appName: 'pulse-produce' })
    : null;

  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  const producer = await connectProducer({
    clientId: `${cfg.kafka.clientId}-producer`,
    brokers: cfg.kafka.brokers,
    log,
  });
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
  await feedSimulated({
    simulator,
    pending: [...injections],
    backfillFrom: startedAt - args.backfillMs,
    liveFrom: startedAt,
    endsAt,
    write: (events) => publisher.publish(events),
    db: handle?.db ?? null,
    log,
    stopped: () => stopped,
  });
  await producer.disconnect();
  await handle?.close();
  log.info({ events: publisher.sent }, 'producer stopped');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

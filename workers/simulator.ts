/**
 * The simulator process: writes product telemetry as NDJSON to stdout (the supervisor pipes it
 * into the stream worker). It first back-fills recent history as fast as the pipe takes it, so
 * the detector has a baseline at once, then runs in real time, injecting incidents on a
 * schedule. Every injection is recorded in PostgreSQL as ground truth when it starts.
 */
import { config } from '@/env';
import { createLogger } from '@/lib/observability/log';
import { Simulator, toNdjson } from '@/lib/simulator/generator';
import { schedule } from '@/lib/simulator/scenarios';
import { createDb } from '@/db/client';
import { partitionWatermark } from '@/db/queries/stream';
import { SIMULATOR_SOURCE } from '@/lib/stream/pipeline';
import { feedSimulated } from '@/workers/services/simulated-feed';

async function write(chunk: string): Promise<void> {
  if (chunk.length === 0) return;
  if (!process.stdout.write(chunk)) {
    await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}

async function main(): Promise<void> {
  const cfg = config();
  const sim = cfg.simulator;
  const log = createLogger('simulator', cfg.logLevel);
  if (!cfg.databaseUrl) throw new Error('DATABASE_URL: required by the simulator');
  const handle = createDb(cfg.databaseUrl, { max: 1, appName: 'pulse-simulator' });

  const startedAt = Date.now();
  const injections = schedule({
    startMs: startedAt,
    firstAfterMs: sim.firstIncidentMs,
    durationMs: sim.incidentDurationMs,
    gapMs: sim.incidentGapMs,
    scenarios: sim.scenarios,
    untilMs: startedAt + 30 * 86_400_000,
  });
  const simulator = new Simulator({ seed: sim.seed, ratePerSec: sim.ratePerSec, injections });

  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.on('error', stop); // the worker went away: the supervisor restarts us both

  // Back-fill history from startedAt − backfill up to startedAt. After a restart, resume after
  // the newest event time already folded instead of adding that history twice.
  const folded = await partitionWatermark(handle.db, SIMULATOR_SOURCE, 0);
  let from = startedAt - sim.backfillMs;
  if (folded !== null) from = Math.max(from, Math.min(startedAt, folded + cfg.outOfOrderMs));
  log.info(
    { from: new Date(from).toISOString(), resumed: folded !== null, rate: sim.ratePerSec },
    'back-filling history',
  );
  await feedSimulated({
    simulator,
    pending: [...injections],
    backfillFrom: from,
    liveFrom: startedAt,
    endsAt: null,
    write: (events) => write(toNdjson(events)),
    db: handle.db,
    log,
    stopped: () => stopped,
  });
  await handle.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

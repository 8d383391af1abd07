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

let stopped = false;
/** Wakes a write waiting for the pipe to drain: the worker stops reading when it stops. */
let wakeWriter: () => void = () => undefined;

async function write(chunk: string): Promise<void> {
  if (chunk.length === 0 || stopped) return;
  if (!process.stdout.write(chunk)) {
    await new Promise<void>((resolve) => {
      wakeWriter = resolve;
      process.stdout.once('drain', resolve);
    });
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

  const stop = () => {
    stopped = true;
    wakeWriter();
  };
  // `on`, not `once`: a second signal must not end the process by default mid-write.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.on('error', stop); // the worker went away: the supervisor restarts us both
  // Run by the supervisor (an IPC channel): stop when it is gone, killed without stopping us.
  if (process.send) process.on('disconnect', stop);

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

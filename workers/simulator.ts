/**
 * The simulator process: writes product telemetry as NDJSON to stdout (the supervisor pipes it
 * into the stream worker). It first back-fills recent history as fast as the pipe takes it, so
 * the detector has a baseline at once, then runs in real time, injecting incidents on a
 * schedule. Every injection is recorded in PostgreSQL as ground truth when it starts.
 */
import { config } from '@/env';
import { createLogger } from '@/lib/observability/log';
import { Simulator } from '@/lib/simulator/generator';
import { schedule, type Injection } from '@/lib/simulator/scenarios';
import { toNdjson } from '@/lib/simulator/generator';
import { createDb } from '@/db/client';
import { partitionWatermark } from '@/db/queries/stream';
import { SIMULATOR_SOURCE } from '@/lib/stream/pipeline';
import { startDueInjections } from '@/workers/services/injections';

const TICK_MS = 250;
const BACKFILL_CHUNK_MS = 5_000;

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
  const pending: Injection[] = [...injections];

  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.on('error', stop); // the worker went away: the supervisor restarts us both

  // Back-fill history from startedAt − backfill up to startedAt, in chunks. After a restart,
  // resume after the newest event time already folded instead of adding that history twice.
  const folded = await partitionWatermark(handle.db, SIMULATOR_SOURCE, 0);
  let cursor = startedAt - sim.backfillMs;
  if (folded !== null) cursor = Math.max(cursor, Math.min(startedAt, folded + cfg.outOfOrderMs));
  log.info(
    { from: new Date(cursor).toISOString(), resumed: folded !== null, rate: sim.ratePerSec },
    'back-filling history',
  );
  while (!stopped && cursor < startedAt) {
    const to = Math.min(startedAt, cursor + BACKFILL_CHUNK_MS);
    await write(toNdjson(simulator.generate(cursor, to)));
    cursor = to;
  }
  log.info(
    {
      next: pending[0]?.scenario,
      at: pending[0] ? new Date(pending[0].startsAt).toISOString() : null,
    },
    'back-fill done; running live',
  );

  // Live: every tick, the events whose time has come.
  while (!stopped) {
    const now = Date.now();
    await startDueInjections(pending, now, handle.db, log);
    if (now > cursor) {
      await write(toNdjson(simulator.generate(cursor, now)));
      cursor = now;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await handle.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * Simulated telemetry, fed somewhere: the simulator process writes it to stdout (piped into the
 * stream worker), `npm run produce` publishes it to Kafka. Both back-fill recent history as fast
 * as the destination takes it, so the detector has a baseline at once, then run in real time,
 * starting each scheduled incident when its time comes (recorded in PostgreSQL as ground truth
 * when a database is given).
 */
import type { Logger } from '@/lib/observability/log';
import type { Simulator } from '@/lib/simulator/generator';
import type { Injection } from '@/lib/simulator/scenarios';
import type { PulseEvent } from '@/lib/types';
import type { Db } from '@/db/client';
import { startDueInjections } from './injections';

const TICK_MS = 250;
const BACKFILL_CHUNK_MS = 5_000;

export interface FeedOptions {
  simulator: Simulator;
  /** Scheduled incidents, sorted by start; taken off the front as they start. */
  pending: Injection[];
  /** Back-fill from here up to `liveFrom`, then run live. */
  backfillFrom: number;
  liveFrom: number;
  /** Stop once event time reaches this (null: until stopped). */
  endsAt: number | null;
  /** Hands events over; resolves when the destination took them (backpressure). */
  write(events: readonly PulseEvent[]): Promise<void>;
  /** Where started incidents are recorded as ground truth (null: only logged). */
  db: Db | null;
  log: Logger;
  stopped(): boolean;
}

/** Runs the feed until stopped or `endsAt`. Resolves to the event time reached. */
export async function feedSimulated(options: FeedOptions): Promise<number> {
  const { simulator, pending, write, log, stopped } = options;
  let cursor = options.backfillFrom;
  while (!stopped() && cursor < options.liveFrom) {
    const to = Math.min(options.liveFrom, cursor + BACKFILL_CHUNK_MS);
    await write(simulator.generate(cursor, to));
    cursor = to;
  }
  log.info(
    {
      next: pending[0]?.scenario,
      at: pending[0] ? new Date(pending[0].startsAt).toISOString() : null,
    },
    'back-fill done; running live',
  );
  while (!stopped()) {
    const now = Date.now();
    const until = options.endsAt === null ? now : Math.min(now, options.endsAt);
    await startDueInjections(pending, until, options.db, log);
    if (until > cursor) {
      await write(simulator.generate(cursor, until));
      cursor = until;
    }
    if (options.endsAt !== null && cursor >= options.endsAt) break;
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  return cursor;
}

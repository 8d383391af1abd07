/** Shared by the simulator process and the Kafka load generator: incidents whose time came. */
import type { Logger } from '@/lib/observability/log';
import type { Injection } from '@/lib/simulator/scenarios';
import type { Db } from '@/db/client';
import { insertInjections } from '@/db/queries/injections';

/**
 * Takes the injections that start at or before `now` off the front of `pending` (sorted by
 * start), records each as ground truth when a database is given, and logs it.
 */
export async function startDueInjections(
  pending: Injection[],
  now: number,
  db: Db | null,
  log: Logger,
): Promise<void> {
  while (pending.length > 0 && pending[0]!.startsAt <= now) {
    const injection = pending.shift()!;
    if (db) {
      await insertInjections(db, [
        {
          scenario: injection.scenario,
          metricKey: injection.metricKey,
          description: injection.description,
          rootCause: injection.rootCause,
          startsAt: new Date(injection.startsAt),
          endsAt: new Date(injection.endsAt),
        },
      ]).catch((error: unknown) => log.warn({ err: error }, 'could not record injection'));
    }
    log.info(
      { scenario: injection.scenario, until: new Date(injection.endsAt).toISOString() },
      `incident injected: ${injection.description}`,
    );
  }
}

/**
 * Use case: an admin re-ingests selected quarantined events. The work, in one transaction of its
 * own, is db/sources/reingest.ts: it folds the events not re-ingested yet through the pipeline as
 * source `reingest` and marks them. This adds what the web process owes around it: a clear 409
 * when another re-ingest holds the rows, and the web process's flush counters.
 */
import { ConflictError } from '@/lib/errors';
import type { Logger } from '@/lib/observability/log';
import type { Telemetry } from '@/lib/observability/telemetry';
import type { Sql } from '@/db/client';
import type { SessionUser } from '@/db/queries/auth';
import type { ReingestResult } from '@/lib/views';
import { REINGEST_SOURCE, reingestQuarantined } from '@/db/sources/reingest';

export interface ReingestInput {
  ids: number[];
  user: SessionUser;
  windowMs: number;
  outOfOrderMs: number;
  maxValuesPerDim: number;
}

/** The counts, and why any event was refused. */
export async function reingestEvents(
  deps: { sql: Sql; log: Logger; telemetry: Telemetry; now: () => number },
  input: ReingestInput,
): Promise<ReingestResult> {
  let result: ReingestResult;
  try {
    result = await reingestQuarantined(deps.sql, {
      ids: input.ids,
      userId: input.user.id,
      windowMs: input.windowMs,
      outOfOrderMs: input.outOfOrderMs,
      maxValuesPerDim: input.maxValuesPerDim,
      now: deps.now(),
    });
  } catch (error) {
    // lock_not_available: another transaction holds these rows (a re-ingest in progress).
    if ((error as { code?: unknown }).code === '55P03') {
      throw new ConflictError('These events are being re-ingested right now. Try again.');
    }
    throw error;
  }
  if (result.reingested > 0) {
    deps.telemetry.countFlushPart(REINGEST_SOURCE, 'written', {
      rows: result.rows,
      folded: result.folded,
      quarantinedReasons: Object.entries(result.quarantinedByReason).flatMap(([reason, n]) =>
        Array<string>(n).fill(reason),
      ),
    });
  }
  deps.log.info(
    { user: input.user.username, requested: result.requested, reingested: result.reingested },
    'quarantined events re-ingested',
  );
  return result;
}

import { NextResponse } from 'next/server';
import { z } from 'zod';
import { REINGEST_MAX_IDS, REINGEST_SOURCE, reingestQuarantined } from '@/db/sources/reingest';
import { config } from '@/env';
import { NO_STORE, parseWith, readJson } from '@/app/_server/http';
import { assertSameOrigin, handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';
import { getSql } from '@/app/_server/sql';
import { webTelemetry } from '@/app/_server/metrics-endpoint';

export const dynamic = 'force-dynamic';

const body = z.object({
  ids: z
    .array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER), {
      error: 'expected a list of quarantine ids',
    })
    .min(1, { error: 'choose at least one event' })
    .max(REINGEST_MAX_IDS, { error: `at most ${REINGEST_MAX_IDS} at a time` }),
});

/**
 * Re-ingests selected quarantined events (admins only): one transaction folds the ones not
 * re-ingested yet through the pipeline as source `reingest` and marks them (see
 * db/sources/reingest.ts). Answers with the counts, and why any were refused.
 */
export const POST = handle(async (request: Request) => {
  assertSameOrigin(request);
  const user = await requireApiUser('admin');
  const { ids } = parseWith(body, await readJson(request), 'Choose the events to re-ingest.');
  const cfg = config();
  let result;
  try {
    result = await reingestQuarantined(getSql(), {
      ids,
      userId: user.id,
      windowMs: cfg.windowMs,
      outOfOrderMs: cfg.outOfOrderMs,
      maxValuesPerDim: cfg.maxValuesPerDim,
    });
  } catch (error) {
    // lock_not_available: another transaction holds these rows (a re-ingest in progress).
    if ((error as { code?: unknown }).code === '55P03') {
      throw new HttpError(409, 'These events are being re-ingested right now. Try again.');
    }
    throw error;
  }
  if (result.reingested > 0) {
    webTelemetry().countFlushPart(REINGEST_SOURCE, 'written', {
      rows: result.rows,
      folded: result.folded,
      quarantinedReasons: Object.entries(result.quarantinedByReason).flatMap(([reason, n]) =>
        Array<string>(n).fill(reason),
      ),
    });
  }
  return NextResponse.json(result, { headers: NO_STORE });
});

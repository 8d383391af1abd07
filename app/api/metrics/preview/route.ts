import { NextResponse } from 'next/server';
import { previewDefinition } from '@/db/queries/metric-definitions';
import { config } from '@/env';
import { validateDefinition } from '@/lib/metrics/definition';
import { NO_STORE, readJson } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { assertSameOrigin, handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';

export const dynamic = 'force-dynamic';

/**
 * The last hour of values of a draft definition, computed from the stored rollups (or the
 * leaf cube for filters on several dimensions) as the detector would. Nothing is written.
 * Key and name are not needed to preview.
 */
export const POST = handle(async (request: Request) => {
  assertSameOrigin(request);
  await requireApiUser('viewer');
  let raw: unknown;
  try {
    raw = await readJson(request);
  } catch (error) {
    // The form aborts a preview the user has typed past: nobody waits for an answer.
    if (request.signal.aborted || (error instanceof Error && error.message === 'aborted')) {
      return new Response(null, { status: 499 });
    }
    throw error;
  }
  const checked = validateDefinition({
    ...(typeof raw === 'object' && raw !== null ? raw : {}),
    key: 'draft',
    name: 'Draft',
  });
  if (!checked.ok) {
    throw new HttpError(
      400,
      'The draft is not complete yet.',
      checked.errors as Record<string, string>,
    );
  }
  const preview = await previewDefinition(getDb(), checked.definition, {
    baseWindowMs: config().windowMs,
  });
  return NextResponse.json(preview, { headers: NO_STORE });
});

import { NextResponse } from 'next/server';
import {
  createMetric,
  listMetricItems,
  MetricKeyTakenError,
  toListItem,
} from '@/db/queries/metric-definitions';
import { validateDefinition } from '@/lib/metrics/definition';
import { NO_STORE, readJson } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { assertSameOrigin, handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';

export const dynamic = 'force-dynamic';

/** Every metric, enabled or not, with its last scored window. */
export const GET = handle(async () => {
  await requireApiUser('viewer');
  return NextResponse.json({ metrics: await listMetricItems(getDb()) }, { headers: NO_STORE });
});

/**
 * Creates a metric (editors only). Field errors come back as `fields`, keyed like the form
 * (`key`, `eventType`, `filters.region`, …). The detector scores it from the next window.
 */
export const POST = handle(async (request: Request) => {
  assertSameOrigin(request);
  const user = await requireApiUser('editor');
  const checked = validateDefinition(await readJson(request));
  if (!checked.ok) {
    throw new HttpError(
      400,
      'Check the highlighted fields.',
      checked.errors as Record<string, string>,
    );
  }
  try {
    const row = await createMetric(getDb(), checked.definition, user.id);
    console.info(`metric ${row.key} created by ${user.username}`);
    return NextResponse.json({ metric: toListItem(row, null) }, { status: 201, headers: NO_STORE });
  } catch (error) {
    if (error instanceof MetricKeyTakenError) {
      throw new HttpError(409, 'Check the highlighted fields.', {
        key: 'Another metric has this key; choose another.',
      });
    }
    throw error;
  }
});

import { NextResponse } from 'next/server';
import { z } from 'zod';
import { getMetricByKey } from '@/db/queries/metrics';
import { previewRule } from '@/db/queries/rule-preview';
import { config } from '@/env';
import { validateRule } from '@/lib/detection/rule';
import { NO_STORE, parseWith, readJson } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { assertSameOrigin, handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';
import { decodeSegment } from '../../../../_lib/ids';

export const dynamic = 'force-dynamic';

const previewBody = z.object({
  rule: z.unknown(),
  hours: z
    .int({ error: 'Hours must be a whole number.' })
    .min(1, { error: 'Hours must be between 1 and 24.' })
    .max(24, { error: 'Hours must be between 1 and 24.' })
    .optional(),
});

/**
 * What a candidate rule would have done over the metric's stored history (editors only, as
 * they are the ones who can save it): per window its verdict, the counts, and the anomalies it
 * would have opened, beside the same for the saved rule. Nothing is written.
 */
export const POST = handle(
  async (request: Request, context: { params: Promise<{ key: string }> }) => {
    assertSameOrigin(request);
    await requireApiUser('editor');
    const key = decodeSegment((await context.params).key);
    const db = getDb();
    const metric = await getMetricByKey(db, key);
    if (!metric) throw new HttpError(404, 'No such metric.');

    const body = parseWith(previewBody, await readJson(request), 'Check the preview request.');
    const checked = validateRule(body.rule);
    if (!checked.ok) {
      const fields = Object.fromEntries(
        Object.entries(checked.errors).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string',
        ),
      );
      throw new HttpError(400, 'Check the highlighted fields.', fields);
    }
    const preview = await previewRule(db, metric, checked.rule, {
      baseWindowMs: config().windowMs,
      now: Date.now(),
      ...(body.hours !== undefined ? { hours: body.hours } : {}),
    });
    return NextResponse.json(preview, { headers: NO_STORE });
  },
);

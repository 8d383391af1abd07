import { NextResponse } from 'next/server';
import { z } from 'zod';
import { getMetricItem, setMetricEnabled, updateDefinition } from '@/db/queries/metric-definitions';
import { validateDefinition } from '@/lib/metrics/definition';
import { NO_STORE, parseWith, readJson } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { assertSameOrigin, handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';
import { decodeSegment } from '../../../_lib/ids';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ key: string }> };

/** One metric's definition with its last scored window. */
export const GET = handle(async (_request: Request, context: Context) => {
  await requireApiUser('viewer');
  const key = decodeSegment((await context.params).key);
  const metric = await getMetricItem(getDb(), key);
  if (!metric) throw new HttpError(404, 'No such metric.');
  return NextResponse.json({ metric }, { headers: NO_STORE });
});

const patchBody = z
  .strictObject(
    {
      enabled: z.boolean({ error: 'Enabled is true or false.' }).optional(),
      definition: z.unknown().optional(),
      rescore: z.boolean({ error: 'Re-score is true or false.' }).optional(),
    },
    { error: 'Send enabled, definition and/or rescore.' },
  )
  .refine((b) => b.enabled !== undefined || b.definition !== undefined, {
    error: 'Send enabled or a definition.',
  });

/**
 * Changes a metric (editors only): `enabled` pauses or resumes scoring; `definition` replaces
 * the definition (the key never changes) and, with `rescore: true`, asks the detector to
 * re-score the last 24 h of stored windows with it.
 */
export const PATCH = handle(async (request: Request, context: Context) => {
  assertSameOrigin(request);
  const user = await requireApiUser('editor');
  const key = decodeSegment((await context.params).key);
  const db = getDb();
  const body = parseWith(patchBody, await readJson(request), 'Check the request.');
  if (!(await getMetricItem(db, key))) throw new HttpError(404, 'No such metric.');

  if (body.definition !== undefined) {
    const raw = body.definition;
    const sentKey =
      typeof raw === 'object' && raw !== null && 'key' in raw ? (raw as { key: unknown }).key : key;
    const checked = validateDefinition({ ...(raw as object), key });
    if (!checked.ok || sentKey !== key) {
      const fields: Record<string, string> = checked.ok
        ? {}
        : (checked.errors as Record<string, string>);
      if (sentKey !== key) fields.key = 'The key cannot change after the metric is created.';
      throw new HttpError(400, 'Check the highlighted fields.', fields);
    }
    await updateDefinition(db, key, checked.definition, {
      userId: user.id,
      rescore: body.rescore === true,
    });
    console.info(
      `metric ${key} definition changed by ${user.username}${body.rescore ? ' (re-score 24 h)' : ''}`,
    );
  }
  if (body.enabled !== undefined) {
    await setMetricEnabled(db, key, body.enabled);
    console.info(`metric ${key} ${body.enabled ? 'enabled' : 'disabled'} by ${user.username}`);
  }
  const metric = await getMetricItem(db, key);
  if (!metric) throw new HttpError(404, 'No such metric.');
  return NextResponse.json({ metric }, { headers: NO_STORE });
});

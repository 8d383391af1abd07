import { NextResponse } from 'next/server';
import { getMetricByKey, toRule, updateRule } from '@/db/queries/metrics';
import { notify } from '@/db/queries/notify';
import { validateRule } from '@/lib/detect';
import { NO_STORE, readJson } from '@/lib/server/api';
import { getDb } from '@/lib/server/context';
import { assertSameOrigin, handle, HttpError } from '@/lib/server/errors';
import { requireApiUser } from '@/lib/server/session';
import { getSql } from '@/lib/server/sql';
import { decodeSegment } from '../../../../_lib/ids';

export const dynamic = 'force-dynamic';

/**
 * Replaces a metric's alert rule (editors only). The detector reads rules fresh for every
 * window, so the change applies from the next window; the live tier is told via NOTIFY.
 */
export const PUT = handle(
  async (request: Request, context: { params: Promise<{ key: string }> }) => {
    assertSameOrigin(request);
    const user = await requireApiUser('editor');
    const key = decodeSegment((await context.params).key);
    const db = getDb();
    const metric = await getMetricByKey(db, key);
    if (!metric) throw new HttpError(404, 'No such metric.');

    const checked = validateRule(await readJson(request));
    if (!checked.ok) {
      const fields = Object.fromEntries(
        Object.entries(checked.errors).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string',
        ),
      );
      throw new HttpError(400, 'Check the highlighted fields.', fields);
    }

    const saved = await updateRule(db, metric.id, checked.rule, user.id);
    if (!saved) throw new HttpError(404, 'No such metric.');
    try {
      await notify(getSql(), { kind: 'rule', metricId: saved.id });
    } catch (error) {
      // The rule is saved and the detector will use it; only the live push is late.
      console.error('rule saved but NOTIFY failed', error);
    }
    return NextResponse.json(toRule(saved), { headers: NO_STORE });
  },
);

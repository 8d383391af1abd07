import { NextResponse } from 'next/server';
import { getMetricByKey, toRule, updateRule } from '@/db/queries/metrics';
import { notify } from '@/db/queries/notify';
import { previewRange } from '@/db/queries/rule-preview';
import { config } from '@/env';
import { validateRule } from '@/lib/detection/rule';
import type { SavedRule } from '@/lib/detection/rule-preview';
import { NO_STORE, readJson } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { assertSameOrigin, handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';
import { getSql } from '@/app/_server/sql';
import { decodeSegment } from '../../../../_lib/ids';

export const dynamic = 'force-dynamic';

/**
 * Replaces a metric's alert rule (editors only). The detector reads rules fresh for every
 * window, so the change applies from the next window; the live tier is told via NOTIFY. With
 * `rescore: true` it also asks the detector to re-score the stored windows the preview covers
 * (metrics.rescore_from).
 */
export const PUT = handle(
  async (request: Request, context: { params: Promise<{ key: string }> }) => {
    assertSameOrigin(request);
    const user = await requireApiUser('editor');
    const key = decodeSegment((await context.params).key);
    const db = getDb();
    const metric = await getMetricByKey(db, key);
    if (!metric) throw new HttpError(404, 'No such metric.');

    const body = await readJson(request);
    const checked = validateRule(body);
    if (!checked.ok) {
      const fields = Object.fromEntries(
        Object.entries(checked.errors).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string',
        ),
      );
      throw new HttpError(400, 'Check the highlighted fields.', fields);
    }

    // "Re-score stored history with the new settings": over the range the preview showed.
    const rescore = typeof body === 'object' && body !== null && 'rescore' in body && body.rescore;
    if (rescore !== undefined && rescore !== false && rescore !== true) {
      throw new HttpError(400, 'Check the highlighted fields.', {
        rescore: 'Re-score must be true or false.',
      });
    }
    const windowMs = config().windowMs * Math.max(1, metric.windowMultiple);
    const saved = await updateRule(db, metric.id, checked.rule, user.id, {
      ...(rescore === true ? { rescoreFrom: previewRange(Date.now(), windowMs).from } : {}),
    });
    if (!saved) throw new HttpError(404, 'No such metric.');
    try {
      await notify(getSql(), { kind: 'rule', metricId: saved.id });
    } catch (error) {
      // The rule is saved and the detector will use it; only the live push is late.
      console.error('rule saved but NOTIFY failed', error);
    }
    const result: SavedRule = {
      rule: toRule(saved),
      rescoreFrom: saved.rescoreFrom ? saved.rescoreFrom.getTime() : null,
    };
    return NextResponse.json(result, { headers: NO_STORE });
  },
);

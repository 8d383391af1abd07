import { NextResponse } from 'next/server';
import { applyLifecycleAction } from '@/db/queries/alerts';
import { ActionBody, toRequest } from '@/lib/alerts/workflow';
import { NO_STORE, parseWith, readJson } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { assertSameOrigin, handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';
import { parseId } from '../../../../_lib/ids';

export const dynamic = 'force-dynamic';

/**
 * A person acts on an anomaly (editors and admins): acknowledge, resolve, snooze, verdicts.
 * Body `{ action, note?, preset?, until? }`; answers the updated summary. An action the
 * anomaly's state does not allow is a 409 that says why. Every open board and drill-down hears
 * of the change through the NOTIFY the action's transaction sends.
 */
export const POST = handle(
  async (request: Request, context: { params: Promise<{ id: string }> }) => {
    assertSameOrigin(request);
    const user = await requireApiUser('editor');
    const id = parseId((await context.params).id);
    if (id === null) throw new HttpError(404, 'No such anomaly.');

    const body = parseWith(ActionBody, await readJson(request), 'Check the action.');
    const checked = toRequest(body, Date.now());
    if (!checked.ok) throw new HttpError(400, 'Check the action.', checked.fields);

    const result = await applyLifecycleAction(getDb(), {
      anomalyId: id,
      userId: user.id,
      request: checked.value,
    });
    if (!result.ok) {
      if (result.reason === 'not_found') throw new HttpError(404, 'No such anomaly.');
      throw new HttpError(409, result.message);
    }
    return NextResponse.json(result.summary, { headers: NO_STORE });
  },
);

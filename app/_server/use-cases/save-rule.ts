/**
 * Use case: an editor saves a metric's alert rule. The detector reads rules fresh for every
 * window, so the rule applies from the next window on; with `rescore` the detector is also asked
 * to re-score the stored windows the thresholds preview covers (`metrics.rescore_from`).
 *
 * One transaction writes the rule and queues the `rule` NOTIFY (db/queries/notify.ts):
 * PostgreSQL delivers it only after the commit, when the relay's read sees the new rule, and
 * never for a rolled-back save. (It used to be sent after the commit, on its own, and was lost
 * when that second step failed.)
 */
import { NotFoundError } from '@/lib/errors';
import { seriesFollowsParent } from './series-follows-parent';
import type { SavedRule } from '@/lib/detection/rule-preview';
import type { Logger } from '@/lib/observability/log';
import type { AlertRule } from '@/lib/types';
import type { Db } from '@/db/client';
import type { SessionUser } from '@/db/queries/auth';
import { lockMetricByKey, savedRule, updateRule } from '@/db/queries/metrics';
import { notifyInTransaction } from '@/db/queries/notify';
import { previewRange } from '@/db/queries/rule-preview';

export interface SaveRuleInput {
  /** The metric's key. */
  key: string;
  /** A validated rule (lib/detection/rule.ts). */
  rule: AlertRule;
  /** Also re-score the stored windows the preview covers, with the new rule. */
  rescore: boolean;
  user: SessionUser;
  /** PULSE_WINDOW; a metric's window is a multiple of it. */
  baseWindowMs: number;
}

/** Saves the rule; a 404 (NotFoundError) when there is no such metric. */
export async function saveRule(
  deps: { db: Db; log: Logger; now: () => number },
  input: SaveRuleInput,
): Promise<SavedRule> {
  const { db, log, now } = deps;
  const saved = await db.transaction(async (tx) => {
    // Locked: the window multiple the re-score range is computed with cannot change meanwhile.
    const metric = await lockMetricByKey(tx, input.key);
    if (!metric) throw new NotFoundError('No such metric.');
    if (metric.parentId !== null) throw seriesFollowsParent();
    const at = now();
    const windowMs = input.baseWindowMs * Math.max(1, metric.windowMultiple);
    const row = await updateRule(tx, metric.id, input.rule, input.user.id, {
      now: new Date(at),
      ...(input.rescore ? { rescoreFrom: previewRange(at, windowMs).from } : {}),
    });
    if (!row) throw new NotFoundError('No such metric.');
    await notifyInTransaction(tx, { kind: 'rule', metricId: row.id });
    return row;
  });
  log.info(
    { metric: input.key, user: input.user.username, rescore: input.rescore },
    'alert rule saved',
  );
  return {
    rule: savedRule(saved),
    rescoreFrom: saved.rescoreFrom ? saved.rescoreFrom.getTime() : null,
  };
}

/**
 * Use case: an editor creates a metric, enabled, with the default alert rule. The detector scores
 * it from the next window; it shows as learning until it has a baseline.
 *
 * One transaction inserts it and queues a `metric` NOTIFY (db/queries/notify.ts), which
 * PostgreSQL delivers only after the commit and never for a rolled-back insert: open boards can
 * then show the new metric without a reload.
 */
import { ConflictError } from '@/lib/errors';
import type { DefinitionInput } from '@/lib/metrics/definition';
import type { MetricListItem } from '@/lib/views';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import type { SessionUser } from '@/db/queries/auth';
import {
  createMetric as insertMetric,
  MetricKeyTakenError,
  toListItem,
} from '@/db/queries/metrics';
import { notifyInTransaction } from '@/db/queries/notify';

/** Creates the metric; a 409 naming `key` when another metric has the key. */
export async function createMetric(
  deps: { db: Db; log: Logger; now: () => number },
  input: { definition: DefinitionInput; user: SessionUser },
): Promise<MetricListItem> {
  const { db, log, now } = deps;
  try {
    const row = await db.transaction(async (tx) => {
      const created = await insertMetric(tx, input.definition, input.user.id, new Date(now()));
      await notifyInTransaction(tx, { kind: 'metric', metricId: created.id });
      return created;
    });
    log.info({ metric: row.key, user: input.user.username }, 'metric created');
    return toListItem(row, null);
  } catch (error) {
    if (error instanceof MetricKeyTakenError) {
      throw new ConflictError('Check the highlighted fields.', {
        key: 'Another metric has this key; choose another.',
      });
    }
    throw error;
  }
}

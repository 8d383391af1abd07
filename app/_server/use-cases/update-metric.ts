/**
 * Use case: an editor changes a metric — its definition (the key never changes), and/or whether
 * it is scored at all. With `rescore`, a definition change also asks the detector to re-score
 * the last 24 h of stored windows with the new definition; without, points already scored keep
 * the values of the old one.
 *
 * One transaction writes the change and queues a `metric` NOTIFY (db/queries/notify.ts), which
 * PostgreSQL delivers only after the commit — when the relay's read sees the change — and never
 * for a rolled-back one. The web tier then pushes the metric's board view to every open board.
 */
import type { DefinitionInput } from '@/lib/metrics/definition';
import { InvalidInputError, NotFoundError } from '@/lib/errors';
import { seriesFollowsParent } from './series-follows-parent';
import type { Logger } from '@/lib/observability/log';
import type { MetricListItem } from '@/lib/views';
import type { Db } from '@/db/client';
import type { SessionUser } from '@/db/queries/auth';
import {
  getMetricItem,
  lockMetricByKey,
  setMetricEnabled,
  updateDefinition,
} from '@/db/queries/metrics';
import { notifyInTransaction } from '@/db/queries/notify';

/** A new definition: everything but the key, and the key the client sent with it, if any. */
export interface DefinitionChange {
  definition: Omit<DefinitionInput, 'key'>;
  sentKey: unknown;
}

export interface UpdateMetricInput {
  key: string;
  user: SessionUser;
  definition?: DefinitionChange;
  /** Re-score the last 24 h with the new definition (only with `definition`). */
  rescore?: boolean;
  enabled?: boolean;
}

/**
 * Applies the change and answers the metric as the metrics list shows it. A 404 when there is no
 * such metric; a 400 naming `key` when the client tries to change the key.
 */
export async function updateMetric(
  deps: { db: Db; log: Logger; now: () => number },
  input: UpdateMetricInput,
): Promise<MetricListItem> {
  const { db, log, now } = deps;
  const { key, definition, enabled } = input;
  await db.transaction(async (tx) => {
    const metric = await lockMetricByKey(tx, key);
    if (!metric) throw new NotFoundError('No such metric.');
    if (metric.parentId !== null) throw seriesFollowsParent();
    if (definition) {
      // The key names the metric in URLs, rules and history: it is fixed at creation.
      if (definition.sentKey !== undefined && definition.sentKey !== key) {
        throw new InvalidInputError('Check the highlighted fields.', {
          key: 'The key cannot change after the metric is created.',
        });
      }
      await updateDefinition(
        tx,
        key,
        { ...definition.definition, key },
        { userId: input.user.id, rescore: input.rescore === true, now: new Date(now()) },
      );
    }
    if (enabled !== undefined) await setMetricEnabled(tx, key, enabled);
    await notifyInTransaction(tx, { kind: 'metric', metricId: metric.id });
  });
  const by = input.user.username;
  if (definition) {
    log.info(
      { metric: key, user: by, rescore: input.rescore === true },
      'metric definition changed',
    );
  }
  if (enabled !== undefined) {
    log.info({ metric: key, user: by }, enabled ? 'metric enabled' : 'metric disabled');
  }
  const item = await getMetricItem(db, key);
  // Deleted between the commit and this read: as good as not found.
  if (!item) throw new NotFoundError('No such metric.');
  return item;
}

/**
 * Use case: a person (an editor or admin, in the browser) or a service (an API key: a deploy
 * script) marks something on the timeline — a deploy, a campaign, an outage at a vendor. The
 * metrics it names must exist (a typo would hide it from the chart it was meant for). No live
 * event: charts and drill-downs read annotations when they load or change range.
 */
import type { AnnotationInput } from '@/lib/annotations/annotation';
import { InvalidInputError } from '@/lib/errors';
import type { Logger } from '@/lib/observability/log';
import type { AnnotationView } from '@/lib/views';
import type { Db } from '@/db/client';
import { insertAnnotation } from '@/db/queries/annotations';
import { listMetrics } from '@/db/queries/metrics';

export interface AnnotationDeps {
  db: Db;
  log: Logger;
  now: () => number;
}

/** Who writes it: a signed-in user or an API key (the route helper's `actor`). */
export type AnnotationActor =
  { kind: 'user'; id: number; username: string } | { kind: 'api-key'; keyId: number; name: string };

export async function createAnnotation(
  deps: AnnotationDeps,
  input: { actor: AnnotationActor; annotation: AnnotationInput },
): Promise<AnnotationView> {
  const { actor, annotation } = input;
  const created = await deps.db.transaction(async (tx) => {
    if (annotation.metrics.length > 0) {
      const known = new Set((await listMetrics(tx)).map((metric) => metric.key));
      const unknown = annotation.metrics.filter((key) => !known.has(key));
      if (unknown.length > 0) {
        const list = unknown.map((key) => `"${key}"`).join(', ');
        throw new InvalidInputError('Check the highlighted fields.', {
          metrics:
            unknown.length === 1
              ? `No metric has the key ${list}.`
              : `No metrics have the keys ${list}.`,
        });
      }
    }
    return insertAnnotation(tx, {
      ...annotation,
      by: actor.kind === 'user' ? { userId: actor.id } : { apiKeyId: actor.keyId },
      now: new Date(deps.now()),
    });
  });
  deps.log.info(
    {
      annotation: created.id,
      ...(actor.kind === 'user' ? { by: actor.username } : { keyId: actor.keyId }),
      startsAt: new Date(created.startsAt).toISOString(),
    },
    'annotation created',
  );
  return created;
}

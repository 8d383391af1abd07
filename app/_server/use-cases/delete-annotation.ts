/**
 * Use case: an editor or admin deletes an annotation — any one, whoever made it (a person's or a
 * deploy script's alike: annotations are shared notes on the timeline, and the people who may
 * write them may tidy them). Answers the annotation as it was; 404 when there is none.
 */
import { NotFoundError } from '@/lib/errors';
import type { AnnotationView } from '@/lib/views';
import { deleteAnnotation as removeAnnotation, getAnnotation } from '@/db/queries/annotations';
import type { AnnotationDeps } from './create-annotation';

export async function deleteAnnotation(
  deps: AnnotationDeps,
  input: { actor: { username: string }; id: number },
): Promise<AnnotationView> {
  const deleted = await deps.db.transaction(async (tx) => {
    const annotation = await getAnnotation(tx, input.id);
    // Gone already, or deleted by someone else between the read and the delete.
    if (!annotation || !(await removeAnnotation(tx, input.id))) {
      throw new NotFoundError('No such annotation.');
    }
    return annotation;
  });
  deps.log.info({ annotation: deleted.id, by: input.actor.username }, 'annotation deleted');
  return deleted;
}

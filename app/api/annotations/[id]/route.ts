import { AnnotationIdParams, route } from '@/app/_server/api-route';
import { deleteAnnotation } from '@/app/_server/use-cases/delete-annotation';

export const dynamic = 'force-dynamic';

/**
 * Deletes an annotation (editors and admins; any annotation, whoever made it: a person or an API
 * key). No body; `{ annotation }` as it was, or 404. API keys cannot delete.
 */
export const DELETE = route(
  { role: 'editor', params: AnnotationIdParams },
  async ({ db, log, now, user, params }) => ({
    annotation: await deleteAnnotation({ db, log, now }, { actor: user, id: params.id }),
  }),
);

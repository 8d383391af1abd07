import { metricDefinitionSchema } from '@/lib/metrics/definition';
import { previewDefinition } from '@/db/queries/definition-preview';
import { DefinitionFields, parseOn, route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

/** A draft: a definition's fields; key and name are not needed to preview (stand-ins here). */
const DraftBody = DefinitionFields.transform((draft) => ({
  ...draft,
  key: 'draft',
  name: 'Draft',
})).transform(parseOn(metricDefinitionSchema));

/**
 * The last hour of values of a draft definition, computed from the stored rollups (or the
 * leaf cube for filters on several dimensions) as the detector would. Nothing is written.
 * A preview the form has typed past is aborted; the helper answers it with 499 and no body.
 */
export const POST = route(
  { role: 'viewer', body: DraftBody, invalid: 'The draft is not complete yet.' },
  ({ db, config, body }) => previewDefinition(db, body, { baseWindowMs: config.windowMs }),
);

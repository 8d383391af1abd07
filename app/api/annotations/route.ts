import { z } from 'zod';
import { InvalidInputError } from '@/lib/errors';
import { AnnotationBody, parseAnnotationTime } from '@/lib/annotations/annotation';
import { DEFINITION_LIMITS } from '@/lib/metrics/definition';
import { annotationsBetween } from '@/db/queries/annotations';
import { json, route } from '@/app/_server/api-route';
import { createAnnotation } from '@/app/_server/use-cases/create-annotation';

export const dynamic = 'force-dynamic';

/** The range read when none is given: the last 24 hours. */
const DEFAULT_SPAN_MS = 24 * 3_600_000;

const time = (what: string) =>
  z.string().transform((raw, ctx) => {
    const parsed = parseAnnotationTime(raw, what);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  });

const Query = z.object({
  from: time('The range start').optional(),
  to: time('The range end').optional(),
  metric: z
    .string()
    .regex(DEFINITION_LIMITS.keyPattern, { error: 'metric must be a metric key.' })
    .optional(),
});

/**
 * The annotations that overlap `[from, to]` (epoch ms or ISO 8601; default: the 24 hours up to
 * `to`, which defaults to now), newest first, at most 500 (`truncated` says there were more);
 * `?metric=KEY`: those naming that metric or none (anyone signed in).
 * `{ from, to, annotations, truncated }`.
 */
export const GET = route({ role: 'viewer', query: Query }, async ({ db, query, now }) => {
  const to = query.to ?? (query.from !== undefined ? Math.max(now(), query.from) : now());
  const from = query.from ?? to - DEFAULT_SPAN_MS;
  if (from > to) {
    throw new InvalidInputError('Bad query parameters.', {
      from: 'The range start must not be after its end.',
    });
  }
  const found = await annotationsBetween(db, {
    from: new Date(from),
    to: new Date(to),
    metricKey: query.metric,
  });
  return { from, to, ...found };
});

/**
 * Marks something on the timeline (editors and admins, or an API key: `Authorization: Bearer
 * pk_…`, from any origin): `{ title, text?, startsAt, endsAt?, metrics?, tags? }`, times in
 * epoch ms or ISO 8601. Who made it is the signed-in user or the key. `{ annotation }` (201).
 */
export const POST = route(
  {
    role: 'editor',
    apiKey: true,
    body: AnnotationBody,
    invalid: 'Check the highlighted fields.',
    text: { multiline: ['text'] },
  },
  async ({ db, log, now, actor, body }) =>
    json(
      { annotation: await createAnnotation({ db, log, now }, { actor, annotation: body }) },
      { status: 201 },
    ),
);

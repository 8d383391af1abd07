/**
 * Definitions edited in the browser: validation and normalisation of user input (the same
 * messages in the form and from the API), and whether a change alters stored values.
 */
import { z } from 'zod';
import { EVENT_LIMITS } from '@/lib/ingest/contract';
import type { MetricDefinition, MetricKind, SplitSpec } from '@/lib/types';
import { SPLIT_LIMITS } from './split';
import { unsafeTextMessage } from '@/lib/text/input';

/**
 * A metric definition as created or edited: everything but the id, the enabled flag and what
 * only the detector sets on a split's series (which series it is, what it excludes).
 */
export type DefinitionInput = Omit<MetricDefinition, 'id' | 'enabled' | 'series' | 'exclude'>;

/** Fields of a definition form; filter errors are keyed `filters.<dim>`. */
export const DEFINITION_FIELDS = [
  'key',
  'name',
  'kind',
  'eventType',
  'extraEventTypes',
  'measure',
  'denominatorEventType',
  'filters',
  'windowMultiple',
  'unit',
  'split',
] as const satisfies readonly (keyof DefinitionInput)[];

export type DefinitionField = (typeof DEFINITION_FIELDS)[number];

/** First message per field: `key`, `name`, …, `filters` (the whole) or `filters.<dim>`. */
export type DefinitionErrors = Partial<Record<DefinitionField | `filters.${string}`, string>>;

export const METRIC_KINDS = [
  'count',
  'sum',
  'avg',
  'ratio',
] as const satisfies readonly MetricKind[];

/** Limits of a definition. */
export const DEFINITION_LIMITS = {
  keyPattern: /^[a-z][a-z0-9_-]{0,47}$/,
  /** Keys that would collide with the pages and routes beside /metrics/[key]. */
  reservedKeys: ['new', 'preview', 'edit'],
  maxName: 80,
  maxExtraEventTypes: 10,
  maxFilterDims: 8,
  maxFilterValues: 50,
  maxWindowMultiple: 60,
  maxUnit: 16,
} as const;

const typeMessage =
  'Event types are lowercase letters, digits, _ . or - and start with a letter (at most 64).';
const nameMessage =
  'Use lowercase letters, digits and _, starting with a letter (at most 32 characters).';

const eventTypeSchema = (missing: string) =>
  z
    .string({ error: missing })
    .trim()
    .min(1, { error: missing })
    .regex(EVENT_LIMITS.typePattern, { error: typeMessage });

/**
 * Refuses text no field may hold (control characters, line breaks, bidi overrides that would
 * disguise a name: lib/text/input.ts), before trimming, as the API's check of every body does.
 */
const safeText = (text: string, ctx: z.core.$RefinementCtx) => {
  const message = unsafeTextMessage(text);
  if (message) ctx.addIssue({ code: 'custom', message });
};

const FIELD_SCHEMAS = {
  key: z
    .string({ error: 'Give the metric a key.' })
    .trim()
    .min(1, { error: 'Give the metric a key.' })
    .regex(DEFINITION_LIMITS.keyPattern, {
      error:
        'Use lowercase letters, digits, _ or -, starting with a letter (at most 48 characters).',
    })
    .refine((key) => !(DEFINITION_LIMITS.reservedKeys as readonly string[]).includes(key), {
      error: (issue) => `"${String(issue.input)}" is reserved; choose another key.`,
    }),
  name: z
    .string({ error: 'Give the metric a name.' })
    .superRefine(safeText)
    .trim()
    .min(1, { error: 'Give the metric a name.' })
    .max(DEFINITION_LIMITS.maxName, {
      error: `Names are at most ${DEFINITION_LIMITS.maxName} characters.`,
    }),
  kind: z.enum(METRIC_KINDS, { error: 'Choose count, sum, average or ratio.' }),
  eventType: eventTypeSchema('Choose the event type to measure.'),
  measure: z
    .string({ error: 'Sum and average metrics need a measure.' })
    .trim()
    .min(1, { error: 'Sum and average metrics need a measure.' })
    .regex(EVENT_LIMITS.keyPattern, { error: `Measure names: ${nameMessage}` }),
  denominatorEventType: eventTypeSchema('Ratio metrics need a denominator event type.'),
  windowMultiple: z
    .int({ error: 'The window multiple is a whole number from 1 to 60.' })
    .min(1, { error: 'The window multiple is a whole number from 1 to 60.' })
    .max(DEFINITION_LIMITS.maxWindowMultiple, {
      error: 'The window multiple is a whole number from 1 to 60.',
    }),
  unit: z
    .string({ error: 'The unit is text, e.g. %, ms or $.' })
    .superRefine(safeText)
    .trim()
    .max(DEFINITION_LIMITS.maxUnit, {
      error: `Units are at most ${DEFINITION_LIMITS.maxUnit} characters.`,
    }),
};

const filterValueSchema = z.string().trim().min(1).max(EVENT_LIMITS.maxDimValueLength);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Missing, null and blank strings are "not given". */
function given(value: unknown): boolean {
  return value !== undefined && value !== null && !(typeof value === 'string' && !value.trim());
}

type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

function check<T>(schema: z.ZodType<T>, value: unknown): Checked<T> {
  const parsed = schema.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: parsed.error.issues[0]?.message ?? 'Invalid value.' };
}

function checkExtraTypes(value: unknown, eventType: string | null): Checked<string[]> {
  if (value === undefined || value === null) return { ok: true, value: [] };
  if (!Array.isArray(value)) return { ok: false, error: 'List the further event types.' };
  const types: string[] = [];
  for (const item of value) {
    const type = check(FIELD_SCHEMAS.eventType, item);
    if (!type.ok) return { ok: false, error: typeMessage };
    if (type.value === eventType) continue;
    if (types.includes(type.value)) {
      return { ok: false, error: `"${type.value}" is listed twice.` };
    }
    types.push(type.value);
  }
  if (types.length > DEFINITION_LIMITS.maxExtraEventTypes) {
    return {
      ok: false,
      error: `At most ${DEFINITION_LIMITS.maxExtraEventTypes} further event types.`,
    };
  }
  return { ok: true, value: types };
}

const splitMessage = `Split into 1 to ${SPLIT_LIMITS.maxTopN} values.`;

/** The split: none (null, absent, or no dimension), or a dimension and how many values to name. */
function checkSplit(value: unknown): Checked<SplitSpec | null> {
  if (value === undefined || value === null) return { ok: true, value: null };
  if (!isRecord(value)) return { ok: false, error: 'A split names a dimension and a count.' };
  if (!given(value.dim)) return { ok: true, value: null };
  const dim = typeof value.dim === 'string' ? value.dim.trim() : '';
  if (!EVENT_LIMITS.keyPattern.test(dim)) {
    return { ok: false, error: `Dimension names: ${nameMessage}` };
  }
  const topN = given(value.topN) ? value.topN : SPLIT_LIMITS.defaultTopN;
  if (typeof topN !== 'number' || !Number.isInteger(topN))
    return { ok: false, error: splitMessage };
  if (topN < 1 || topN > SPLIT_LIMITS.maxTopN) return { ok: false, error: splitMessage };
  return { ok: true, value: { dim, topN } };
}

/** Filters: dimension names as in events, at least one allowed value each, no duplicates. */
function checkFilters(
  value: unknown,
  errors: DefinitionErrors,
): Record<string, string[]> | undefined {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    errors.filters = 'Filters map a dimension to its allowed values.';
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > DEFINITION_LIMITS.maxFilterDims) {
    errors.filters = `Filter on at most ${DEFINITION_LIMITS.maxFilterDims} dimensions.`;
    return undefined;
  }
  const filters: Record<string, string[]> = {};
  let ok = true;
  for (const [dim, values] of entries) {
    const field = `filters.${dim}` as const;
    if (!EVENT_LIMITS.keyPattern.test(dim)) {
      errors[field] = `Dimension names: ${nameMessage}`;
      ok = false;
      continue;
    }
    if (!Array.isArray(values) || values.length === 0) {
      errors[field] = `Pick at least one value of ${dim}.`;
      ok = false;
      continue;
    }
    const allowed: string[] = [];
    for (const item of values) {
      const unsafe =
        typeof item === 'string' ? unsafeTextMessage(item, { subject: `Values of ${dim}` }) : null;
      if (unsafe) {
        errors[field] = unsafe;
        ok = false;
        break;
      }
      const parsed = filterValueSchema.safeParse(item);
      if (!parsed.success) {
        errors[field] =
          `Values of ${dim} are text of 1 to ${EVENT_LIMITS.maxDimValueLength} characters.`;
        ok = false;
        break;
      }
      if (!allowed.includes(parsed.data)) allowed.push(parsed.data);
    }
    if (allowed.length > DEFINITION_LIMITS.maxFilterValues) {
      errors[field] = `At most ${DEFINITION_LIMITS.maxFilterValues} values of ${dim}.`;
      ok = false;
    }
    filters[dim] = allowed; // dim matches keyPattern: never __proto__
  }
  return ok ? filters : undefined;
}

/**
 * Validates a metric definition from user input and normalises it: strings trimmed, fields
 * the kind does not read cleared (measure, denominator), extra types only for counts, filter
 * values de-duplicated. Returns the first message per field, written to be shown beside it;
 * a non-object input is an empty form.
 * - key: a slug (lowercase letters, digits, _ -; not a reserved word); name: 1–80 characters;
 * - kind: count | sum | avg | ratio; event type required; count may add further types;
 * - sum/avg need a measure; ratio needs a denominator event type;
 * - filters: { dim: [values] }, at least one value per dimension; window multiple 1–60.
 */
export function validateDefinition(
  input: unknown,
): { ok: true; definition: DefinitionInput } | { ok: false; errors: DefinitionErrors } {
  const raw = isRecord(input) ? input : {};
  const errors: DefinitionErrors = {};
  const take = <T>(field: DefinitionField, result: Checked<T>): T | undefined => {
    if (result.ok) return result.value;
    errors[field] ??= result.error;
    return undefined;
  };

  const key = take('key', check(FIELD_SCHEMAS.key, raw.key));
  const name = take('name', check(FIELD_SCHEMAS.name, raw.name));
  const kind = take('kind', check(FIELD_SCHEMAS.kind, raw.kind));
  const eventType = take('eventType', check(FIELD_SCHEMAS.eventType, raw.eventType));
  const extraEventTypes = take(
    'extraEventTypes',
    checkExtraTypes(raw.extraEventTypes, eventType ?? null),
  );
  if (kind && kind !== 'count' && extraEventTypes && extraEventTypes.length > 0) {
    errors.extraEventTypes = 'Only count metrics can count several event types.';
  }
  const needsMeasure = kind === 'sum' || kind === 'avg';
  const measure = needsMeasure ? take('measure', check(FIELD_SCHEMAS.measure, raw.measure)) : null;
  const denominatorEventType =
    kind === 'ratio'
      ? take(
          'denominatorEventType',
          check(FIELD_SCHEMAS.denominatorEventType, raw.denominatorEventType),
        )
      : null;
  const filters = checkFilters(raw.filters, errors);
  const windowMultiple = take(
    'windowMultiple',
    check(FIELD_SCHEMAS.windowMultiple, given(raw.windowMultiple) ? raw.windowMultiple : 1),
  );
  const unit = take('unit', check(FIELD_SCHEMAS.unit, given(raw.unit) ? raw.unit : ''));
  const split = take('split', checkSplit(raw.split));
  if (split && filters?.[split.dim]?.length === 1) {
    errors.split ??= `The metric only counts one value of ${split.dim}: split by another dimension.`;
  }

  if (
    Object.keys(errors).length > 0 ||
    key === undefined ||
    name === undefined ||
    kind === undefined ||
    eventType === undefined ||
    extraEventTypes === undefined ||
    measure === undefined ||
    denominatorEventType === undefined ||
    filters === undefined ||
    windowMultiple === undefined ||
    unit === undefined ||
    split === undefined
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    definition: {
      key,
      name,
      kind,
      eventType,
      extraEventTypes: kind === 'count' ? extraEventTypes : [],
      measure,
      denominatorEventType,
      filters,
      windowMultiple,
      unit,
      split,
    },
  };
}

/**
 * zod schema of a definition from user input: parses to the normalised {@link DefinitionInput}
 * of {@link validateDefinition}, with one issue per field (path `key`, `filters.<dim>`, …).
 */
export const metricDefinitionSchema = z.unknown().transform((input, ctx): DefinitionInput => {
  const checked = validateDefinition(input);
  if (checked.ok) return checked.definition;
  for (const [path, message] of Object.entries(checked.errors)) {
    ctx.addIssue({ code: 'custom', path: path.split('.'), message });
  }
  return z.NEVER;
});

const sortedFilters = (filters: Record<string, string[]>) =>
  Object.entries(filters)
    .map(([dim, values]) => [dim, [...values].sort()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * True when `b` computes different values than `a`: kind, event types, measure, denominator,
 * filters or window multiple differ (name and unit do not change a value). Stored points of
 * a metric were computed with the definition of their time; after such a change they are
 * stale until re-scored.
 */
export function changesValues(
  a: Omit<DefinitionInput, 'key' | 'name' | 'unit'>,
  b: Omit<DefinitionInput, 'key' | 'name' | 'unit'>,
): boolean {
  const extra = (d: typeof a) => (d.kind === 'count' ? [...d.extraEventTypes].sort() : []);
  return (
    a.kind !== b.kind ||
    a.eventType !== b.eventType ||
    (a.measure ?? null) !== (b.measure ?? null) ||
    (a.denominatorEventType ?? null) !== (b.denominatorEventType ?? null) ||
    a.windowMultiple !== b.windowMultiple ||
    JSON.stringify(extra(a)) !== JSON.stringify(extra(b)) ||
    JSON.stringify(sortedFilters(a.filters)) !== JSON.stringify(sortedFilters(b.filters))
  );
}

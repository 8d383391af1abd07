/**
 * The definition form's values as typed (strings, filter rows with a value being typed) and
 * how they become a definition for lib/metrics/definition.ts to validate. Pure.
 */
import {
  validateDefinition,
  type DefinitionErrors,
  type DefinitionInput,
} from '@/lib/metrics/definition';
import { SPLIT_LIMITS } from '@/lib/metrics/split';
import type { MetricDefinition, MetricKind } from '@/lib/types';
import type { MetricCatalog } from '@/lib/views';
import type { Checked, FieldErrors } from '../../_lib/form-state';
import type { Form } from '../../_lib/use-form';

/** The metric being edited; `last` is its last scored window, if it has scored history. */
export type EditedMetric = MetricDefinition & { last: { windowStart: number } | null };

export interface FilterRow {
  id: number;
  dim: string;
  values: string[];
  /** A value typed but not added yet; it counts as added when the form is submitted. */
  draft: string;
}

export interface DefinitionValues {
  key: string;
  name: string;
  kind: MetricKind;
  eventType: string;
  /** Event types separated by commas or spaces (they contain neither). */
  extraEventTypes: string;
  measure: string;
  denominatorEventType: string;
  filters: FilterRow[];
  /** Id of the next filter row (ids are per form, so server and browser render the same). */
  nextRowId: number;
  windowMultiple: string;
  unit: string;
  /** The dimension the metric alerts per value of; '' for the total only. */
  splitDim: string;
  /** How many of its values get a series of their own. */
  splitTopN: string;
}

/** Fields with a message: the definition's (`filters.<dim>` too) and filter rows (`row.<id>`). */
export type DefinitionFormField = keyof DefinitionErrors | `row.${number}`;

/** The form as its panels see it. */
export type DefinitionFormModel = Form<DefinitionValues, DefinitionFormField, DefinitionInput>;

export const newRow = (id: number, dim = '', values: string[] = []): FilterRow => ({
  id,
  dim,
  values,
  draft: '',
});

export function toValues(def: DefinitionInput | null): DefinitionValues {
  const filters = Object.entries(def?.filters ?? {});
  return {
    key: def?.key ?? '',
    name: def?.name ?? '',
    kind: def?.kind ?? 'count',
    eventType: def?.eventType ?? '',
    extraEventTypes: def?.extraEventTypes.join(', ') ?? '',
    measure: def?.measure ?? '',
    denominatorEventType: def?.denominatorEventType ?? '',
    filters: filters.map(([dim, values], i) => newRow(i, dim, values)),
    nextRowId: filters.length,
    windowMultiple: String(def?.windowMultiple ?? 1),
    unit: def?.unit ?? '',
    splitDim: def?.split?.dim ?? '',
    splitTopN: String(def?.split?.topN ?? SPLIT_LIMITS.defaultTopN),
  };
}

export const splitTypes = (text: string) => text.split(/[\s,]+/).filter((t) => t.length > 0);

export function rowValues(row: FilterRow): string[] {
  const draft = row.draft.trim();
  return draft && !row.values.includes(draft) ? [...row.values, draft] : row.values;
}

/** What the form would submit, before validation. Only the fields of the chosen kind. */
export function toCandidate(v: DefinitionValues): Record<string, unknown> {
  const filters: Record<string, string[]> = {};
  for (const row of v.filters) {
    const dim = row.dim.trim();
    const values = rowValues(row);
    if (!dim && values.length === 0) continue;
    if (dim && !Object.hasOwn(filters, dim)) filters[dim] = values;
  }
  const multiple = v.windowMultiple.trim();
  return {
    key: v.key,
    name: v.name,
    kind: v.kind,
    eventType: v.eventType,
    ...(v.kind === 'count' ? { extraEventTypes: splitTypes(v.extraEventTypes) } : {}),
    ...(v.kind === 'sum' || v.kind === 'avg' ? { measure: v.measure } : {}),
    ...(v.kind === 'ratio' ? { denominatorEventType: v.denominatorEventType } : {}),
    filters,
    windowMultiple: multiple === '' ? undefined : Number(multiple),
    unit: v.unit,
    split: v.splitDim.trim()
      ? { dim: v.splitDim, topN: v.splitTopN.trim() === '' ? undefined : Number(v.splitTopN) }
      : null,
  };
}

/** Problems of the filter rows themselves that the definition cannot express, per row id. */
function rowProblems(rows: FilterRow[]): Map<number, string> {
  const problems = new Map<number, string>();
  const seen = new Set<string>();
  for (const row of rows) {
    const dim = row.dim.trim();
    if (!dim) {
      if (rowValues(row).length > 0) problems.set(row.id, 'Choose the dimension to filter on.');
      continue;
    }
    if (seen.has(dim))
      problems.set(row.id, `${dim} is filtered above already; add the values there.`);
    seen.add(dim);
  }
  return problems;
}

/**
 * The client check of the form: the definition lib/metrics validates (its value even while a
 * row has a problem: the form says meanwhile whether saving would change stored values), and
 * its messages plus those of the rows.
 */
export function checkDefinition(
  values: DefinitionValues,
): Checked<DefinitionInput, DefinitionFormField> {
  const check = validateDefinition(toCandidate(values));
  const errors: FieldErrors<DefinitionFormField> = check.ok ? {} : { ...check.errors };
  for (const [id, problem] of rowProblems(values.filters)) errors[`row.${id}`] = problem;
  return { value: check.ok ? check.definition : null, errors };
}

/**
 * The message under a filter row. A row owns the server's and the definition's message of its
 * dimension (the first row of that dimension does). Only after a submit: an error appearing
 * when focus leaves a row would move the buttons below it under the pointer between press and
 * release.
 */
export function rowError(
  rows: FilterRow[],
  row: FilterRow,
  errors: { server: FieldErrors<DefinitionFormField>; client: FieldErrors<DefinitionFormField> },
  submitted: boolean,
): string | undefined {
  const dim = row.dim.trim();
  const first = rows.find((r) => r.dim.trim() === dim);
  const own = first?.id === row.id ? (`filters.${dim}` as const) : null;
  return (
    (own ? errors.server[own] : undefined) ??
    (submitted ? errors.client[`row.${row.id}`] : undefined) ??
    (submitted && own ? errors.client[own] : undefined)
  );
}

const FOCUS_ORDER = [
  'key',
  'name',
  'eventType',
  'extraEventTypes',
  'measure',
  'denominatorEventType',
] as const;

/** The id of the control to focus after a refused submit: the first field or row in error. */
export function firstInvalid(
  values: DefinitionValues,
  errors: { server: FieldErrors<DefinitionFormField>; client: FieldErrors<DefinitionFormField> },
): string | null {
  const definitionOk = !Object.keys(errors.client).some((key) => !key.startsWith('row.'));
  const first = FOCUS_ORDER.find((f) => errors.client[f]);
  if (first) return first;
  const row = values.filters.find(
    (r) =>
      errors.client[`row.${r.id}`] || (!definitionOk && rowError(values.filters, r, errors, true)),
  );
  if (row) return `filter-dim-${row.id}`;
  if (errors.client.split && !errors.client.windowMultiple && !errors.client.unit) {
    return 'splitDim';
  }
  return definitionOk ? null : 'windowMultiple';
}

/** Measures of an event type for suggestions; all measures seen when it is not known yet. */
export function measuresOf(catalog: MetricCatalog, type: string): string[] {
  const known = catalog.eventTypes.find((t) => t.type === type.trim());
  const all = [...new Set(catalog.eventTypes.flatMap((t) => t.measures))].sort();
  return known && known.measures.length > 0 ? known.measures : all;
}

export const valuesOf = (catalog: MetricCatalog, dim: string) =>
  catalog.dimensions.find((d) => d.dim === dim.trim())?.values ?? [];

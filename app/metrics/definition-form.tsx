'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import {
  CartesianGrid,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type {
  DefinitionPreview,
  MetricCatalog,
  MetricListItem,
} from '@/db/queries/metric-definitions';
import {
  DEFINITION_LIMITS,
  changesValues,
  validateDefinition,
  type DefinitionErrors,
  type DefinitionField,
  type DefinitionInput,
} from '@/lib/metrics/definition';
import { formatMetricValue } from '@/lib/metrics/units';
import { summarizeDefinition } from '@/lib/metrics/describe';
import type { MetricKind } from '@/lib/types';
import { AppHeader, type HeaderUser } from '../_components/app-header';
import { apiFetch } from '../_lib/api';
import { CHART, formatClock, formatDateTime } from '../_lib/format';
import { formatWindowLength } from './window-length';

interface FilterRow {
  id: number;
  dim: string;
  values: string[];
  /** A value typed but not added yet; it counts as added when the form is submitted. */
  draft: string;
}

interface Values {
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
}

const KINDS: { kind: MetricKind; label: string; hint: string }[] = [
  { kind: 'count', label: 'Count', hint: 'number of events' },
  { kind: 'sum', label: 'Sum', hint: 'total of a measure' },
  { kind: 'avg', label: 'Average', hint: 'mean of a measure' },
  { kind: 'ratio', label: 'Ratio', hint: 'one count ÷ another' },
];

const UNITS = ['', '%', 'ms', '$'];

const newRow = (id: number, dim = '', values: string[] = []): FilterRow => ({
  id,
  dim,
  values,
  draft: '',
});

function toValues(def: DefinitionInput | null): Values {
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
  };
}

const splitTypes = (text: string) => text.split(/[\s,]+/).filter((t) => t.length > 0);

function rowValues(row: FilterRow): string[] {
  const draft = row.draft.trim();
  return draft && !row.values.includes(draft) ? [...row.values, draft] : row.values;
}

/** What the form would submit, before validation. Only the fields of the chosen kind. */
function toCandidate(v: Values): Record<string, unknown> {
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
  };
}

/** Problems of the filter rows themselves that the definition cannot express, per row id. */
function rowProblems(rows: FilterRow[]): Record<number, string> {
  const problems: Record<number, string> = {};
  const seen = new Set<string>();
  for (const row of rows) {
    const dim = row.dim.trim();
    if (!dim) {
      if (rowValues(row).length > 0) problems[row.id] = 'Choose the dimension to filter on.';
      continue;
    }
    if (seen.has(dim)) problems[row.id] = `${dim} is filtered above already; add the values there.`;
    seen.add(dim);
  }
  return problems;
}

export interface DefinitionFormProps {
  user: HeaderUser;
  canEdit: boolean;
  catalog: MetricCatalog;
  /** Base window of the detector (PULSE_WINDOW), in ms. */
  windowMs: number;
  /** The metric being edited; null to create one. */
  metric: MetricListItem | null;
}

export function DefinitionForm({ user, canEdit, catalog, windowMs, metric }: DefinitionFormProps) {
  const router = useRouter();
  const editing = metric !== null;
  const original = useMemo(() => toValues(metric), [metric]);
  const [values, setValues] = useState<Values>(original);
  const [touched, setTouched] = useState<Partial<Record<string, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState<DefinitionErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [rescore, setRescore] = useState(true);

  const candidate = toCandidate(values);
  const check = validateDefinition(candidate);
  const problems = rowProblems(values.filters);
  const clientErrors: DefinitionErrors = check.ok ? {} : check.errors;
  const valid = check.ok && Object.keys(problems).length === 0;
  const changed = editing && check.ok && metric !== null && changesValues(metric, check.definition);
  const hasHistory = metric?.last != null;

  function errorFor(field: DefinitionField): string | undefined {
    return serverErrors[field] ?? (submitted || touched[field] ? clientErrors[field] : undefined);
  }

  function rowError(row: FilterRow): string | undefined {
    const dim = row.dim.trim();
    const first = values.filters.find((r) => r.dim.trim() === dim);
    const own = first?.id === row.id ? `filters.${dim}` : null;
    // Only after a submit: an error appearing when focus leaves a row would move the buttons
    // below it under the pointer between press and release.
    const show = submitted;
    return (
      (own ? serverErrors[own as `filters.${string}`] : undefined) ??
      (show ? problems[row.id] : undefined) ??
      (show && own ? clientErrors[own as `filters.${string}`] : undefined)
    );
  }

  function change<K extends keyof Values>(field: K, value: Values[K]) {
    setValues((v) => ({ ...v, [field]: value }));
    setServerErrors((e) => {
      if (!(field in e)) return e;
      const next = { ...e };
      delete next[field as DefinitionField];
      return next;
    });
    setFormError(null);
  }

  function changeRow(id: number, patch: Partial<FilterRow>) {
    setValues((v) => ({
      ...v,
      filters: v.filters.map((row) => (row.id === id ? { ...row, ...patch } : row)),
    }));
    setServerErrors((e) => {
      const next = { ...e };
      for (const key of Object.keys(next)) {
        if (key.startsWith('filters')) delete next[key as DefinitionField];
      }
      return next;
    });
    setFormError(null);
  }

  function addValue(row: FilterRow, value: string) {
    const v = value.trim();
    if (!v) return;
    changeRow(row.id, {
      values: row.values.includes(v) ? row.values : [...row.values, v],
      draft: '',
    });
  }

  const blur = (field: string) => setTouched((t) => (t[field] ? t : { ...t, [field]: true }));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!canEdit || saving) return;
    setSubmitted(true);
    setFormError(null);
    if (!check.ok || !valid) {
      const first = check.ok
        ? null
        : (
            [
              'key',
              'name',
              'eventType',
              'extraEventTypes',
              'measure',
              'denominatorEventType',
            ] as const
          ).find((f) => check.errors[f]);
      const row = values.filters.find((r) => problems[r.id] || (!check.ok && rowError(r)));
      const target = first ?? (row ? `filter-dim-${row.id}` : check.ok ? null : 'windowMultiple');
      if (target) document.getElementById(target)?.focus();
      setFormError('Check the highlighted fields.');
      return;
    }
    setSaving(true);
    const result = editing
      ? await apiFetch<{ metric: MetricListItem }>(
          `/api/metrics/${encodeURIComponent(metric.key)}`,
          {
            method: 'PATCH',
            body: JSON.stringify({
              definition: check.definition,
              rescore: changed && hasHistory && rescore,
            }),
          },
        )
      : await apiFetch<{ metric: MetricListItem }>('/api/metrics', {
          method: 'POST',
          body: JSON.stringify(check.definition),
        });
    if (result.ok) {
      router.push(`/metrics?saved=${encodeURIComponent(result.data.metric.key)}`);
      router.refresh();
      return;
    }
    setSaving(false);
    if (result.status === 401) {
      const here = editing ? `/metrics/${metric.key}/edit` : '/metrics/new';
      router.replace(`/login?next=${encodeURIComponent(here)}`);
      return;
    }
    setServerErrors((result.fields ?? {}) as DefinitionErrors);
    setFormError(result.error);
  }

  const fieldProps = (field: DefinitionField) => {
    const error = errorFor(field);
    return {
      id: field,
      name: field,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': error ? `${field}-error ${field}-hint` : `${field}-hint`,
      onBlur: () => blur(field),
    };
  };

  const fieldError = (field: DefinitionField) => {
    const error = errorFor(field);
    return error ? (
      <p id={`${field}-error`} role="alert" className="field-error">
        {error}
      </p>
    ) : null;
  };

  const measuresOf = (type: string) => {
    const known = catalog.eventTypes.find((t) => t.type === type.trim());
    const all = [...new Set(catalog.eventTypes.flatMap((t) => t.measures))].sort();
    return known && known.measures.length > 0 ? known.measures : all;
  };
  const valuesOf = (dim: string) =>
    catalog.dimensions.find((d) => d.dim === dim.trim())?.values ?? [];
  const extraTypes = splitTypes(values.extraEventTypes);
  const multiple = Number(values.windowMultiple);
  const title = editing ? (canEdit ? `Edit ${metric.name}` : metric.name) : 'New metric';

  return (
    <>
      <AppHeader user={user} />
      <main id="main" className="page">
        <nav className="breadcrumb" aria-label="Breadcrumb">
          <Link href="/metrics" className="link">
            ← All metrics
          </Link>
        </nav>
        <header className="detail-head">
          <p className="eyebrow">{editing ? 'Metric definition' : 'Metrics'}</p>
          <h1>{title}</h1>
          {editing ? (
            <p className="muted">
              <code>{metric.key}</code> · {summarizeDefinition(metric)} ·{' '}
              <Link href={`/metrics/${encodeURIComponent(metric.key)}`} className="link">
                Thresholds
              </Link>
            </p>
          ) : (
            <p className="muted">
              A metric is computed from the stored rollups every window and scored against its own
              recent history.
            </p>
          )}
        </header>

        <div className="rule-layout definition-layout">
          <section className="card" aria-labelledby="definition-heading">
            <h2 id="definition-heading">Definition</h2>
            {!canEdit ? (
              <p className="notice" data-testid="read-only-note">
                Only editors can change metric definitions.
              </p>
            ) : null}
            <form onSubmit={submit} noValidate className="definition-form">
              <fieldset disabled={!canEdit || saving}>
                <legend className="sr-only">Definition of the metric</legend>
                <div className="field">
                  <label htmlFor="key">Key</label>
                  <input
                    {...fieldProps('key')}
                    value={values.key}
                    readOnly={editing}
                    autoComplete="off"
                    spellCheck={false}
                    onChange={(e) => change('key', e.target.value)}
                  />
                  <p id="key-hint" className="hint">
                    {editing
                      ? 'The key names the metric in URLs and the API; it cannot change.'
                      : 'Lowercase letters, digits, _ or -, e.g. eu_purchases. It cannot change later.'}
                  </p>
                  {fieldError('key')}
                </div>
                <div className="field">
                  <label htmlFor="name">Name</label>
                  <input
                    {...fieldProps('name')}
                    value={values.name}
                    maxLength={DEFINITION_LIMITS.maxName * 2}
                    autoComplete="off"
                    onChange={(e) => change('name', e.target.value)}
                  />
                  <p id="name-hint" className="hint">
                    Shown on the board, e.g. “Purchases in EU West”.
                  </p>
                  {fieldError('name')}
                </div>

                <fieldset
                  className="kind-picker"
                  aria-describedby={errorFor('kind') ? 'kind-error' : undefined}
                >
                  <legend>Kind</legend>
                  <div className="kind-options">
                    {KINDS.map(({ kind, label, hint }) => (
                      <label
                        key={kind}
                        className="kind-option"
                        data-selected={values.kind === kind}
                      >
                        <input
                          type="radio"
                          name="kind"
                          value={kind}
                          checked={values.kind === kind}
                          onChange={() => change('kind', kind)}
                        />
                        <span className="kind-label">{label}</span>
                        <span className="hint">{hint}</span>
                      </label>
                    ))}
                  </div>
                  {fieldError('kind')}
                </fieldset>

                <div className="field">
                  <label htmlFor="eventType">
                    {values.kind === 'ratio' ? 'Numerator event type' : 'Event type'}
                  </label>
                  <input
                    {...fieldProps('eventType')}
                    value={values.eventType}
                    list="event-type-options"
                    autoComplete="off"
                    spellCheck={false}
                    onChange={(e) => change('eventType', e.target.value)}
                  />
                  <p id="eventType-hint" className="hint">
                    {values.kind === 'ratio'
                      ? 'Events counted above the line, e.g. purchase.'
                      : 'Events of this type are measured, e.g. purchase.'}
                  </p>
                  {fieldError('eventType')}
                </div>

                {values.kind === 'count' ? (
                  <div className="field">
                    <label htmlFor="extraEventTypes">Also count (optional)</label>
                    <input
                      {...fieldProps('extraEventTypes')}
                      value={values.extraEventTypes}
                      autoComplete="off"
                      spellCheck={false}
                      onChange={(e) => change('extraEventTypes', e.target.value)}
                    />
                    <p id="extraEventTypes-hint" className="hint">
                      Further event types counted together with the first, separated by commas.
                    </p>
                    <Suggestions
                      label="Add an event type"
                      options={catalog.eventTypes
                        .map((t) => t.type)
                        .filter((t) => t !== values.eventType.trim() && !extraTypes.includes(t))}
                      onPick={(type) => change('extraEventTypes', [...extraTypes, type].join(', '))}
                    />
                    {fieldError('extraEventTypes')}
                  </div>
                ) : null}

                {values.kind === 'sum' || values.kind === 'avg' ? (
                  <div className="field">
                    <label htmlFor="measure">Measure</label>
                    <input
                      {...fieldProps('measure')}
                      value={values.measure}
                      list="measure-options"
                      autoComplete="off"
                      spellCheck={false}
                      onChange={(e) => change('measure', e.target.value)}
                    />
                    <p id="measure-hint" className="hint">
                      {values.kind === 'sum'
                        ? 'The number added up per window, e.g. revenue.'
                        : 'The number averaged over the events that carry it, e.g. latency_ms.'}
                    </p>
                    {fieldError('measure')}
                  </div>
                ) : null}

                {values.kind === 'ratio' ? (
                  <div className="field">
                    <label htmlFor="denominatorEventType">Denominator event type</label>
                    <input
                      {...fieldProps('denominatorEventType')}
                      value={values.denominatorEventType}
                      list="event-type-options"
                      autoComplete="off"
                      spellCheck={false}
                      onChange={(e) => change('denominatorEventType', e.target.value)}
                    />
                    <p id="denominatorEventType-hint" className="hint">
                      Events counted below the line, e.g. session_start for a conversion rate.
                    </p>
                    {fieldError('denominatorEventType')}
                  </div>
                ) : null}

                <fieldset className="filters" aria-describedby="filters-hint">
                  <legend>Filters</legend>
                  <p id="filters-hint" className="hint">
                    Only events with one of the values in every filtered dimension count
                    {values.kind === 'ratio' ? ' (above and below the line)' : ''}.
                  </p>
                  {values.filters.length === 0 ? (
                    <p className="muted small" data-testid="no-filters">
                      No filters: every event of the type counts.
                    </p>
                  ) : null}
                  {values.filters.map((row, index) => {
                    const error = rowError(row);
                    const known = valuesOf(row.dim).filter((v) => !row.values.includes(v));
                    return (
                      <div key={row.id} className="filter-row" data-testid="filter-row">
                        <div className="field">
                          <label htmlFor={`filter-dim-${row.id}`}>
                            Dimension<span className="sr-only"> of filter {index + 1}</span>
                          </label>
                          <input
                            id={`filter-dim-${row.id}`}
                            value={row.dim}
                            list="dimension-options"
                            autoComplete="off"
                            spellCheck={false}
                            aria-invalid={error ? true : undefined}
                            aria-describedby={error ? `filter-error-${row.id}` : undefined}
                            onChange={(e) => changeRow(row.id, { dim: e.target.value })}
                          />
                        </div>
                        <div className="field">
                          <label htmlFor={`filter-value-${row.id}`}>
                            Values<span className="sr-only"> of filter {index + 1}</span>
                          </label>
                          {row.values.length > 0 ? (
                            <ul
                              className="tag-list"
                              aria-label={`Values of ${row.dim || 'filter'}`}
                            >
                              {row.values.map((v) => (
                                <li key={v}>
                                  <button
                                    type="button"
                                    className="tag"
                                    aria-label={`Remove ${v}`}
                                    onClick={() =>
                                      changeRow(row.id, {
                                        values: row.values.filter((x) => x !== v),
                                      })
                                    }
                                  >
                                    <span className="tag-text">{v}</span>{' '}
                                    <span aria-hidden="true">×</span>
                                  </button>
                                </li>
                              ))}
                            </ul>
                          ) : null}
                          <div className="value-adder">
                            <input
                              id={`filter-value-${row.id}`}
                              value={row.draft}
                              list={`filter-values-${row.id}`}
                              autoComplete="off"
                              placeholder="Add a value"
                              onChange={(e) => changeRow(row.id, { draft: e.target.value })}
                              onKeyDown={(e) => {
                                if (e.key === 'Enter') {
                                  e.preventDefault();
                                  addValue(row, row.draft);
                                }
                              }}
                            />
                            <datalist id={`filter-values-${row.id}`}>
                              {known.map((v) => (
                                <option key={v} value={v} />
                              ))}
                            </datalist>
                            <button
                              type="button"
                              className="button button-ghost"
                              onClick={() => addValue(row, row.draft)}
                            >
                              Add
                            </button>
                          </div>
                          <Suggestions
                            label={`Add a value of ${row.dim || 'the dimension'}`}
                            options={known.slice(0, 8)}
                            onPick={(v) => addValue(row, v)}
                          />
                        </div>
                        <button
                          type="button"
                          className="button-link filter-remove"
                          onClick={() =>
                            setValues((v) => ({
                              ...v,
                              filters: v.filters.filter((r) => r.id !== row.id),
                            }))
                          }
                        >
                          Remove filter<span className="sr-only"> {index + 1}</span>
                        </button>
                        {error ? (
                          <p
                            id={`filter-error-${row.id}`}
                            role="alert"
                            className="field-error filter-error"
                          >
                            {error}
                          </p>
                        ) : null}
                      </div>
                    );
                  })}
                  {errorFor('filters') ? (
                    <p role="alert" className="field-error">
                      {errorFor('filters')}
                    </p>
                  ) : null}
                  <div>
                    <button
                      type="button"
                      className="button button-ghost"
                      disabled={values.filters.length >= DEFINITION_LIMITS.maxFilterDims}
                      onClick={() =>
                        setValues((v) => ({
                          ...v,
                          filters: [...v.filters, newRow(v.nextRowId)],
                          nextRowId: v.nextRowId + 1,
                        }))
                      }
                    >
                      Add a filter
                    </button>
                  </div>
                </fieldset>

                <div className="field-pair">
                  <div className="field">
                    <label htmlFor="windowMultiple">Window multiple</label>
                    <input
                      {...fieldProps('windowMultiple')}
                      type="number"
                      inputMode="numeric"
                      min={1}
                      max={DEFINITION_LIMITS.maxWindowMultiple}
                      step={1}
                      value={values.windowMultiple}
                      onChange={(e) => change('windowMultiple', e.target.value)}
                    />
                    <p id="windowMultiple-hint" className="hint">
                      {Number.isInteger(multiple) && multiple >= 1 && multiple <= 60
                        ? `Scored every ${formatWindowLength(multiple * windowMs)}`
                        : 'From 1 to 60'}{' '}
                      ({formatWindowLength(windowMs)} base windows).
                    </p>
                    {fieldError('windowMultiple')}
                  </div>
                  <div className="field">
                    <label htmlFor="unit">Unit</label>
                    <input
                      {...fieldProps('unit')}
                      value={values.unit}
                      list="unit-options"
                      autoComplete="off"
                      onChange={(e) => change('unit', e.target.value)}
                    />
                    <p id="unit-hint" className="hint">
                      % shows fractions as percent; ms, $ or any text.
                    </p>
                    {fieldError('unit')}
                  </div>
                </div>

                {changed && hasHistory ? (
                  <div className="notice notice-warn" role="status" data-testid="history-warning">
                    <p>
                      This changes how the values are computed. Points already scored were computed
                      with the old definition.
                    </p>
                    <label className="checkbox">
                      <input
                        type="checkbox"
                        checked={rescore}
                        onChange={(e) => setRescore(e.target.checked)}
                      />{' '}
                      Re-score the last 24 h with the new definition
                    </label>
                  </div>
                ) : null}

                <div className="form-actions">
                  <button type="submit" className="button button-primary">
                    {saving ? 'Saving…' : editing ? 'Save changes' : 'Create metric'}
                  </button>
                  <Link href="/metrics" className="button button-ghost">
                    Cancel
                  </Link>
                </div>
              </fieldset>
              <div className="form-feedback">
                {formError ? (
                  <p role="alert" className="form-error" data-testid="form-error">
                    {formError}
                  </p>
                ) : null}
              </div>
            </form>
            <datalist id="event-type-options">
              {catalog.eventTypes.map((t) => (
                <option key={t.type} value={t.type} />
              ))}
            </datalist>
            <datalist id="measure-options">
              {measuresOf(values.eventType).map((m) => (
                <option key={m} value={m} />
              ))}
            </datalist>
            <datalist id="dimension-options">
              {catalog.dimensions.map((d) => (
                <option key={d.dim} value={d.dim} />
              ))}
            </datalist>
            <datalist id="unit-options">
              {UNITS.filter(Boolean).map((u) => (
                <option key={u} value={u} />
              ))}
            </datalist>
          </section>

          <PreviewPanel candidate={candidate} valid={valid} kind={values.kind} unit={values.unit} />
        </div>
      </main>
    </>
  );
}

/** Quick picks shown as small buttons under a field. */
function Suggestions({
  label,
  options,
  onPick,
}: {
  label: string;
  options: string[];
  onPick: (value: string) => void;
}) {
  if (options.length === 0) return null;
  return (
    <div className="suggestions" role="group" aria-label={label}>
      {options.map((option) => (
        <button
          key={option}
          type="button"
          className="suggestion"
          aria-label={`${label}: ${option}`}
          onClick={() => onPick(option)}
        >
          {option}
        </button>
      ))}
    </div>
  );
}

type PreviewResult =
  | { ok: true; signature: string; data: DefinitionPreview }
  | { ok: false; signature: string; error: string };

/** The draft's last hour of values, recomputed (debounced) whenever the definition changes. */
function PreviewPanel({
  candidate,
  valid,
  kind,
  unit,
}: {
  candidate: Record<string, unknown>;
  valid: boolean;
  kind: MetricKind;
  unit: string;
}) {
  const { key: _key, name: _name, unit: _unit, ...draft } = candidate;
  const previewable = valid || validateDefinition({ ...draft, key: 'draft', name: 'Draft' }).ok;
  const signature = previewable ? JSON.stringify(draft) : null;
  const [result, setResult] = useState<PreviewResult | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (signature === null) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      void apiFetch<DefinitionPreview>('/api/metrics/preview', {
        method: 'POST',
        body: signature,
        signal: controller.signal,
      }).then((answer) => {
        if (controller.signal.aborted) return;
        setResult(
          answer.ok
            ? { ok: true, signature, data: answer.data }
            : { ok: false, signature, error: answer.error },
        );
      });
    }, 400);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [signature, attempt]);

  const format = { kind, unit: unit.trim() };
  let body: ReactNode;
  if (signature === null) {
    body = (
      <p className="empty" data-testid="preview-state" data-state="incomplete">
        Complete the definition to see its values over the last hour.
      </p>
    );
  } else if (result === null || result.signature !== signature) {
    body = (
      <p className="empty" data-testid="preview-state" data-state="loading" aria-busy="true">
        Computing the last hour…
      </p>
    );
  } else if (!result.ok) {
    body = (
      <div data-testid="preview-state" data-state="error">
        <p role="alert" className="form-error">
          {result.error}
        </p>
        <button type="button" className="button-link" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </div>
    );
  } else if (result.data.points.every((p) => p.volume === 0)) {
    body = (
      <p className="empty" data-testid="preview-state" data-state="empty">
        No matching events in the last hour. Check the event type and filters.
      </p>
    );
  } else {
    const { points, windowMs } = result.data;
    const measured = points.filter((p) => p.value !== null).map((p) => p.value as number);
    const latest = points.at(-1);
    body = (
      <div data-testid="preview-state" data-state="ready">
        <PreviewChart points={points} windowMs={windowMs} format={format} />
        <p className="preview-summary" data-testid="preview-summary">
          {points.length} windows of {formatWindowLength(windowMs)}: latest{' '}
          <strong data-testid="preview-latest">
            {formatMetricValue(format, latest?.value ?? null)}
          </strong>
          {measured.length > 0 ? (
            <>
              , between {formatMetricValue(format, Math.min(...measured))} and{' '}
              {formatMetricValue(format, Math.max(...measured))}
            </>
          ) : null}
          .
        </p>
      </div>
    );
  }

  return (
    <section className="card" aria-labelledby="preview-heading" aria-live="polite">
      <h2 id="preview-heading">Last hour with this definition</h2>
      <p className="muted small">
        Computed from the stored rollups as the detector would. Nothing is saved.
      </p>
      {body}
    </section>
  );
}

function PreviewChart({
  points,
  windowMs,
  format,
}: {
  points: DefinitionPreview['points'];
  windowMs: number;
  format: { kind: MetricKind; unit: string };
}) {
  const seconds = windowMs < 60_000;
  return (
    <div
      className="metric-chart"
      style={{ height: 220 }}
      role="img"
      aria-label={`Values of the draft over the last ${points.length} windows`}
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart
          data={points.map((p) => ({ t: p.windowStart, value: p.value, volume: p.volume }))}
          margin={{ top: 10, right: 16, bottom: 4, left: 4 }}
        >
          <CartesianGrid stroke={CHART.grid} vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(t: number) => formatClock(t, seconds)}
            stroke={CHART.muted}
            fontSize={12}
            minTickGap={24}
          />
          <YAxis
            domain={['auto', 'auto']}
            tickFormatter={(v: number) => formatMetricValue(format, v)}
            stroke={CHART.muted}
            fontSize={12}
            width={72}
          />
          <Line
            dataKey="value"
            stroke={CHART.value}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
            connectNulls={false}
          />
          <Tooltip
            content={({ active, payload }) => {
              const datum = payload?.[0]?.payload as
                { t: number; value: number | null; volume: number } | undefined;
              if (!active || !datum) return null;
              return (
                <div className="chart-tooltip">
                  <div className="chart-tooltip-title">{formatDateTime(datum.t)}</div>
                  <dl>
                    <dt>Value</dt>
                    <dd>{formatMetricValue(format, datum.value)}</dd>
                    <dt>Volume</dt>
                    <dd>{datum.volume.toLocaleString('en-US')}</dd>
                  </dl>
                </div>
              );
            }}
          />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

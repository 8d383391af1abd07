'use client';
/**
 * The annotations of the range shown (deploys, campaigns: POST /api/annotations), and, for
 * editors, a form to mark one on the timeline and a button to delete one.
 */
import { useState } from 'react';
import { ANNOTATION_LIMITS, validateAnnotation } from '@/lib/annotations/annotation';
import { formatInZone, parseTimeExpr, type TimeZoneMode } from '@/lib/explore/time-range';
import type { AnnotationView } from '@/lib/views';
import { EventText } from '@/app/_components/event-text';
import { Field } from '@/app/_components/form-field';
import { apiFetch } from '@/app/_lib/api';
import { revealControls } from '@/app/_lib/format';
import type { Checked } from '@/app/_lib/form-state';
import { useForm } from '@/app/_lib/use-form';

interface Values {
  title: string;
  text: string;
  /** A time expression: now, now-10m, an ISO 8601 time or epoch ms. */
  startsAt: string;
  endsAt: string;
  onlyThisMetric: boolean;
}

type AnnotationFormField = 'title' | 'text' | 'startsAt' | 'endsAt' | 'metrics';

interface Body {
  title: string;
  text: string;
  startsAt: number;
  endsAt?: number;
  metrics: string[];
}

const EMPTY: Values = { title: '', text: '', startsAt: 'now', endsAt: '', onlyThisMetric: true };

const TIME_HINT = 'now, now-15m, 2026-12-06T14:30:00Z or epoch ms';

/** The form's values checked with the API's own rules (lib/annotations), times read as expressions. */
export function checkAnnotation(
  values: Values,
  metricKey: string,
  now: number,
): Checked<Body, AnnotationFormField> {
  const errors: Partial<Record<AnnotationFormField, string>> = {};
  const startsAt = parseTimeExpr(values.startsAt.trim(), now);
  if (startsAt === null) errors.startsAt = `Say when it happened: ${TIME_HINT}.`;
  const endsAt = values.endsAt.trim() === '' ? null : parseTimeExpr(values.endsAt.trim(), now);
  if (endsAt === null && values.endsAt.trim() !== '')
    errors.endsAt = `Use ${TIME_HINT}, or leave it empty.`;
  const body = {
    title: values.title,
    text: values.text,
    startsAt: startsAt ?? now,
    ...(endsAt === null ? {} : { endsAt }),
    metrics: values.onlyThisMetric ? [metricKey] : [],
  };
  const checked = validateAnnotation(body);
  if (!checked.ok) {
    for (const [field, message] of Object.entries(checked.errors)) {
      const key = field as AnnotationFormField;
      if (key in errors || field === 'tags') continue;
      errors[key] = message;
    }
  }
  return Object.keys(errors).length > 0 ? { value: null, errors } : { value: body, errors: {} };
}

export function AnnotationList({
  annotations,
  metricKey,
  tz,
  canEdit,
  defaultStart,
  onChanged,
}: {
  annotations: readonly AnnotationView[];
  metricKey: string;
  tz: TimeZoneMode;
  canEdit: boolean;
  /** Where the form's "When" starts: now for a live range, else the range's end. */
  defaultStart: string;
  onChanged: () => void;
}) {
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const when = (a: AnnotationView) =>
    formatInZone(a.startsAt, tz, 'datetime', { zoneName: a.endsAt === null }) +
    (a.endsAt === null ? '' : ` – ${formatInZone(a.endsAt, tz, 'datetime', { zoneName: true })}`);

  async function remove(a: AnnotationView) {
    setError(null);
    const result = await apiFetch<unknown>(`/api/annotations/${a.id}`, { method: 'DELETE' });
    if (result.ok) onChanged();
    else setError(result.error);
  }

  return (
    <section className="card" aria-labelledby="annotations-heading" data-testid="annotations">
      <div className="card-head">
        <h2 id="annotations-heading">Annotations</h2>
        {canEdit && !adding ? (
          <button type="button" className="button" onClick={() => setAdding(true)}>
            Mark an event
          </button>
        ) : null}
      </div>
      {annotations.length === 0 ? (
        <p className="muted">
          No annotations in this range. Mark deploys and campaigns here, or post them from a script
          with an API key (POST /api/annotations).
        </p>
      ) : (
        <ul className="annotation-list">
          {annotations.map((a) => (
            <li key={a.id} data-testid="annotation">
              <strong>
                <EventText value={a.title} />
              </strong>{' '}
              <span className="muted">
                {when(a)}
                {a.author ? (
                  <>
                    {' · '}
                    {a.author.kind === 'user' ? 'by ' : 'from key '}
                    <EventText
                      value={a.author.kind === 'user' ? a.author.username : a.author.name}
                    />
                  </>
                ) : null}
                {a.metrics.length === 0 ? ' · every metric' : ''}
              </span>
              {a.text ? (
                <p className="annotation-text">
                  <EventText value={a.text} />
                </p>
              ) : null}
              {canEdit ? (
                <button
                  type="button"
                  className="button button-quiet"
                  onClick={() => void remove(a)}
                  aria-label={revealControls(`Delete annotation ${a.title}`)}
                >
                  Delete
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {error ? (
        <p role="alert" className="field-error">
          {error}
        </p>
      ) : null}
      {adding ? (
        <AnnotationForm
          metricKey={metricKey}
          defaultStart={defaultStart}
          onDone={(created) => {
            setAdding(false);
            if (created) onChanged();
          }}
        />
      ) : null}
    </section>
  );
}

function AnnotationForm({
  metricKey,
  defaultStart,
  onDone,
}: {
  metricKey: string;
  defaultStart: string;
  onDone: (created: boolean) => void;
}) {
  const form = useForm({
    initial: { ...EMPTY, startsAt: defaultStart },
    validate: (values: Values) => checkAnnotation(values, metricKey, Date.now()),
    onInvalid: (errors) => {
      const first = (['title', 'startsAt', 'endsAt', 'text'] as const).find((f) => errors[f]);
      if (first) document.getElementById(`annotation-${first}`)?.focus();
    },
    submit: (body) =>
      apiFetch<{ annotation: AnnotationView }>('/api/annotations', {
        method: 'POST',
        body: JSON.stringify(body),
      }),
    onSuccess: () => onDone(true),
  });
  const id = (f: string) => `annotation-${f}`;
  return (
    <form
      method="post"
      noValidate
      onSubmit={form.handleSubmit}
      className="annotation-form"
      data-testid="annotation-form"
    >
      <Field
        id={id('title')}
        label="What happened"
        hint="e.g. “Deploy 2026.12.6”, “Black Friday campaign”"
        error={form.errorFor('title')}
      >
        <input
          {...form.fieldProps('title', id('title'))}
          value={form.values.title}
          maxLength={ANNOTATION_LIMITS.maxTitle}
          autoComplete="off"
          onChange={(e) => form.set('title', e.target.value)}
        />
      </Field>
      <div className="field-row">
        <Field id={id('startsAt')} label="When" hint={TIME_HINT} error={form.errorFor('startsAt')}>
          <input
            {...form.fieldProps('startsAt', id('startsAt'))}
            value={form.values.startsAt}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => form.set('startsAt', e.target.value)}
          />
        </Field>
        <Field
          id={id('endsAt')}
          label="Until (optional)"
          hint="Leave empty for a moment in time."
          error={form.errorFor('endsAt')}
        >
          <input
            {...form.fieldProps('endsAt', id('endsAt'))}
            value={form.values.endsAt}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => form.set('endsAt', e.target.value)}
          />
        </Field>
      </div>
      <Field
        id={id('text')}
        label="Details (optional)"
        hint="A link to the change, who to ask."
        error={form.errorFor('text')}
      >
        <textarea
          {...form.fieldProps('text', id('text'))}
          value={form.values.text}
          maxLength={ANNOTATION_LIMITS.maxText}
          rows={2}
          onChange={(e) => form.set('text', e.target.value)}
        />
      </Field>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={form.values.onlyThisMetric}
          onChange={(e) => form.setValues((v) => ({ ...v, onlyThisMetric: e.target.checked }))}
        />{' '}
        Only on this metric’s charts (otherwise on every metric)
      </label>
      {form.formError ? (
        <p role="alert" className="field-error">
          {form.formError}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={form.pending}>
          {form.pending ? 'Saving…' : 'Add annotation'}
        </button>
        <button type="button" className="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

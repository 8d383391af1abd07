'use client';
/**
 * The form that creates a silence (`POST /api/notifications/silences`), on the settings page
 * and on an incident (prefilled from it, with its id): metrics, severity, cause, why, and for
 * how long. The checks are app/_lib/silence-form.ts, the lib validators; errors show beside
 * their fields (useForm). `idPrefix` keeps the ids of two forms on one page apart.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { COMMENT_MAX } from '@/lib/alerts/notify/settings-input';
import type { SilenceView } from '@/lib/alerts/notify/settings-view';
import { apiFetch } from '../_lib/api';
import {
  checkSilence,
  EMPTY_SILENCE,
  SILENCE_PRESETS,
  type SilenceField,
  type SilenceValues,
} from '../_lib/silence-form';
import { useForm } from '../_lib/use-form';
import { Field, FieldError } from './form-field';

export function SilenceForm({
  idPrefix = 'silence',
  initial = EMPTY_SILENCE,
  incidentId,
  intro,
  submitLabel = 'Create silence',
  createdMessage = null,
  focusComment = false,
  testId = 'silence-form',
  onCreated,
  onCancel,
}: {
  idPrefix?: string;
  /** The values it starts from (and starts over from after a silence is created). */
  initial?: SilenceValues;
  /** The incident it is created from: recorded with the silence. */
  incidentId?: number;
  /** What the form does, above its fields. */
  intro: ReactNode;
  submitLabel?: string;
  /** Said under the form once a silence is created (until the next edit); none when null. */
  createdMessage?: string | null;
  /** Puts the cursor in "Why" when it opens (the one field a prefilled form leaves empty). */
  focusComment?: boolean;
  testId?: string;
  onCreated: (silence: SilenceView) => void;
  /** Offers a Cancel button (and Escape) that calls it. */
  onCancel?: () => void;
}) {
  const id = (field: string) => `${idPrefix}-${field}`;
  const [created, setCreated] = useState(false);
  const comment = useRef<HTMLInputElement>(null);
  const form = useForm({
    initial,
    validate: (values: SilenceValues) => checkSilence(values, Date.now(), incidentId),
    onInvalid: (errors) => {
      const order: [SilenceField, string][] = [
        ['matchers.metrics', id('metrics')],
        ['matchers', id('metrics')],
        ['matchers.cause', id('cause')],
        ['comment', id('comment')],
        ['endsAt', id('until')],
      ];
      const first = order.find(([field]) => errors[field]);
      if (first) document.getElementById(first[1])?.focus();
    },
    submit: (body) =>
      apiFetch<{ silence: SilenceView }>('/api/notifications/silences', {
        method: 'POST',
        body: JSON.stringify(body),
      }),
    onSuccess: (answer) => {
      setCreated(true);
      onCreated(answer.silence);
      return initial;
    },
  });
  const edit = (update: Partial<SilenceValues>, ...fields: SilenceField[]) => {
    setCreated(false);
    form.edit(
      (v) => ({ ...v, ...update }),
      (key) => fields.includes(key) || key === 'matchers',
    );
  };
  const disabled = form.pending;

  useEffect(() => {
    if (focusComment) comment.current?.focus();
  }, [focusComment]);

  return (
    <form
      method="post"
      onSubmit={form.handleSubmit}
      noValidate
      className="notify-form"
      data-testid={testId}
      onKeyDown={
        onCancel
          ? (event) => {
              if (event.key === 'Escape') onCancel();
            }
          : undefined
      }
    >
      <p className="hint">{intro}</p>
      <Field
        id={id('metrics')}
        label="Metrics"
        hint={
          <>
            Metric keys, comma-separated; <code>*</code> is a wildcard. Holds when every anomaly of
            the incident is on one.
          </>
        }
        error={form.errorFor('matchers.metrics')}
      >
        <input
          {...form.fieldProps('matchers.metrics', id('metrics'))}
          value={form.values.metrics}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          onChange={(e) => edit({ metrics: e.target.value }, 'matchers.metrics')}
          disabled={disabled}
        />
      </Field>
      <Field
        id={id('severity')}
        label="Severity"
        hint="Warn only lets an escalation to critical through."
        error={form.errorFor('matchers.severity')}
      >
        <select
          {...form.fieldProps('matchers.severity', id('severity'))}
          value={form.values.severity}
          onChange={(e) =>
            edit({ severity: e.target.value as SilenceValues['severity'] }, 'matchers.severity')
          }
          disabled={disabled}
        >
          <option value="">Any</option>
          <option value="warn">Warn only</option>
          <option value="critical">Critical only</option>
        </select>
      </Field>
      <Field
        id={id('cause')}
        label="Cause"
        hint={
          <>
            <code>dimension=value</code> pairs, comma-separated (<code>region=eu-west</code>).
          </>
        }
        error={form.errorFor('matchers.cause')}
      >
        <input
          {...form.fieldProps('matchers.cause', id('cause'))}
          value={form.values.cause}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          onChange={(e) => edit({ cause: e.target.value }, 'matchers.cause')}
          disabled={disabled}
        />
      </Field>
      <FieldError id={id('matchers')} error={form.errorFor('matchers')} />
      <Field
        id={id('comment')}
        label="Why"
        hint="Shown with the silence, e.g. “database failover drill”."
        error={form.errorFor('comment')}
      >
        <input
          ref={comment}
          {...form.fieldProps('comment', id('comment'))}
          value={form.values.comment}
          maxLength={COMMENT_MAX}
          autoComplete="off"
          onChange={(e) => edit({ comment: e.target.value }, 'comment')}
          disabled={disabled}
        />
      </Field>
      <fieldset className="duration" disabled={disabled}>
        <legend>For</legend>
        <div className="segmented">
          {SILENCE_PRESETS.map((p) => (
            <label
              key={p.value}
              className={form.values.duration === p.value ? 'segment selected' : 'segment'}
            >
              <input
                type="radio"
                name={id('duration')}
                value={p.value}
                checked={form.values.duration === p.value}
                onChange={() => edit({ duration: p.value }, 'endsAt')}
              />
              {p.label}
            </label>
          ))}
        </div>
        {form.values.duration === 'until' ? (
          <div className="field">
            <label htmlFor={id('until')}>Until</label>
            <input
              {...form.fieldProps('endsAt', id('until'))}
              type="datetime-local"
              value={form.values.until}
              onChange={(e) => edit({ until: e.target.value }, 'endsAt')}
            />
            <p id={`${id('until')}-hint`} className="hint">
              Your local time; at most 90 days from now.
            </p>
          </div>
        ) : null}
        <FieldError id={id('until')} error={form.errorFor('endsAt')} />
      </fieldset>
      <FieldError id={id('incident')} error={form.errorFor('incidentId')} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={disabled}>
          {form.pending ? 'Silencing…' : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" className="button-link" onClick={onCancel} disabled={disabled}>
            Cancel
          </button>
        ) : null}
      </div>
      {form.formError ? (
        <p role="alert" className="form-error">
          {form.formError}
        </p>
      ) : null}
      {created && createdMessage ? (
        <p role="status" className="form-success" data-testid="silence-created">
          {createdMessage}
        </p>
      ) : null}
    </form>
  );
}

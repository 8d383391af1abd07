'use client';
import { useState } from 'react';
import {
  checkSilenceTimes,
  COMMENT_MAX,
  parseCauseText,
  parseGlobList,
  SilenceBody,
} from '@/lib/alerts/notify/settings-input';
import { describeMatch, type SilenceView } from '@/lib/alerts/notify/settings-view';
import { SilenceMatchers } from '@/lib/alerts/notify/silences';
import { EventText } from '../../../_components/event-text';
import { Field, FieldError } from '../../../_components/form-field';
import { ClockTime, TimeAgo } from '../../../_components/time-ago';
import { apiFetch } from '../../../_lib/api';
import { revealControls } from '../../../_lib/format';
import { useAction } from '../../../_lib/use-action';
import { useForm } from '../../../_lib/use-form';

const HOUR = 3_600_000;
const PRESETS = [
  { value: '1h', label: '1 hour', ms: HOUR },
  { value: '4h', label: '4 hours', ms: 4 * HOUR },
  { value: '24h', label: '24 hours', ms: 24 * HOUR },
  { value: 'until', label: 'Until…', ms: 0 },
] as const;
type Preset = (typeof PRESETS)[number]['value'];

interface SilenceValues {
  metrics: string;
  severity: '' | 'warn' | 'critical';
  cause: string;
  comment: string;
  duration: Preset;
  /** A `datetime-local` value, when the duration is `until`. */
  until: string;
}

type SilenceField =
  'matchers' | 'matchers.metrics' | 'matchers.severity' | 'matchers.cause' | 'comment' | 'endsAt';

const EMPTY: SilenceValues = {
  metrics: '',
  severity: '',
  cause: '',
  comment: '',
  duration: '1h',
  until: '',
};

function checkSilence(values: SilenceValues, now: number) {
  const errors: Partial<Record<SilenceField, string>> = {};
  const metrics = parseGlobList(values.metrics);
  if (metrics.error) errors['matchers.metrics'] = metrics.error;
  const cause = parseCauseText(values.cause);
  if (cause.error) errors['matchers.cause'] = cause.error;
  const matchers = SilenceMatchers.safeParse({
    ...(metrics.value ? { metrics: metrics.value } : {}),
    ...(values.severity ? { severity: [values.severity] } : {}),
    ...(cause.value ? { cause: cause.value } : {}),
  });
  if (!matchers.success && !metrics.error && !cause.error) {
    errors.matchers = matchers.error.issues[0]?.message ?? 'expected a matcher';
  }
  const comment = SilenceBody.shape.comment.safeParse(values.comment.trim());
  if (!comment.success) errors.comment = comment.error.issues[0]?.message ?? 'expected why';
  const preset = PRESETS.find((p) => p.value === values.duration)!;
  const endsAt = values.duration === 'until' ? new Date(values.until).getTime() : now + preset.ms;
  if (Number.isNaN(endsAt)) errors.endsAt = 'expected a date and time';
  else {
    const times = checkSilenceTimes({ endsAt }, now);
    if (times.errors.endsAt) errors.endsAt = times.errors.endsAt;
  }
  const ok = matchers.success && comment.success && Object.keys(errors).length === 0;
  return {
    value: ok
      ? { matchers: matchers.data, comment: comment.data, endsAt: new Date(endsAt).toISOString() }
      : null,
    errors,
  };
}

/** Silences in force and to come, with their end button; a form for a new one; the ended. */
export function SilencesPanel({
  silences,
  onCreated,
  onChanged,
}: {
  silences: SilenceView[];
  onCreated: (silence: SilenceView) => void;
  onChanged: (silence: SilenceView) => void;
}) {
  const current = silences.filter((s) => s.state !== 'ended').sort((a, b) => a.endsAt - b.endsAt);
  const ended = silences.filter((s) => s.state === 'ended').sort((a, b) => b.endsAt - a.endsAt);
  return (
    <div className="notify-grid">
      <section className="card" aria-labelledby="silences-heading">
        <div className="card-head">
          <h2 id="silences-heading">Silences</h2>
          <span className="muted small">{current.length} in force or to come</span>
        </div>
        {current.length === 0 ? (
          <p className="empty" data-testid="silences-empty">
            Nothing is silenced: every incident notifies as routed. Silence one for a while with the
            form beside this list, e.g. during maintenance.
          </p>
        ) : (
          <ul className="silence-list" data-testid="silences">
            {current.map((s) => (
              <SilenceItem key={s.id} silence={s} onChanged={onChanged} />
            ))}
          </ul>
        )}
        {ended.length > 0 ? (
          <details className="ended-silences">
            <summary>Ended in the last week ({ended.length})</summary>
            <ul className="silence-list">
              {ended.map((s) => (
                <SilenceItem key={s.id} silence={s} onChanged={onChanged} />
              ))}
            </ul>
          </details>
        ) : null}
      </section>
      <section className="card" aria-labelledby="new-silence-heading">
        <h2 id="new-silence-heading">New silence</h2>
        <NewSilenceForm onCreated={onCreated} />
      </section>
    </div>
  );
}

function SilenceItem({
  silence,
  onChanged,
}: {
  silence: SilenceView;
  onChanged: (silence: SilenceView) => void;
}) {
  const action = useAction();
  const what = describeMatch(silence.matchers);

  async function expire() {
    const answer = await action.run('expire', () =>
      apiFetch<{ silence: SilenceView }>(`/api/notifications/silences/${silence.id}`, {
        method: 'DELETE',
      }),
    );
    if (answer) onChanged(answer.silence);
  }

  return (
    <li className="silence-item" data-testid="silence-row" data-state={silence.state}>
      <div className="silence-main">
        {silence.state === 'active' ? (
          <span className="badge status-warn">Silenced</span>
        ) : silence.state === 'pending' ? (
          <span className="badge status-learning">Starts</span>
        ) : (
          <span className="badge status-learning">Ended</span>
        )}
        <span className="silence-what">
          <EventText value={what} ltr />
        </span>
        {silence.provisioned ? (
          <span className="notify-tag notify-tag-provisioned">Provisioned</span>
        ) : null}
      </div>
      <p className="silence-comment">
        “<EventText value={silence.comment} />”
      </p>
      <p className="muted small silence-meta">
        by <EventText value={silence.createdBy} />
        {silence.state === 'pending' ? (
          <>
            {' '}
            · starts <ClockTime ms={silence.startsAt} />
          </>
        ) : null}
        {silence.state === 'ended' ? (
          <>
            {' '}
            · ended <TimeAgo ms={silence.endsAt} />
          </>
        ) : (
          <>
            {' '}
            · until <ClockTime ms={silence.endsAt} /> (<TimeAgo ms={silence.endsAt} />)
          </>
        )}
        {silence.incidentId !== null ? <> · from incident #{silence.incidentId}</> : null}
      </p>
      {silence.state !== 'ended' && !silence.provisioned ? (
        <div className="silence-actions">
          <button
            type="button"
            className="button button-ghost"
            onClick={() => void expire()}
            disabled={action.pending !== null}
            aria-label={revealControls(`Expire the silence of ${what}`)}
          >
            {action.pending ? 'Ending…' : 'Expire now'}
          </button>
        </div>
      ) : null}
      {action.error ? (
        <p role="alert" className="form-error">
          {action.error}
        </p>
      ) : null}
    </li>
  );
}

function NewSilenceForm({ onCreated }: { onCreated: (silence: SilenceView) => void }) {
  const [created, setCreated] = useState(false);
  const form = useForm({
    initial: EMPTY,
    validate: (values: SilenceValues) => checkSilence(values, Date.now()),
    onInvalid: (errors) => {
      const order: [SilenceField, string][] = [
        ['matchers.metrics', 'silence-metrics'],
        ['matchers', 'silence-metrics'],
        ['matchers.cause', 'silence-cause'],
        ['comment', 'silence-comment'],
        ['endsAt', 'silence-until'],
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
      onCreated(answer.silence);
      setCreated(true);
      return EMPTY;
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

  return (
    <form
      method="post"
      onSubmit={form.handleSubmit}
      noValidate
      className="notify-form"
      data-testid="silence-form"
    >
      <p className="hint">
        Mutes the incidents that match every condition given (at least one). They still show on the
        board.
      </p>
      <Field
        id="silence-metrics"
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
          {...form.fieldProps('matchers.metrics', 'silence-metrics')}
          value={form.values.metrics}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          onChange={(e) => edit({ metrics: e.target.value }, 'matchers.metrics')}
          disabled={disabled}
        />
      </Field>
      <Field
        id="silence-severity"
        label="Severity"
        hint="Warn only lets an escalation to critical through."
        error={form.errorFor('matchers.severity')}
      >
        <select
          {...form.fieldProps('matchers.severity', 'silence-severity')}
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
        id="silence-cause"
        label="Cause"
        hint={
          <>
            <code>dimension=value</code> pairs, comma-separated (<code>region=eu-west</code>).
          </>
        }
        error={form.errorFor('matchers.cause')}
      >
        <input
          {...form.fieldProps('matchers.cause', 'silence-cause')}
          value={form.values.cause}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          onChange={(e) => edit({ cause: e.target.value }, 'matchers.cause')}
          disabled={disabled}
        />
      </Field>
      <FieldError id="silence-matchers" error={form.errorFor('matchers')} />
      <Field
        id="silence-comment"
        label="Why"
        hint="Shown with the silence, e.g. “database failover drill”."
        error={form.errorFor('comment')}
      >
        <input
          {...form.fieldProps('comment', 'silence-comment')}
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
          {PRESETS.map((p) => (
            <label
              key={p.value}
              className={form.values.duration === p.value ? 'segment selected' : 'segment'}
            >
              <input
                type="radio"
                name="silence-duration"
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
            <label htmlFor="silence-until">Until</label>
            <input
              {...form.fieldProps('endsAt', 'silence-until')}
              type="datetime-local"
              value={form.values.until}
              onChange={(e) => edit({ until: e.target.value }, 'endsAt')}
            />
            <p id="silence-until-hint" className="hint">
              Your local time; at most 90 days from now.
            </p>
          </div>
        ) : null}
        <FieldError id="silence-until" error={form.errorFor('endsAt')} />
      </fieldset>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={disabled}>
          {form.pending ? 'Silencing…' : 'Create silence'}
        </button>
      </div>
      {form.formError ? (
        <p role="alert" className="form-error">
          {form.formError}
        </p>
      ) : null}
      {created ? (
        <p role="status" className="form-success" data-testid="silence-created">
          Silence created: matching incidents send nothing until it ends.
        </p>
      ) : null}
    </form>
  );
}

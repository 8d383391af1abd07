'use client';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { validateRule } from '@/lib/detect';
import type { AlertRule, Direction, MetricDefinition } from '@/lib/types';
import type { BoardPoint } from '@/lib/views';
import type { HeaderUser } from '../../_components/app-header';
import { DetailPage } from '../../_components/detail-page';
import { MetricChart } from '../../_components/charts';
import { TimeAgo } from '../../_components/time-ago';
import { apiFetch } from '../../_lib/api';
import { mergePoints } from '../../_lib/board-state';
import { previewRule, wouldFire } from '../../_lib/rule-preview';
import { usePulseSocket } from '../../_lib/use-pulse-socket';

export interface RulePageData {
  metric: MetricDefinition;
  rule: AlertRule;
  ruleUpdatedAt: number | null;
  points: BoardPoint[];
  windowMs: number;
}

type Field = keyof AlertRule;
type Values = Record<Field, string>;
type FieldErrors = Partial<Record<Field, string>>;

const FIELDS: Field[] = ['warnZ', 'criticalZ', 'direction', 'minVolume', 'baselineWindows'];

function toValues(rule: AlertRule): Values {
  return {
    warnZ: String(rule.warnZ),
    criticalZ: String(rule.criticalZ),
    direction: rule.direction,
    minVolume: String(rule.minVolume),
    baselineWindows: String(rule.baselineWindows),
  };
}

function num(text: string): number | undefined {
  const trimmed = text.trim();
  return trimmed === '' ? undefined : Number(trimmed);
}

/** What the form would submit, before validation. */
function toCandidate(values: Values): Record<Field, unknown> {
  return {
    warnZ: num(values.warnZ),
    criticalZ: num(values.criticalZ),
    direction: values.direction,
    minVolume: num(values.minVolume),
    baselineWindows: num(values.baselineWindows),
  };
}

/** The time of a save (called from event handlers, never during render). */
function currentTime(): number {
  return Date.now();
}

function sameValues(a: Values, b: Values): boolean {
  return FIELDS.every((f) => a[f].trim() === b[f].trim());
}

export function describeDefinition(metric: MetricDefinition) {
  switch (metric.kind) {
    case 'count':
      return (
        <>
          Number of <code>{metric.eventType}</code> events per window.
        </>
      );
    case 'sum':
      return (
        <>
          Sum of <code>{metric.measure ?? '?'}</code> over <code>{metric.eventType}</code> events
          per window.
        </>
      );
    case 'avg':
      return (
        <>
          Average <code>{metric.measure ?? '?'}</code> of <code>{metric.eventType}</code> events per
          window.
        </>
      );
    case 'ratio':
      return (
        <>
          <code>{metric.eventType}</code> events ÷ <code>{metric.denominatorEventType ?? '?'}</code>{' '}
          events per window.
        </>
      );
  }
}

export function RuleEditor({
  data,
  user,
  canEdit,
}: {
  data: RulePageData;
  user: HeaderUser;
  canEdit: boolean;
}) {
  const router = useRouter();
  const { metric, windowMs } = data;
  const [savedRule, setSavedRule] = useState<AlertRule>(data.rule);
  const [values, setValues] = useState<Values>(() => toValues(data.rule));
  const [touched, setTouched] = useState<Partial<Record<Field, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);
  const [remoteChange, setRemoteChange] = useState(false);
  const [points, setPoints] = useState<BoardPoint[]>(data.points);
  const [ruleUpdatedAt, setRuleUpdatedAt] = useState<number | null>(data.ruleUpdatedAt);

  const dirty = !sameValues(values, toValues(savedRule));
  const check = validateRule(toCandidate(values));
  const clientErrors: FieldErrors = check.ok ? {} : check.errors;
  const previewed = check.ok ? check.rule : savedRule;
  const preview = previewRule(points, previewed);
  const current = previewRule(points, savedRule);

  function errorFor(field: Field): string | undefined {
    return serverErrors[field] ?? (submitted || touched[field] ? clientErrors[field] : undefined);
  }

  const connection = usePulseSocket('board', {
    points: (update) => {
      const mine = update.points.filter((p) => p.metricId === metric.id);
      if (mine.length > 0) setPoints((list) => mergePoints(list, mine, windowMs));
    },
    rule: (update) => {
      if (update.metricId !== metric.id) return;
      if (sameValues(toValues(update.rule), toValues(savedRule))) return;
      setSavedRule(update.rule);
      setRuleUpdatedAt(currentTime());
      if (dirty) setRemoteChange(true);
      else setValues(toValues(update.rule));
    },
  });

  function change(field: Field, value: string) {
    setValues((v) => ({ ...v, [field]: value }));
    setServerErrors((e) => {
      if (!(field in e)) return e;
      const next = { ...e };
      delete next[field];
      return next;
    });
    setSaved(false);
    setFormError(null);
  }

  function blur(field: Field) {
    setTouched((t) => (t[field] ? t : { ...t, [field]: true }));
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!canEdit || saving) return;
    setSubmitted(true);
    setSaved(false);
    setFormError(null);
    if (!check.ok) {
      const first = FIELDS.find((f) => check.errors[f]);
      if (first) document.getElementById(first)?.focus();
      return;
    }
    setSaving(true);
    const result = await apiFetch<AlertRule>(
      `/api/metrics/${encodeURIComponent(metric.key)}/rule`,
      { method: 'PUT', body: JSON.stringify(check.rule) },
    );
    setSaving(false);
    if (result.ok) {
      setSavedRule(result.data);
      setValues(toValues(result.data));
      setServerErrors({});
      setTouched({});
      setSubmitted(false);
      setRemoteChange(false);
      setSaved(true);
      setRuleUpdatedAt(currentTime());
      return;
    }
    if (result.status === 401) {
      router.replace(`/login?next=${encodeURIComponent(`/metrics/${metric.key}`)}`);
      return;
    }
    setServerErrors((result.fields ?? {}) as FieldErrors);
    setFormError(result.error);
  }

  function reset() {
    setValues(toValues(savedRule));
    setServerErrors({});
    setTouched({});
    setSubmitted(false);
    setFormError(null);
    setRemoteChange(false);
  }

  const fieldProps = (field: Field) => {
    const error = errorFor(field);
    return {
      id: field,
      name: field,
      value: values[field],
      'aria-invalid': error ? true : undefined,
      'aria-describedby': error ? `${field}-error ${field}-hint` : `${field}-hint`,
      onBlur: () => blur(field),
    };
  };

  const fieldError = (field: Field) => {
    const error = errorFor(field);
    return error ? (
      <p id={`${field}-error`} role="alert" className="field-error">
        {error}
      </p>
    ) : null;
  };

  return (
    <DetailPage user={user} connection={connection}>
      <header className="detail-head">
        <p className="eyebrow">Thresholds</p>
        <h1 data-testid="metric-name">{metric.name}</h1>
        <p className="muted" data-testid="metric-definition">
          {describeDefinition(metric)}
          {metric.unit ? <> Unit: {metric.unit}.</> : null}
          {!metric.enabled ? ' Scoring is paused for this metric.' : null}
        </p>
      </header>

      <div className="rule-layout">
        <section className="card" aria-labelledby="rule-heading">
          <h2 id="rule-heading">Alert rule</h2>
          {!canEdit ? (
            <p className="notice" data-testid="read-only-note">
              Only editors can change thresholds.
            </p>
          ) : null}
          {remoteChange ? (
            <p className="notice notice-warn" role="status">
              Someone else changed these thresholds while you were editing.{' '}
              <button type="button" className="button-link" onClick={reset}>
                Load their values
              </button>
            </p>
          ) : null}
          <form onSubmit={submit} noValidate className="rule-form" aria-describedby="rule-help">
            <fieldset disabled={!canEdit || saving}>
              <legend className="sr-only">Thresholds for {metric.name}</legend>
              <div className="field">
                <label htmlFor="warnZ">Warn z</label>
                <input
                  {...fieldProps('warnZ')}
                  type="number"
                  inputMode="decimal"
                  step="0.1"
                  onChange={(e) => change('warnZ', e.target.value)}
                />
                <p id="warnZ-hint" className="hint">
                  Alert as a warning when |z| reaches this.
                </p>
                {fieldError('warnZ')}
              </div>
              <div className="field">
                <label htmlFor="criticalZ">Critical z</label>
                <input
                  {...fieldProps('criticalZ')}
                  type="number"
                  inputMode="decimal"
                  step="0.1"
                  onChange={(e) => change('criticalZ', e.target.value)}
                />
                <p id="criticalZ-hint" className="hint">
                  Critical when |z| reaches this; above the warn level.
                </p>
                {fieldError('criticalZ')}
              </div>
              <div className="field">
                <label htmlFor="direction">Direction</label>
                <select
                  {...fieldProps('direction')}
                  onChange={(e) => change('direction', e.target.value as Direction)}
                >
                  <option value="both">both</option>
                  <option value="up">up</option>
                  <option value="down">down</option>
                </select>
                <p id="direction-hint" className="hint">
                  Which deviations alert: rises, drops, or both.
                </p>
                {fieldError('direction')}
              </div>
              <div className="field">
                <label htmlFor="minVolume">Minimum volume</label>
                <input
                  {...fieldProps('minVolume')}
                  type="number"
                  inputMode="numeric"
                  step="1"
                  onChange={(e) => change('minVolume', e.target.value)}
                />
                <p id="minVolume-hint" className="hint">
                  Windows with fewer events than this never alert.
                </p>
                {fieldError('minVolume')}
              </div>
              <div className="field">
                <label htmlFor="baselineWindows">Baseline windows</label>
                <input
                  {...fieldProps('baselineWindows')}
                  type="number"
                  inputMode="numeric"
                  step="1"
                  onChange={(e) => change('baselineWindows', e.target.value)}
                />
                <p id="baselineWindows-hint" className="hint">
                  How many earlier windows the expected value is learned from.
                </p>
                {fieldError('baselineWindows')}
              </div>
              <div className="form-actions">
                <button type="submit" className="button button-primary">
                  {saving ? 'Saving…' : 'Save'}
                </button>
                {dirty ? (
                  <button type="button" className="button button-ghost" onClick={reset}>
                    Discard changes
                  </button>
                ) : null}
              </div>
            </fieldset>
            <div className="form-feedback">
              {formError ? (
                <p role="alert" className="form-error" data-testid="form-error">
                  {formError}
                </p>
              ) : null}
              <p role="status" className="form-success" data-testid="save-status">
                {saved ? 'Saved. Applies from the next window.' : ''}
              </p>
            </div>
            <p id="rule-help" className="muted small">
              Changes apply from the next scored window; past windows keep their status.
              {ruleUpdatedAt !== null ? (
                <>
                  {' '}
                  Last changed <TimeAgo ms={ruleUpdatedAt} />.
                </>
              ) : null}
            </p>
          </form>
        </section>

        <section className="card" aria-labelledby="preview-heading">
          <h2 id="preview-heading">Effect on recent windows</h2>
          {points.length === 0 ? (
            <p className="empty">Waiting for the first window…</p>
          ) : (
            <>
              <MetricChart
                points={points}
                metric={metric}
                windowMs={windowMs}
                inner={previewed.warnZ}
                outer={previewed.criticalZ}
                markOf={(p) => wouldFire(p, previewed)}
                height={260}
                label={`${metric.name} over the last ${points.length} windows with the warn and critical bands of the ${dirty ? 'edited' : 'current'} rule`}
              />
              <ul className="legend" aria-hidden="true">
                <li>
                  <span className="swatch swatch-value" /> value
                </li>
                <li>
                  <span className="swatch swatch-band" /> expected ± warn z·σ
                </li>
                <li>
                  <span className="swatch swatch-band-outer" /> expected ± critical z·σ
                </li>
              </ul>
              <p className="preview-summary" data-testid="rule-preview">
                {dirty && check.ok ? 'With these thresholds, ' : 'With the current thresholds, '}
                <strong>
                  {preview.warn + preview.critical} of the last {preview.scored}
                </strong>{' '}
                scored windows would have alerted ({preview.critical} critical).
                {dirty && check.ok ? (
                  <> The saved rule alerts on {current.warn + current.critical}.</>
                ) : null}
              </p>
              {dirty && check.ok && previewed.baselineWindows !== savedRule.baselineWindows ? (
                <p className="muted small">
                  A different baseline length changes the expected values themselves; the preview
                  uses the stored ones.
                </p>
              ) : null}
            </>
          )}
        </section>
      </div>
    </DetailPage>
  );
}

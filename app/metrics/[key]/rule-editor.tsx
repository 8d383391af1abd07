'use client';
import { useRouter } from 'next/navigation';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { MAX_CONSECUTIVE, MAX_RESOLVE_AFTER, validateRule } from '@/lib/detection/rule';
import type { PreviewOutcome, RulePreview, SavedRule } from '@/lib/detection/rule-preview';
import type { AlertRule, MetricDefinition } from '@/lib/types';
import type { BoardPoint } from '@/lib/views';
import type { HeaderUser } from '../../_components/app-header';
import { DetailPage } from '../../_components/detail-page';
import { MetricChart } from '../../_components/charts';
import { TimeAgo } from '../../_components/time-ago';
import { apiFetch } from '../../_lib/api';
import { formatDateTime } from '../../_lib/format';
import { mergePoints } from '../../_lib/board-state';
import { previewRule, wouldFire } from '../../_lib/rule-preview';
import { usePulseSocket } from '../../_lib/use-pulse-socket';
import styles from './rule-editor.module.css';

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

const FIELDS: Field[] = [
  'warnZ',
  'criticalZ',
  'direction',
  'minVolume',
  'baseline',
  'baselineWindows',
  'season',
  'sigmaFloor',
  'consecutiveWindows',
  'resolveAfter',
];

function toValues(rule: AlertRule): Values {
  return {
    warnZ: String(rule.warnZ),
    criticalZ: String(rule.criticalZ),
    direction: rule.direction,
    minVolume: String(rule.minVolume),
    baselineWindows: String(rule.baselineWindows),
    baseline: rule.baseline,
    season: rule.season,
    sigmaFloor: String(rule.sigmaFloor),
    consecutiveWindows: String(rule.consecutiveWindows),
    resolveAfter: String(rule.resolveAfter),
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
    baseline: values.baseline,
    season: values.season,
    sigmaFloor: num(values.sigmaFloor),
    consecutiveWindows: num(values.consecutiveWindows),
    resolveAfter: num(values.resolveAfter),
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

type PreviewState =
  | { status: 'idle' }
  | { status: 'loading'; key: string; last: RulePreview | null }
  | { status: 'ready'; key: string; data: RulePreview }
  | { status: 'error'; key: string; error: string; last: RulePreview | null };

const PREVIEW_DEBOUNCE_MS = 400;

function lastPreview(state: PreviewState): RulePreview | null {
  if (state.status === 'ready') return state.data;
  if (state.status === 'idle') return null;
  return state.last;
}

/**
 * Asks the server what `ruleJson` would have done over the stored history, debounced, the
 * older request cancelled when the rule changes again. `savedJson` and `attempt` are part of
 * the key: a new saved rule changes the comparison, and a retry asks again.
 */
function useRulePreview(
  metricKey: string,
  ruleJson: string | null,
  savedJson: string,
  attempt: number,
  enabled: boolean,
): { state: PreviewState; key: string | null } {
  const key = ruleJson === null ? null : `${ruleJson}|${savedJson}|${attempt}`;
  const [state, setState] = useState<PreviewState>({ status: 'idle' });
  useEffect(() => {
    if (!enabled || ruleJson === null || key === null) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setState((s) => ({ status: 'loading', key, last: lastPreview(s) }));
      void apiFetch<RulePreview>(`/api/metrics/${encodeURIComponent(metricKey)}/preview`, {
        method: 'POST',
        body: JSON.stringify({ rule: JSON.parse(ruleJson) as unknown }),
        signal: controller.signal,
      }).then((result) => {
        if (controller.signal.aborted) return;
        setState((s) =>
          result.ok
            ? { status: 'ready', key, data: result.data }
            : { status: 'error', key, error: result.error, last: lastPreview(s) },
        );
      });
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [enabled, metricKey, ruleJson, key]);
  return { state, key };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** How much stored history the preview re-scored, e.g. "24 h" or "6 min". */
function spanLabel(preview: RulePreview): string {
  const first = preview.windows[0]?.windowStart ?? preview.from;
  const last = preview.windows.at(-1)?.windowStart ?? preview.to;
  const minutes = Math.round((last - first + preview.windowMs) / 60_000);
  return minutes >= 90 ? `${Number((minutes / 60).toFixed(1))} h` : `${Math.max(1, minutes)} min`;
}

function alerted(outcome: PreviewOutcome): number {
  return outcome.counts.warn + outcome.counts.critical;
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
  const [saved, setSaved] = useState<{ rescoreFrom: number | null } | null>(null);
  const [saving, setSaving] = useState(false);
  const [rescore, setRescore] = useState(false);
  const [remoteChange, setRemoteChange] = useState(false);
  const [points, setPoints] = useState<BoardPoint[]>(data.points);
  const [ruleUpdatedAt, setRuleUpdatedAt] = useState<number | null>(data.ruleUpdatedAt);
  const [attempt, setAttempt] = useState(0);

  const dirty = !sameValues(values, toValues(savedRule));
  const check = validateRule(toCandidate(values));
  const clientErrors: FieldErrors = check.ok ? {} : check.errors;
  const previewed = check.ok ? check.rule : savedRule;
  const storedPreview = previewRule(points, previewed);
  const storedCurrent = previewRule(points, savedRule);

  const { state: preview, key: previewKey } = useRulePreview(
    metric.key,
    check.ok ? JSON.stringify(check.rule) : null,
    JSON.stringify(savedRule),
    attempt,
    canEdit,
  );
  const shown = lastPreview(preview);
  const upToDate = preview.status === 'ready' && preview.key === previewKey;
  const updating = canEdit && check.ok && !upToDate && preview.status !== 'error';

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
    setSaved(null);
    setFormError(null);
  }

  function blur(field: Field) {
    setTouched((t) => (t[field] ? t : { ...t, [field]: true }));
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!canEdit || saving) return;
    setSubmitted(true);
    setSaved(null);
    setFormError(null);
    if (!check.ok) {
      const first = FIELDS.find((f) => check.errors[f]);
      if (first) document.getElementById(first)?.focus();
      return;
    }
    setSaving(true);
    const result = await apiFetch<SavedRule>(
      `/api/metrics/${encodeURIComponent(metric.key)}/rule`,
      { method: 'PUT', body: JSON.stringify({ ...check.rule, rescore }) },
    );
    setSaving(false);
    if (result.ok) {
      setSavedRule(result.data.rule);
      setValues(toValues(result.data.rule));
      setServerErrors({});
      setTouched({});
      setSubmitted(false);
      setRemoteChange(false);
      setSaved({ rescoreFrom: rescore ? result.data.rescoreFrom : null });
      setRescore(false);
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

  /** One form field: label, control, hint and its error. */
  const field = (name: Field, label: string, hint: ReactNode, control: ReactNode) => (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      {control}
      <p id={`${name}-hint`} className="hint">
        {hint}
      </p>
      {fieldError(name)}
    </div>
  );

  const numberInput = (
    name: Field,
    range: { min: number; max?: number; step: number; decimal?: boolean },
  ) => (
    <input
      {...fieldProps(name)}
      type="number"
      inputMode={range.decimal ? 'decimal' : 'numeric'}
      min={range.min}
      max={range.max}
      step={range.step}
      onChange={(e) => change(name, e.target.value)}
    />
  );

  const editing = dirty && check.ok;
  const seasonal = values.baseline === 'seasonal';

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
              <h3 className={styles.group}>When a window is anomalous</h3>
              {field(
                'warnZ',
                'Warn z',
                'Alert as a warning when |z| reaches this.',
                numberInput('warnZ', { min: 0.1, max: 1000, step: 0.1, decimal: true }),
              )}
              {field(
                'criticalZ',
                'Critical z',
                'Critical when |z| reaches this; above the warn level.',
                numberInput('criticalZ', { min: 0.1, max: 1000, step: 0.1, decimal: true }),
              )}
              {field(
                'direction',
                'Direction',
                'Which deviations alert: rises, drops, or both.',
                <select
                  {...fieldProps('direction')}
                  onChange={(e) => change('direction', e.target.value)}
                >
                  <option value="both">both</option>
                  <option value="up">up</option>
                  <option value="down">down</option>
                </select>,
              )}
              {field(
                'minVolume',
                'Minimum volume',
                'Windows with fewer events than this never alert.',
                numberInput('minVolume', { min: 0, max: 1_000_000_000, step: 1 }),
              )}

              <h3 className={styles.group}>Expected value</h3>
              {field(
                'baseline',
                'Baseline',
                'Rolling: mean and σ of earlier windows. Robust: median and MAD, so one odd window barely moves it. Seasonal: the same time on earlier days or weeks (rolling until 3 of them exist).',
                <select
                  {...fieldProps('baseline')}
                  onChange={(e) => change('baseline', e.target.value)}
                >
                  <option value="rolling">rolling</option>
                  <option value="robust">robust</option>
                  <option value="seasonal">seasonal</option>
                </select>,
              )}
              {field(
                'baselineWindows',
                'Baseline windows',
                'How many earlier windows the expected value is learned from (3–1000).',
                numberInput('baselineWindows', { min: 3, max: 1000, step: 1 }),
              )}
              {field(
                'season',
                'Season',
                seasonal
                  ? 'Compare with the same time of day, or of the week.'
                  : 'Used by the seasonal baseline only.',
                <select
                  {...fieldProps('season')}
                  onChange={(e) => change('season', e.target.value)}
                >
                  <option value="day">day</option>
                  <option value="week">week</option>
                </select>,
              )}
              {field(
                'sigmaFloor',
                'σ floor',
                <>
                  Smallest σ used, in the metric&rsquo;s unit
                  {metric.unit ? ` (${metric.unit})` : ''}; 0 for none. The window&rsquo;s own
                  sampling noise is always a floor.
                </>,
                numberInput('sigmaFloor', { min: 0, step: 0.01, decimal: true }),
              )}

              <h3 className={styles.group}>Anomalies</h3>
              {field(
                'consecutiveWindows',
                'Consecutive windows',
                `Warn-level windows in a row before an anomaly opens (1–${MAX_CONSECUTIVE}); it then covers all of them. A critical window opens one at once.`,
                numberInput('consecutiveWindows', { min: 1, max: MAX_CONSECUTIVE, step: 1 }),
              )}
              {field(
                'resolveAfter',
                'Resolve after',
                `Normal windows in a row after which an open anomaly resolves itself (1–${MAX_RESOLVE_AFTER}). A shorter dip keeps it open.`,
                numberInput('resolveAfter', { min: 1, max: MAX_RESOLVE_AFTER, step: 1 }),
              )}

              {canEdit ? (
                <div className={styles.check}>
                  <input
                    id="rescore"
                    type="checkbox"
                    checked={rescore}
                    onChange={(e) => setRescore(e.target.checked)}
                    aria-describedby="rescore-hint"
                  />
                  <label htmlFor="rescore">Re-score stored history with the new settings</label>
                  <p id="rescore-hint" className="hint">
                    The detector re-scores the windows the preview covers, so anomalies that would
                    not open with these settings do not linger.
                  </p>
                </div>
              ) : null}
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
                {saved
                  ? saved.rescoreFrom !== null
                    ? `Saved. Applies from the next window; stored windows from ${formatDateTime(saved.rescoreFrom)} on will be re-scored.`
                    : 'Saved. Applies from the next window.'
                  : ''}
              </p>
            </div>
            <p id="rule-help" className="muted small">
              Changes apply from the next scored window; past windows keep their status unless
              stored history is re-scored.
              {ruleUpdatedAt !== null ? (
                <>
                  {' '}
                  Last changed <TimeAgo ms={ruleUpdatedAt} />.
                </>
              ) : null}
            </p>
          </form>
        </section>

        <section className="card" aria-labelledby="preview-heading" aria-busy={updating}>
          <h2 id="preview-heading">Effect on stored history</h2>
          {canEdit && shown ? (
            <>
              <MetricChart
                points={shown.windows}
                metric={metric}
                windowMs={shown.windowMs}
                inner={previewed.warnZ}
                outer={previewed.criticalZ}
                highlights={shown.candidate.anomalies.map((a) => ({
                  from: a.firstWindow,
                  to: a.lastWindow,
                }))}
                height={260}
                label={`${metric.name} over the last ${spanLabel(shown)}, re-scored with the ${editing ? 'edited' : 'current'} settings: windows that would alert are marked, anomalies that would open are shaded`}
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
                <li>
                  <span className="swatch swatch-highlight" /> would open an anomaly
                </li>
              </ul>
              <div className={styles.summary} data-testid="rule-preview">
                <p>
                  {editing ? 'With these settings, ' : 'With the current settings, '}
                  <strong data-testid="preview-alerts">
                    {plural(alerted(shown.candidate), 'window')}
                  </strong>{' '}
                  of the last {spanLabel(shown)} would have alerted (
                  {shown.candidate.counts.critical} critical), opening{' '}
                  <strong data-testid="preview-anomalies">
                    {plural(shown.candidate.counts.anomalies, 'anomaly', 'anomalies')}
                  </strong>
                  .
                </p>
                {editing ? (
                  <p data-testid="preview-current">
                    The saved settings: {plural(alerted(shown.current), 'window')},{' '}
                    {plural(shown.current.counts.anomalies, 'anomaly', 'anomalies')}.
                  </p>
                ) : null}
                {shown.candidate.counts.unconfirmed > 0 ? (
                  <p className="muted small">
                    {plural(shown.candidate.counts.unconfirmed, 'flagged window')} would open
                    nothing: fewer than {previewed.consecutiveWindows} anomalous in a row.
                  </p>
                ) : null}
                {shown.candidate.counts.learning > 0 ? (
                  <p className="muted small">
                    {plural(shown.candidate.counts.learning, 'window')} still learning (not enough
                    history to score).
                  </p>
                ) : null}
                {shown.candidate.baselineUsed?.startsWith('rolling (') && seasonal ? (
                  <p className="muted small" data-testid="preview-baseline">
                    Latest window: {shown.candidate.baselineUsed}.
                  </p>
                ) : null}
              </div>
            </>
          ) : points.length === 0 ? (
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
              <p className="preview-summary" data-testid="rule-preview">
                {editing ? 'With these thresholds, ' : 'With the current thresholds, '}
                <strong>
                  {storedPreview.warn + storedPreview.critical} of the last {storedPreview.scored}
                </strong>{' '}
                scored windows would have alerted ({storedPreview.critical} critical).
                {editing ? (
                  <> The saved rule alerts on {storedCurrent.warn + storedCurrent.critical}.</>
                ) : null}
              </p>
            </>
          )}
          <p role="status" className={styles.state} data-testid="preview-state">
            {!canEdit
              ? ''
              : !check.ok
                ? 'Fix the highlighted fields to update the preview.'
                : updating
                  ? 'Updating the preview…'
                  : ''}
          </p>
          {canEdit && preview.status === 'error' && preview.key === previewKey ? (
            <p role="alert" className="form-error" data-testid="preview-error">
              The preview failed: {preview.error}{' '}
              <button
                type="button"
                className="button-link"
                onClick={() => setAttempt((n) => n + 1)}
              >
                Try again
              </button>
            </p>
          ) : null}
        </section>
      </div>
    </DetailPage>
  );
}

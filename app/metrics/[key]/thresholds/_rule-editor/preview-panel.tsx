/**
 * "Effect on stored history": for editors, the server re-scores the stored windows with the
 * edited rule and says what would have alerted and opened; viewers (and editors until the
 * first answer) see the stored windows marked against the edited thresholds.
 */
import { useState } from 'react';
import type { PreviewOutcome, RulePreview } from '@/lib/detection/rule-preview';
import type { AlertRule, MetricDefinition } from '@/lib/types';
import type { BoardPoint } from '@/lib/views';
import { MetricChart } from '@/app/_components/charts';
import { countMarks, markWindow } from '@/app/_lib/window-marks';
import styles from '../rule-editor.module.css';
import { lastPreview, useRulePreview } from './use-rule-preview';

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

export function RulePreviewPanel({
  metric,
  windowMs,
  points,
  candidate,
  savedRule,
  dirty,
  seasonal,
  auto,
  canEdit,
}: {
  metric: MetricDefinition;
  windowMs: number;
  /** Stored windows, live. */
  points: BoardPoint[];
  /** The edited rule, when the form checks. */
  candidate: AlertRule | null;
  savedRule: AlertRule;
  /** The form differs from the saved rule. */
  dirty: boolean;
  /** The form's baseline is seasonal (even while another field does not check). */
  seasonal: boolean;
  /** The form's baseline is automatic: the preview detects the season, and says what it found. */
  auto: boolean;
  canEdit: boolean;
}) {
  const [attempt, setAttempt] = useState(0);
  const previewed = candidate ?? savedRule;
  const editing = dirty && candidate !== null;
  const { state: preview, key: previewKey } = useRulePreview(
    metric.key,
    candidate ? JSON.stringify(candidate) : null,
    JSON.stringify(savedRule),
    attempt,
    canEdit,
  );
  const shown = lastPreview(preview);
  const upToDate = preview.status === 'ready' && preview.key === previewKey;
  const updating = canEdit && candidate !== null && !upToDate && preview.status !== 'error';
  const storedPreview = countMarks(points, previewed);
  const storedCurrent = countMarks(points, savedRule);

  return (
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
              of the last {spanLabel(shown)} would have alerted ({shown.candidate.counts.critical}{' '}
              critical), opening{' '}
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
                {plural(shown.candidate.counts.unconfirmed, 'flagged window')} would open nothing:
                fewer than {previewed.consecutiveWindows} anomalous in a row.
              </p>
            ) : null}
            {shown.candidate.counts.learning > 0 ? (
              <p className="muted small">
                {plural(shown.candidate.counts.learning, 'window')} still learning (not enough
                history to score).
              </p>
            ) : null}
            {shown.candidate.baselineUsed &&
            (auto ||
              (seasonal && shown.candidate.baselineUsed.startsWith('rolling (')) ||
              // A young baseline widens σ (lib/detection/zscore.ts): say why it alerts less.
              shown.candidate.baselineUsed.includes('while learning')) ? (
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
            markOf={(p) => markWindow(p, previewed)}
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
          : candidate === null
            ? 'Fix the highlighted fields to update the preview.'
            : updating
              ? 'Updating the preview…'
              : ''}
      </p>
      {canEdit && preview.status === 'error' && preview.key === previewKey ? (
        <p role="alert" className="form-error" data-testid="preview-error">
          The preview failed: {preview.error}{' '}
          <button type="button" className="button-link" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </p>
      ) : null}
    </section>
  );
}

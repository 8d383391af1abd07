/** The draft's last hour of values, recomputed (debounced) whenever the definition changes. */
import type { DefinitionPreview } from '@/lib/views';
import { useEffect, useState, type ReactNode } from 'react';
import { validateDefinition } from '@/lib/metrics/definition';
import type { PreviewPoint } from '@/lib/metrics/definition-preview';
import { formatMetricValue } from '@/lib/metrics/units';
import type { MetricKind } from '@/lib/types';
import type { BoardPoint } from '@/lib/views';
import { MetricChart } from '../../_components/charts';
import { apiFetch } from '../../_lib/api';
import { formatWindowLength } from '../window-length';

type PreviewResult =
  | { ok: true; signature: string; data: DefinitionPreview }
  | { ok: false; signature: string; error: string };

const PREVIEW_DEBOUNCE_MS = 400;

/**
 * A draft's window as the chart draws it. Nothing scored it: no expected value, σ or z, so no
 * band and no mark; the tooltip shows its volume instead of a status.
 */
const toChartPoint = (p: PreviewPoint): BoardPoint => ({
  ...p,
  expected: null,
  sigma: null,
  z: null,
  status: 'ok',
  anomalyId: null,
});

export function PreviewPanel({
  candidate,
  valid,
  kind,
  unit,
}: {
  /** What the form would submit, before validation (see toCandidate). */
  candidate: Record<string, unknown>;
  /** The whole form checks. */
  valid: boolean;
  kind: MetricKind;
  unit: string;
}) {
  // Key, name and unit do not change a value: a draft without them can be previewed already.
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
    }, PREVIEW_DEBOUNCE_MS);
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
        <MetricChart
          points={points.map(toChartPoint)}
          metric={format}
          windowMs={windowMs}
          height={220}
          details="volume"
          label={`Values of the draft over the last ${points.length} windows`}
        />
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

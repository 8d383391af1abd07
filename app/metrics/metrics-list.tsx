'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import type { MetricListItem } from '@/lib/views';
import { formatMetricValue } from '@/lib/metrics/units';
import { summarizeDefinition } from '@/lib/metrics/describe';
import { AppHeader, type HeaderUser } from '../_components/app-header';
import { EventText } from '../_components/event-text';
import { StatusBadge } from '../_components/status-badge';
import { TimeAgo } from '../_components/time-ago';
import { apiFetch, loginHref } from '../_lib/api';
import { revealControls } from '../_lib/format';
import { formatWindowLength } from './window-length';
import { TableWrap } from '@/app/_components/table-wrap';

const KIND_LABEL = { count: 'Count', sum: 'Sum', avg: 'Average', ratio: 'Ratio' } as const;

/** How long "Paused X. Undo" stays offered (while the pointer or focus is not on it). */
const UNDO_MS = 10_000;

/** The id of a metric's switch, for giving it focus back after an undo. */
const switchId = (key: string) => `metric-switch-${key}`;

export function MetricsList({
  user,
  canEdit,
  initial,
  windowMs,
  saved,
}: {
  user: HeaderUser;
  canEdit: boolean;
  initial: MetricListItem[];
  windowMs: number;
  saved: string | null;
}) {
  const router = useRouter();
  const [metrics, setMetrics] = useState(initial);
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<{ key: string; message: string } | null>(null);
  /** The metric just paused, offered back for {@link UNDO_MS}; held while someone is on it. */
  const [undo, setUndo] = useState<{ key: string; name: string } | null>(null);
  const [undoHeld, setUndoHeld] = useState(false);
  const savedMetric = saved ? metrics.find((m) => m.key === saved) : undefined;

  useEffect(() => {
    if (!undo || undoHeld) return;
    const timer = setTimeout(() => setUndo(null), UNDO_MS);
    return () => clearTimeout(timer);
  }, [undo, undoHeld]);

  /**
   * Pauses or resumes at once (the PATCH is idempotent, so an undo is the same request with the
   * old value). A pause is offered back for a while; a resume needs no undo: nothing is lost
   * while a metric is scored.
   */
  async function setEnabled(metric: MetricListItem, enabled: boolean): Promise<boolean> {
    if (pending) return false;
    setPending(metric.key);
    setError(null);
    const result = await apiFetch<{ metric: MetricListItem }>(
      `/api/metrics/${encodeURIComponent(metric.key)}`,
      { method: 'PATCH', body: JSON.stringify({ enabled }) },
    );
    setPending(null);
    if (result.ok) {
      setMetrics((list) => list.map((m) => (m.key === metric.key ? result.data.metric : m)));
      setUndoHeld(false);
      setUndo(enabled ? null : { key: metric.key, name: metric.name });
      return true;
    }
    if (result.status === 401) {
      router.replace(loginHref('/metrics'));
      return false;
    }
    setError({ key: metric.key, message: result.error });
    return false;
  }

  async function undoPause() {
    const metric = undo ? metrics.find((m) => m.key === undo.key) : undefined;
    if (!metric) return setUndo(null);
    // Focus goes back to the switch, which the notice is about to leave.
    if (await setEnabled(metric, true)) document.getElementById(switchId(metric.key))?.focus();
  }

  return (
    <>
      <AppHeader user={user} />
      <main id="main" className="page">
        <nav className="breadcrumb" aria-label="Breadcrumb">
          <Link href="/" className="link">
            ← Back to the board
          </Link>
        </nav>
        <div className="section-head">
          <div>
            <h1>Metrics</h1>
            <p className="muted">
              What the detector scores, every {formatWindowLength(windowMs)} window (or a multiple
              of it). Paused metrics are not scored and keep their history.
            </p>
          </div>
          {canEdit ? (
            <Link href="/metrics/new" className="button button-primary">
              New metric
            </Link>
          ) : null}
        </div>

        {savedMetric ? (
          <p className="form-success" role="status" data-testid="metrics-saved">
            Saved <EventText value={savedMetric.name} />. The detector scores it from the next
            window.
          </p>
        ) : null}
        {!canEdit ? (
          <p className="notice" data-testid="read-only-note">
            You can look at the metrics; only editors can create, change or pause them.
          </p>
        ) : null}

        <section className="card" aria-labelledby="metrics-heading">
          <div className="card-head">
            <h2 id="metrics-heading">All metrics</h2>
            <span className="muted">
              {metrics.filter((m) => m.enabled).length} scored
              {metrics.some((m) => !m.enabled)
                ? ` · ${metrics.filter((m) => !m.enabled).length} paused`
                : ''}
            </span>
          </div>
          {metrics.length === 0 ? (
            <p className="empty">
              No metrics yet.{canEdit ? ' Create one to start detecting anomalies.' : ''}
            </p>
          ) : (
            <TableWrap label="Metrics">
              <table className="table metrics-table" data-testid="metrics-table">
                <thead>
                  <tr>
                    <th scope="col">Metric</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Scored</th>
                    <th scope="col" className="num">
                      Last value
                    </th>
                    <th scope="col">
                      <span className="sr-only">Links</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {/* A split's series follow their parent: the board and their pages show them. */}
                  {metrics
                    .filter((m) => !m.series)
                    .map((metric) => (
                      <tr
                        key={metric.key}
                        data-testid={`metric-row-${metric.key}`}
                        data-enabled={metric.enabled ? 'true' : 'false'}
                      >
                        <td>
                          <div className="metric-list-name">
                            <EventText value={metric.name} />
                          </div>
                          <code className="metric-list-key">{metric.key}</code>
                          <div className="muted small">
                            <EventText value={summarizeDefinition(metric)} ltr />
                          </div>
                          {error?.key === metric.key ? (
                            <p className="field-error" role="alert">
                              {error.message}
                            </p>
                          ) : null}
                        </td>
                        <td>{KIND_LABEL[metric.kind]}</td>
                        <td>
                          {canEdit ? (
                            <label className="switch">
                              <input
                                id={switchId(metric.key)}
                                type="checkbox"
                                role="switch"
                                checked={metric.enabled}
                                disabled={pending !== null}
                                aria-label={revealControls(`Score ${metric.name}`)}
                                onChange={() => void setEnabled(metric, !metric.enabled)}
                              />
                              <span>
                                {pending === metric.key
                                  ? 'Saving…'
                                  : metric.enabled
                                    ? 'On'
                                    : 'Paused'}
                              </span>
                            </label>
                          ) : (
                            <span>{metric.enabled ? 'On' : 'Paused'}</span>
                          )}
                        </td>
                        <td className="num">
                          {metric.last ? (
                            <div className="metric-list-last">
                              <span data-testid="last-value">
                                {formatMetricValue(metric, metric.last.value)}
                              </span>
                              <span className="muted small">
                                <StatusBadge status={metric.last.status} />{' '}
                                <TimeAgo ms={metric.last.windowStart} />
                              </span>
                            </div>
                          ) : (
                            <span className="muted" data-testid="last-value">
                              not scored yet
                            </span>
                          )}
                        </td>
                        <td>
                          <div className="metric-list-links">
                            <Link
                              href={`/metrics/${encodeURIComponent(metric.key)}/thresholds`}
                              className="link"
                            >
                              Thresholds
                            </Link>
                            <Link
                              href={`/metrics/${encodeURIComponent(metric.key)}/edit`}
                              className="link"
                              aria-label={revealControls(
                                `${canEdit ? 'Edit' : 'View'} definition of ${metric.name}`,
                              )}
                            >
                              {canEdit ? 'Edit' : 'Definition'}
                            </Link>
                          </div>
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </section>

        {/* Always rendered: a live region announces what enters it, not what it came with. */}
        <div
          className="undo-toast"
          role="status"
          data-testid="undo-pause"
          onMouseEnter={() => setUndoHeld(true)}
          onMouseLeave={() => setUndoHeld(false)}
          onFocus={() => setUndoHeld(true)}
          onBlur={(e) => {
            if (!e.currentTarget.contains(e.relatedTarget)) setUndoHeld(false);
          }}
        >
          {undo ? (
            <p className="undo-toast-body">
              <span>
                Paused <EventText value={undo.name} />: it is not scored until it is resumed.
              </span>
              <button
                type="button"
                className="button button-ghost"
                disabled={pending !== null}
                onClick={() => void undoPause()}
                aria-label={revealControls(`Undo: resume ${undo.name}`)}
              >
                Undo
              </button>
            </p>
          ) : null}
        </div>
      </main>
    </>
  );
}

'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
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

const KIND_LABEL = { count: 'Count', sum: 'Sum', avg: 'Average', ratio: 'Ratio' } as const;

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
  const savedMetric = saved ? metrics.find((m) => m.key === saved) : undefined;

  async function toggle(metric: MetricListItem) {
    if (pending) return;
    setPending(metric.key);
    setError(null);
    const result = await apiFetch<{ metric: MetricListItem }>(
      `/api/metrics/${encodeURIComponent(metric.key)}`,
      { method: 'PATCH', body: JSON.stringify({ enabled: !metric.enabled }) },
    );
    setPending(null);
    if (result.ok) {
      setMetrics((list) => list.map((m) => (m.key === metric.key ? result.data.metric : m)));
      return;
    }
    if (result.status === 401) return router.replace(loginHref('/metrics'));
    setError({ key: metric.key, message: result.error });
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
            <div className="table-wrap">
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
                  {metrics.map((metric) => (
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
                              type="checkbox"
                              role="switch"
                              checked={metric.enabled}
                              disabled={pending !== null}
                              aria-label={revealControls(`Score ${metric.name}`)}
                              onChange={() => void toggle(metric)}
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
                            href={`/metrics/${encodeURIComponent(metric.key)}`}
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
            </div>
          )}
        </section>
      </main>
    </>
  );
}

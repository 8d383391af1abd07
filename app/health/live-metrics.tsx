'use client';
import type { LiveMetrics } from '@/lib/observability/live-figures';
import { EventText } from '../_components/event-text';
import { TimeAgo } from '../_components/time-ago';
import { formatNumber } from '../_lib/format';
import { TableWrap } from '@/app/_components/table-wrap';

/**
 * The live figures of the Health page — the same metrics `/metrics` serves to Prometheus:
 * throughput, flush latency, lags per partition, buffers, quarantine by reason, sockets.
 */
export function LiveMetricsSection({
  live,
  error,
  reasonLabel,
}: {
  live: LiveMetrics | null;
  error: string | null;
  reasonLabel: (reason: string) => string;
}) {
  return (
    <section className="card" aria-labelledby="live-heading" data-testid="live-metrics">
      <div className="card-head">
        <h2 id="live-heading">Live metrics</h2>
        <span className="muted">
          {live ? (
            <>
              {live.workers.length} {live.workers.length === 1 ? 'worker' : 'workers'} reporting ·
              also at <code>/metrics</code>
            </>
          ) : (
            <>
              also at <code>/metrics</code>
            </>
          )}
        </span>
      </div>
      {error ? (
        <p className="notice notice-warn" role="status" data-testid="live-error">
          Could not refresh the live metrics: {error}
          {live ? ' Showing the last figures read.' : ''}
        </p>
      ) : null}
      {live ? <LiveBody live={live} reasonLabel={reasonLabel} /> : null}
      {!live && !error ? <p className="empty">Reading the metrics…</p> : null}
    </section>
  );
}

function LiveBody({
  live,
  reasonLabel,
}: {
  live: LiveMetrics;
  reasonLabel: (reason: string) => string;
}) {
  const waiting = live.buffers.reduce((n, b) => n + b.events, 0);
  const held = live.buffers.reduce((n, b) => n + b.heldFlushes, 0);
  return (
    <div className="live-body">
      <dl className="stat-row" data-testid="live-stats">
        <LiveStat
          label="Throughput"
          testId="live-throughput"
          value={`${formatRate(live.throughput)}/s`}
        />
        <LiveStat label="Flush p50" testId="live-flush-p50" value={formatSeconds(live.flush.p50)} />
        <LiveStat label="Flush p99" testId="live-flush-p99" value={formatSeconds(live.flush.p99)} />
        <LiveStat
          label="Waiting to flush"
          testId="live-buffer"
          value={`${formatCount(waiting)}${held > 0 ? ` · ${held} held` : ''}`}
          warn={held > 0}
        />
        <LiveStat
          label="Live connections"
          testId="live-sockets"
          value={formatCount(live.sockets)}
        />
      </dl>
      <p className="muted live-note">
        Since each process started: {formatCount(live.events.folded)} folded,{' '}
        {formatCount(live.events.quarantined)} quarantined, {formatCount(live.flush.count)} flushes
        {live.flush.failed > 0
          ? ` (${formatCount(live.flush.failed)} failed and retried)`
          : ''}, {formatCount(live.rowsWritten)} rollup rows written.
      </p>

      {live.workers.length === 0 ? (
        <p className="empty" data-testid="live-empty">
          No worker has reported in the last 30 s. Workers publish their figures every 5 s while
          they run.
        </p>
      ) : null}

      <div className="live-grid">
        <div>
          <h3 className="card-title">Lag per partition</h3>
          {live.partitions.length === 0 ? (
            <p className="empty">No partition is being consumed.</p>
          ) : (
            <TableWrap label="Source partitions">
              <table className="table" data-testid="live-partitions">
                <thead>
                  <tr>
                    <th scope="col">Source</th>
                    <th scope="col" className="num">
                      Partition
                    </th>
                    <th scope="col" className="num" title="Kafka: high watermark − next offset">
                      Consumer lag
                    </th>
                    <th scope="col" className="num" title="now − event-time watermark">
                      Watermark lag
                    </th>
                    <th scope="col">Worker</th>
                  </tr>
                </thead>
                <tbody>
                  {live.partitions.map((p) => (
                    <tr
                      key={`${p.worker}\0${p.source}\0${p.partition}`}
                      data-source={p.source}
                      data-partition={p.partition}
                    >
                      <td className="cell-value">
                        <EventText value={p.source} />
                      </td>
                      <td className="num">{p.partition}</td>
                      <td className="num">
                        {p.consumerLag === null ? (
                          <span className="muted" title="Not a Kafka partition">
                            —
                          </span>
                        ) : (
                          `${formatCount(p.consumerLag)} msgs`
                        )}
                      </td>
                      <td className="num">
                        {p.watermarkLagSeconds === null
                          ? '—'
                          : formatSeconds(p.watermarkLagSeconds)}
                      </td>
                      <td className="cell-value">
                        <EventText value={p.worker} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </div>

        <div>
          <h3 className="card-title">Buffers</h3>
          {live.buffers.length === 0 ? (
            <p className="empty">Nothing buffered.</p>
          ) : (
            <TableWrap label="Buffers">
              <table className="table" data-testid="live-buffers">
                <thead>
                  <tr>
                    <th scope="col">Source</th>
                    <th scope="col" className="num">
                      Events
                    </th>
                    <th scope="col" className="num">
                      Rollup cells
                    </th>
                    <th scope="col" className="num">
                      Held flushes
                    </th>
                    <th scope="col">Worker</th>
                  </tr>
                </thead>
                <tbody>
                  {live.buffers.map((b) => (
                    <tr key={`${b.worker}\0${b.source}`} data-source={b.source}>
                      <td className="cell-value">
                        <EventText value={b.source} />
                      </td>
                      <td className="num">{formatCount(b.events)}</td>
                      <td className="num">{formatCount(b.cells)}</td>
                      <td className={b.heldFlushes > 0 ? 'num unbalanced' : 'num'}>
                        {formatCount(b.heldFlushes)}
                      </td>
                      <td className="cell-value">
                        <EventText value={b.worker} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        </div>

        <div>
          <h3 className="card-title">Quarantined since start</h3>
          {live.quarantine.length === 0 ? (
            <p className="empty">None since the workers started.</p>
          ) : (
            <ul className="live-reasons" data-testid="live-quarantine">
              {live.quarantine.map((q) => (
                <li key={q.reason} data-reason={q.reason} data-count={q.count}>
                  <span>{reasonLabel(q.reason)}</span>
                  <span className="num">{formatCount(q.count)}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>

      {live.workers.length > 0 ? (
        <p className="muted live-note" data-testid="live-workers">
          Reporting:{' '}
          {live.workers.map((w, i) => (
            <span key={w.worker}>
              {i > 0 ? ', ' : ''}
              <EventText className="cell-value" value={w.worker} /> (<TimeAgo ms={w.updatedAt} />)
            </span>
          ))}
        </p>
      ) : null}
    </div>
  );
}

function LiveStat({
  label,
  value,
  testId,
  warn = false,
}: {
  label: string;
  value: string;
  testId: string;
  warn?: boolean;
}) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd data-testid={testId} className={warn ? 'unbalanced' : undefined}>
        {value}
      </dd>
    </div>
  );
}

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Events per second: "0", "12.5", "48,210". */
export function formatRate(perSecond: number): string {
  if (perSecond > 0 && perSecond < 10) return formatNumber(perSecond);
  return formatCount(perSecond);
}

/** Seconds, short: "—", "0.8 ms", "42 ms", "1.3 s", "12 s", "5 min", "2.0 h". */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 0) return '0 s';
  if (seconds < 0.01) return `${(seconds * 1000).toFixed(1)} ms`;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

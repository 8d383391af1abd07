'use client';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { NotificationHealth } from '@/lib/alerts/notify/delivery-health';
import type { ReingestResult } from '@/lib/views';
import type { LiveMetrics } from '@/lib/observability/live-figures';
import type { RetentionPolicy, TableStorage } from '@/lib/retention/policy';
import type { Health, HealthPartition, QuarantineItem } from '@/lib/views';
import { AppHeader, type HeaderUser } from '../_components/app-header';
import { TimeAgo } from '../_components/time-ago';
import { EventText } from '../_components/event-text';
import { apiFetch, loginHref } from '../_lib/api';
import { formatNumber } from '../_lib/format';
import { DEFAULT_MAX_LEAF_ROWS } from '@/lib/stream/leaf-cap';
import { useNow } from '../_lib/use-now';
import { LiveMetricsSection } from './live-metrics';
import { NotificationsSection } from './notifications-panel';
import { StorageSection } from './storage-table';
import { TableWrap } from '@/app/_components/table-wrap';

/** How often the page asks for fresh numbers. */
export const HEALTH_REFRESH_MS = 5_000;

const REASON_LABEL: Record<string, string> = {
  malformed_json: 'Malformed JSON',
  schema: 'Schema violation',
  too_large: 'Too large',
  bad_timestamp: 'Bad timestamp',
  future: 'Too far in the future',
  late: 'Late (window already final)',
  unwritable: 'Refused by PostgreSQL',
};

const reasonLabel = (reason: string) => REASON_LABEL[reason] ?? reason;

/**
 * The page's figures: accounting and quarantine, the size of each stored table, and how
 * notifications are being delivered.
 */
type HealthData = Health & { storage?: TableStorage[]; notifications?: NotificationHealth };

/** Long payloads wrap and scroll inside a bounded box instead of stretching the page. */
export function HealthView({
  initial,
  initialLive = null,
  retention = null,
  user,
}: {
  initial: HealthData;
  /** The live metrics read with the page; null when they could not be read. */
  initialLive?: LiveMetrics | null;
  /** How long each table keeps its data (the configuration). */
  retention?: RetentionPolicy | null;
  user: HeaderUser;
}) {
  const router = useRouter();
  const [health, setHealth] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<LiveMetrics | null>(initialLive);
  const [liveError, setLiveError] = useState<string | null>(
    initialLive ? null : 'the metrics could not be read.',
  );
  const busy = useRef(false);
  const mounted = useRef(true);

  // Accounting (with the outbox and the channels) and live metrics, read together every few
  // seconds (and after a re-ingest).
  const refresh = useCallback(
    async (force = false) => {
      if (busy.current || (!force && document.hidden)) return;
      busy.current = true;
      const [result, metrics] = await Promise.all([
        apiFetch<HealthData>('/api/health/details'),
        apiFetch<LiveMetrics>('/api/health/metrics'),
      ]);
      busy.current = false;
      if (!mounted.current) return;
      if (result.status === 401 || metrics.status === 401) {
        router.replace(loginHref('/health'));
        return;
      }
      if (result.ok) {
        setHealth(result.data);
        setError(null);
      } else setError(result.error);
      if (metrics.ok) {
        setLive(metrics.data);
        setLiveError(null);
      } else setLiveError(metrics.error);
    },
    [router],
  );

  useEffect(() => {
    mounted.current = true;
    const timer = setInterval(() => void refresh(), HEALTH_REFRESH_MS);
    return () => {
      mounted.current = false;
      clearInterval(timer);
    };
  }, [refresh]);

  const { totals } = health;
  return (
    <>
      <AppHeader user={user}>
        <span className="muted header-detail" data-testid="health-refreshed">
          <TimeAgo ms={health.generatedAt} prefix="Updated " /> · every {HEALTH_REFRESH_MS / 1000} s
        </span>
      </AppHeader>
      <main id="main" className="page">
        <div className="section-head">
          <h1>Health</h1>
          <p className="muted">Every event received is either folded or quarantined.</p>
        </div>
        {error ? (
          <p className="notice notice-warn" role="status">
            Could not refresh: {error} Showing the last numbers read.
          </p>
        ) : null}

        <dl className="stat-row" data-testid="health-totals">
          <Stat label="Received" value={totals.received} />
          <Stat label="Folded" value={totals.folded} />
          <Stat label="Quarantined" value={totals.quarantined} />
          <div className="stat">
            <dt>Accounting</dt>
            <dd className={totals.balanced ? 'balanced' : 'unbalanced'}>
              {totals.balanced ? '✓ balanced' : '✗ off'}
            </dd>
          </div>
        </dl>

        {totals.leafEventsFolded > 0 ? (
          <p className="notice" role="status" data-testid="leaf-cap-note">
            {formatNumber(totals.leafEventsFolded)} events came in flushes with more distinct
            dimension combinations than the leaf cube keeps per flush (
            {formatNumber(DEFAULT_MAX_LEAF_ROWS)} rows): the rarest combinations were folded into
            &ldquo;(other)&rdquo;. Every total is exact; metrics filtered on a dimension value and
            root causes miss those events&rsquo; detail.
          </p>
        ) : null}

        <LiveMetricsSection live={live} error={liveError} reasonLabel={reasonLabel} />

        <section className="card" aria-labelledby="accounting-heading">
          <div className="card-head">
            <h2 id="accounting-heading">Accounting per partition</h2>
            <span className="muted">
              {totals.partitions} {totals.partitions === 1 ? 'partition' : 'partitions'}
              {totals.idle > 0 ? ` · ${totals.idle} idle` : ''}
            </span>
          </div>
          <AccountingTable health={health} />
        </section>

        <NotificationsSection
          health={health.notifications}
          isAdmin={user.role === 'admin'}
          formatAge={formatLag}
        />

        <section className="card" aria-labelledby="reasons-heading">
          <div className="card-head">
            <h2 id="reasons-heading">Quarantine by reason</h2>
            <span className="muted">{formatNumber(totals.quarantined)} in total</span>
          </div>
          <TableWrap label="Quarantine by reason">
            <table className="table" data-testid="quarantine-reasons">
              <thead>
                <tr>
                  <th scope="col">Reason</th>
                  <th scope="col" className="num">
                    Events
                  </th>
                </tr>
              </thead>
              <tbody>
                {health.reasons.map((r) => (
                  <tr key={r.reason} data-reason={r.reason} data-count={r.count}>
                    <td>
                      {reasonLabel(r.reason)} <code>{r.reason}</code>
                    </td>
                    <td className="num">{formatNumber(r.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </section>

        <StorageSection storage={health.storage} retention={retention} />

        <LatestQuarantined
          latest={health.latest}
          canReingest={user.role === 'admin'}
          onReingested={() => refresh(true)}
        />
      </main>
    </>
  );
}

function Stat({ label, value }: { label: string; value: number }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>{formatNumber(value)}</dd>
    </div>
  );
}

function AccountingTable({ health }: { health: Health }) {
  const clock = useNow();
  // Before hydration the server's read time stands in for "now", so both renders agree.
  const now = clock ?? health.generatedAt;
  if (health.partitions.length === 0) {
    return (
      <p className="empty" data-testid="accounting">
        No source has reported yet — a partition appears with its first flush.
      </p>
    );
  }
  return (
    <TableWrap label="Accounting per partition">
      <table className="table" data-testid="accounting">
        <caption className="sr-only">
          Per partition: received must equal folded plus quarantined.
        </caption>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col" className="num">
              Partition
            </th>
            <th scope="col" className="num">
              Received
            </th>
            <th scope="col" className="num">
              = Folded
            </th>
            <th scope="col" className="num">
              + Quarantined
            </th>
            <th scope="col">Balanced</th>
            <th scope="col">Watermark</th>
            <th scope="col" className="num">
              Lag
            </th>
            <th scope="col" className="num">
              Next offset
            </th>
            <th scope="col">Owner</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {health.partitions.map((p) => (
            <PartitionRow key={`${p.source}\0${p.partition}`} p={p} now={now} />
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function PartitionRow({ p, now }: { p: HealthPartition; now: number }) {
  const gap = p.received - p.folded - p.quarantined;
  return (
    <tr
      data-testid={`partition-${p.source}-${p.partition}`}
      data-source={p.source}
      data-partition={p.partition}
      data-balanced={p.balanced ? 'true' : 'false'}
      data-received={p.received}
      data-idle={p.idle ? 'true' : 'false'}
    >
      <td className="cell-value">
        <EventText value={p.source} />
      </td>
      <td className="num">{p.partition}</td>
      <td className="num" data-testid="received">
        {formatCount(p.received)}
      </td>
      <td className="num">{formatCount(p.folded)}</td>
      <td className="num">{formatCount(p.quarantined)}</td>
      <td>
        {p.balanced ? (
          <span className="badge status-ok" title="received = folded + quarantined">
            ✓ balanced
          </span>
        ) : (
          <span className="badge status-critical" title="received ≠ folded + quarantined">
            ✗ off by {formatCount(gap)}
          </span>
        )}
      </td>
      <td>
        {p.watermark !== null ? <TimeAgo ms={p.watermark} /> : <span className="muted">—</span>}
      </td>
      <td className="num">{p.watermark !== null ? formatLag(now - p.watermark) : '—'}</td>
      <td className="num">{formatCount(p.nextOffset)}</td>
      <td className="cell-value">{p.owner ?? <span className="muted">—</span>}</td>
      <td>
        <TimeAgo ms={p.updatedAt} />
        {p.idle ? (
          <>
            {' '}
            <span className="badge status-learning" title="No update for over a minute">
              idle
            </span>
          </>
        ) : null}
      </td>
    </tr>
  );
}

/** Bytes of the payload kept in quarantine; fewer than `rawSize` means it was truncated. */
function keptBytes(item: QuarantineItem): number {
  return new TextEncoder().encode(item.raw).length;
}

/**
 * The newest quarantined events; admins select some and re-ingest them after a fix
 * (POST /api/quarantine/reingest). Truncated and already re-ingested ones cannot be selected.
 */
function LatestQuarantined({
  latest,
  canReingest,
  onReingested,
}: {
  latest: QuarantineItem[];
  canReingest: boolean;
  onReingested: () => Promise<void>;
}) {
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ReingestResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const selectable = (item: QuarantineItem) =>
    item.reingestedAt === null && item.rawSize <= keptBytes(item);
  // Only what is still listed and selectable counts (the list refreshes underneath).
  const chosen = latest.filter((item) => selected.has(item.id) && selectable(item));

  const toggle = (id: number, on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const reingest = async () => {
    if (chosen.length === 0 || busy) return;
    setBusy(true);
    setFailure(null);
    setOutcome(null);
    const result = await apiFetch<ReingestResult>('/api/quarantine/reingest', {
      method: 'POST',
      body: JSON.stringify({ ids: chosen.map((item) => item.id) }),
    });
    setBusy(false);
    if (!result.ok) {
      setFailure(result.error);
      return;
    }
    setOutcome(result.data);
    setSelected(new Set());
    await onReingested();
  };

  return (
    <section className="card" aria-labelledby="latest-heading">
      <div className="card-head">
        <h2 id="latest-heading">Latest quarantined events</h2>
        <span className="muted">newest first, up to 50</span>
      </div>
      {canReingest && latest.length > 0 ? (
        <div className="reingest-bar">
          <button
            type="button"
            className="button button-primary"
            data-testid="reingest-button"
            disabled={chosen.length === 0 || busy}
            onClick={() => void reingest()}
          >
            {busy
              ? 'Re-ingesting…'
              : `Re-ingest selected${chosen.length > 0 ? ` (${chosen.length})` : ''}`}
          </button>
          <span className="hint">
            After a fix: the stored payloads go through validation again as source{' '}
            <code>reingest</code>. Events past the allowed lateness are still counted, and their
            windows are re-scored. Truncated payloads cannot be re-ingested.
          </span>
        </div>
      ) : null}
      {failure ? (
        <p className="form-error" role="alert" data-testid="reingest-error">
          {failure}
        </p>
      ) : null}
      {outcome ? <ReingestOutcome result={outcome} /> : null}
      <div data-testid="quarantine-latest">
        {latest.length === 0 ? (
          <p className="empty">Nothing quarantined — every event so far was valid.</p>
        ) : (
          <ol className="alert-list">
            {latest.map((item) => (
              <QuarantineEntry
                key={item.id}
                item={item}
                select={
                  canReingest
                    ? {
                        checked: selected.has(item.id) && selectable(item),
                        disabled: !selectable(item) || busy,
                        onChange: (on) => toggle(item.id, on),
                      }
                    : null
                }
              />
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}

function ReingestOutcome({ result }: { result: ReingestResult }) {
  const reasons = Object.entries(result.quarantinedByReason)
    .map(([reason, n]) => `${reasonLabel(reason).toLowerCase()}: ${n}`)
    .join(', ');
  return (
    <div
      className="notice reingest-result"
      role="status"
      data-testid="reingest-result"
      data-reingested={result.reingested}
      data-folded={result.folded}
      data-quarantined={result.quarantined}
      data-refused={result.refused.length}
    >
      <p>
        Re-ingested {result.reingested} {result.reingested === 1 ? 'event' : 'events'}:{' '}
        {result.folded} folded, {result.quarantined} quarantined again
        {reasons ? ` (${reasons})` : ''}.
        {result.alreadyReingested.length > 0
          ? ` ${result.alreadyReingested.length} had already been re-ingested.`
          : ''}
        {result.missing.length > 0 ? ` ${result.missing.length} no longer exist.` : ''}
      </p>
      {result.refused.length > 0 ? (
        <ul className="reingest-refused">
          {result.refused.map((r) => (
            <li key={r.id}>{r.message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function QuarantineEntry({
  item,
  select,
}: {
  item: QuarantineItem;
  select: { checked: boolean; disabled: boolean; onChange: (on: boolean) => void } | null;
}) {
  const kept = keptBytes(item);
  return (
    <li
      className="alert-item"
      data-testid={`quarantined-${item.id}`}
      data-reason={item.reason}
      data-reingested={item.reingestedAt !== null ? 'true' : 'false'}
    >
      <div className="alert-top">
        {select ? (
          <input
            type="checkbox"
            className="reingest-check"
            aria-label={`Select #${item.id} for re-ingest`}
            checked={select.checked}
            disabled={select.disabled}
            onChange={(e) => select.onChange(e.target.checked)}
          />
        ) : null}
        <span className="badge status-warn">{reasonLabel(item.reason)}</span>
        {item.reingestedAt !== null ? (
          <span className="badge status-ok" title="Re-ingested by an admin">
            re-ingested <TimeAgo ms={item.reingestedAt} />
          </span>
        ) : null}
        <EventText className="cell-value" value={item.source} />
        <span className="muted">
          #{item.id} · <TimeAgo ms={item.receivedAt} /> · {formatBytes(item.rawSize)}
          {item.rawSize > kept
            ? ` (first ${formatBytes(kept)} kept${select ? '; cannot be re-ingested' : ''})`
            : ''}
        </span>
      </div>
      <p className="alert-sentence">
        <EventText value={item.detail} ltr />
      </p>
      <pre className="raw-payload">
        <code>
          <EventText value={item.raw} ltr />
        </code>
      </pre>
    </li>
  );
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** now − watermark, short: "850 ms", "12 s", "3 min", "2 h". */
export function formatLag(ms: number): string {
  if (ms < 0) return '0 s';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

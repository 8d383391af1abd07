/**
 * The series of a split metric (lib/metrics/split.ts) inside its parent's board card: one row
 * per value with its latest value, z and status, alerting series first, each a link to its
 * metric page. Collapsed unless a series alerts, so that a split by 50 values does not bury
 * the board.
 */
import Link from 'next/link';
import { exploreHref, type RangeState } from '@/lib/explore/view-state';
import { seriesLabel } from '@/lib/metrics/split';
import { formatMetricValue } from '@/lib/metrics/units';
import type { BoardMetric } from '@/lib/views';
import { EventText } from './_components/event-text';
import { StatusBadge } from './_components/status-badge';
import { formatZ } from './_lib/format';

const RANK: Record<string, number> = { critical: 0, warn: 1 };
const rank = (m: BoardMetric) => RANK[m.points.at(-1)?.status ?? ''] ?? 2;

export function SplitSeries({
  parent,
  series,
  view,
}: {
  parent: BoardMetric;
  /** The parent's series, in id order. */
  series: BoardMetric[];
  view: RangeState;
}) {
  if (series.length === 0) return null;
  const dim = series[0]!.series!.dim;
  const alerting = series.filter((m) => rank(m) < 2).length;
  const ordered = [...series].sort((a, b) => rank(a) - rank(b));
  return (
    <details
      className="split-series"
      open={alerting > 0}
      data-testid={`split-series-${parent.key}`}
    >
      <summary>
        Per <EventText value={dim} />: {series.length} series
        {alerting > 0 ? <span className="split-alerting"> · {alerting} alerting</span> : null}
      </summary>
      <ul className="split-list">
        {ordered.map((m) => {
          const latest = m.points.at(-1);
          return (
            <li
              key={m.id}
              data-testid={`series-${m.key}`}
              data-status={latest?.status ?? 'waiting'}
            >
              <Link
                href={exploreHref(m.key, { range: view.range ?? undefined, tz: view.tz })}
                className="link split-name"
              >
                <EventText value={seriesLabel(m.series!)} />
              </Link>
              <span className="split-value">
                {latest?.value !== null && latest?.value !== undefined
                  ? formatMetricValue(m, latest.value)
                  : '—'}
              </span>
              <span className="split-z muted">z {formatZ(latest?.z)}</span>
              {latest ? <StatusBadge status={latest.status} /> : null}
            </li>
          );
        })}
      </ul>
    </details>
  );
}

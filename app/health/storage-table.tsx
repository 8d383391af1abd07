'use client';
import {
  keptFor,
  type RetentionPolicy,
  type StoredTable,
  type TableStorage,
} from '@/lib/retention/policy';
import { TimeAgo } from '../_components/time-ago';
import { TableWrap } from '@/app/_components/table-wrap';

const TABLE_LABEL: Record<StoredTable, string> = {
  rollups: 'Rollups',
  leaf_rollups: 'Leaf cube',
  metric_points: 'Scored windows',
  quarantine: 'Quarantine',
  anomalies: 'Anomalies',
  anomaly_events: 'Anomaly audit trail',
  worker_metrics: 'Worker metrics',
  sessions: 'Sessions',
};

/**
 * What each table weighs on disk (indexes included, summed over its day partitions), the oldest
 * data it keeps and how long it keeps it (README, Retention). Rows in a default partition wait
 * for the next maintenance pass to move them into their day.
 */
export function StorageSection({
  storage,
  retention,
}: {
  storage: readonly TableStorage[] | undefined;
  /** The retention settings; null when the page could not read them. */
  retention: RetentionPolicy | null;
}) {
  const total = (storage ?? []).reduce((n, s) => n + s.bytes, 0);
  return (
    <section className="card" aria-labelledby="storage-heading">
      <div className="card-head">
        <h2 id="storage-heading">Storage and retention</h2>
        <span className="muted">
          {storage ? `${formatSize(total)} in total · ` : ''}expired days are dropped every 10 min
        </span>
      </div>
      {!storage || storage.length === 0 ? (
        <p className="empty" data-testid="storage">
          Table sizes are not available.
        </p>
      ) : (
        <TableWrap label="Storage">
          <table className="table" data-testid="storage">
            <caption className="sr-only">
              Size on disk, day partitions, oldest data kept and retention of each table.
            </caption>
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num wide-only">
                  Day partitions
                </th>
                <th scope="col" className="num wide-only" title="Rows no day partition covers yet">
                  In default partition
                </th>
                <th scope="col">Oldest kept</th>
                <th scope="col">Kept</th>
              </tr>
            </thead>
            <tbody>
              {storage.map((s) => (
                <tr
                  key={s.table}
                  data-table={s.table}
                  data-bytes={s.bytes}
                  data-partitions={s.partitions}
                >
                  <td>
                    {TABLE_LABEL[s.table] ?? s.table} <code className="wide-only">{s.table}</code>
                  </td>
                  <td className="num">{formatSize(s.bytes)}</td>
                  <td className="num wide-only">{s.defaultBytes === null ? '—' : s.partitions}</td>
                  <td className="num wide-only">
                    {s.defaultBytes === null ? '—' : formatSize(s.defaultBytes)}
                  </td>
                  <td>
                    {s.oldest !== null ? (
                      <TimeAgo ms={s.oldest} />
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>{retention ? keptFor(s.table, retention) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}

/** Bytes in binary units: "512 B", "8.0 KiB", "95.3 MiB", "2.4 GiB". */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

import type { PointStatus, Severity } from '@/lib/types';
import { SEVERITY_LABEL, STATUS_LABEL } from '../_lib/format';

export function StatusBadge({ status }: { status: PointStatus }) {
  return <span className={`badge status-${status}`}>{STATUS_LABEL[status]}</span>;
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span className={`badge status-${severity}`} data-severity={severity}>
      {SEVERITY_LABEL[severity]}
    </span>
  );
}

export function LifecycleBadge({ status }: { status: 'open' | 'resolved' }) {
  return (
    <span className={`lifecycle lifecycle-${status}`} data-lifecycle={status}>
      {status === 'open' ? 'Open' : 'Resolved'}
    </span>
  );
}

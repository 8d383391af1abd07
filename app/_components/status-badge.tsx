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

const LIFECYCLE_LABEL = { open: 'Open', resolved: 'Resolved', withdrawn: 'Withdrawn' } as const;

export function LifecycleBadge({ status }: { status: keyof typeof LIFECYCLE_LABEL }) {
  return (
    <span className={`lifecycle lifecycle-${status}`} data-lifecycle={status}>
      {LIFECYCLE_LABEL[status]}
    </span>
  );
}

/** Shown on an anomaly opened before its window closed, until the window's final score confirms it. */
export function InterimBadge({ interim }: { interim: boolean | undefined }) {
  if (!interim) return null;
  return (
    <span
      className="revised"
      data-testid="interim"
      title="Opened before its window closed, from the data so far; the window's final score confirms or withdraws it."
    >
      Interim
    </span>
  );
}

/** Shown when late events re-scored an anomaly's windows after it was first detected. */
export function RevisedBadge({ revisions }: { revisions: number }) {
  if (revisions <= 0) return null;
  return (
    <span
      className="revised"
      data-testid="revised"
      title="Late events changed this anomaly's windows after it was first detected; it was re-scored."
    >
      Revised{revisions > 1 ? ` ×${revisions}` : ''}
    </span>
  );
}

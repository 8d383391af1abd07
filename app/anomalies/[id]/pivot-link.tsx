/**
 * A dimension value (or a conjunction) as a link to the metric's explore page filtered to that
 * slice (app/_lib/pivot.ts). Its children are the visible text (rendered by the caller through
 * <EventText>); its accessible name says where it goes. A slice the explore page cannot filter
 * on ("(other)", "(none)") stays plain text.
 */
import Link from 'next/link';
import type { ReactNode } from 'react';
import type { RangeSpec } from '@/lib/explore/time-range';
import { pivotHref, pivotLabel } from '../../_lib/pivot';

/** What every pivot link of one anomaly shares. */
export interface PivotContext {
  metricKey: string;
  metricName: string;
  range: RangeSpec;
}

export function PivotLink({
  pivot,
  filter,
  className,
  children,
}: {
  pivot: PivotContext;
  filter: Readonly<Record<string, string>>;
  className?: string;
  children: ReactNode;
}) {
  const href = pivotHref(pivot.metricKey, filter, pivot.range);
  if (href === null) return className ? <span className={className}>{children}</span> : children;
  return (
    <Link
      href={href}
      prefetch={false}
      className={className ? `pivot-link ${className}` : 'pivot-link'}
      aria-label={pivotLabel(pivot.metricName, filter)}
    >
      {children}
    </Link>
  );
}

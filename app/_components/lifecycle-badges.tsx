'use client';
/** What people did with an anomaly, as badges: acknowledged, snoozed, verdict, resolved by. */
import { isSnoozed } from '@/lib/alerts/workflow';
import type { AnomalySummary } from '@/lib/views';
import { revealControls } from '../_lib/format';
import { useNow } from '../_lib/use-now';
import { EventText } from './event-text';
import styles from './lifecycle.module.css';
import { ClockTime } from './time-ago';

/** The class that mutes a snoozed alert on the board. */
export const SNOOZED_CLASS = styles.snoozed;

type Marked = Pick<
  AnomalySummary,
  'status' | 'acknowledged' | 'snoozedUntil' | 'verdict' | 'resolvedBy'
>;

/**
 * True while the anomaly is open and its snooze is in force. Before hydration (no clock yet)
 * a stored snooze counts, so server and client markup agree; the clock corrects it after.
 */
export function useSnoozed(anomaly: Pick<AnomalySummary, 'status' | 'snoozedUntil'>): boolean {
  const now = useNow();
  if (anomaly.status !== 'open' || anomaly.snoozedUntil === null) return false;
  return now === null ? true : isSnoozed(anomaly.snoozedUntil, now);
}

/** Who did it: a username (isolated: see EventText), or a deleted user. */
const who = (by: string | null) => (by === null ? 'a deleted user' : <EventText value={by} />);

export function LifecycleMarks({ anomaly }: { anomaly: Marked }) {
  const snoozed = useSnoozed(anomaly);
  const { acknowledged, verdict, resolvedBy, snoozedUntil } = anomaly;
  if (!acknowledged && !snoozed && !verdict && !resolvedBy) return null;
  return (
    <span className={styles.marks} data-testid="lifecycle-marks">
      {acknowledged ? (
        <span className={`${styles.mark} ${styles.acknowledged}`} data-testid="mark-acknowledged">
          Acknowledged by {who(acknowledged.by)}
        </span>
      ) : null}
      {snoozed && snoozedUntil !== null ? (
        <span className={`${styles.mark} ${styles.snoozedMark}`} data-testid="mark-snoozed">
          Snoozed until <ClockTime ms={snoozedUntil} />
        </span>
      ) : null}
      {verdict ? (
        <span
          className={`${styles.mark} ${verdict.value === 'true_positive' ? styles.truePositive : styles.falsePositive}`}
          data-testid="mark-verdict"
          data-verdict={verdict.value}
          title={`Marked ${verdict.value === 'true_positive' ? 'true' : 'false'} positive by ${verdict.by === null ? 'a deleted user' : revealControls(verdict.by)}`}
        >
          <span aria-hidden="true">{verdict.value === 'true_positive' ? 'TP' : 'FP'}</span>
          <span className="sr-only">
            {verdict.value === 'true_positive' ? 'True positive' : 'False positive'}
          </span>
        </span>
      ) : null}
      {resolvedBy ? (
        <span className={styles.mark} data-testid="mark-resolved-by">
          Resolved by {who(resolvedBy.by)}
        </span>
      ) : null}
    </span>
  );
}

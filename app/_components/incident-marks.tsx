'use client';
/** What people and silences did to a whole incident, as badges: acknowledged, snoozed, silenced. */
import type { IncidentSummary } from '@/lib/views';
import { incidentSnoozed } from '../_lib/incident-feed';
import { useNow } from '../_lib/use-now';
import { EventText } from './event-text';
import styles from './lifecycle.module.css';
import { ClockTime } from './time-ago';

type Marked = Pick<
  IncidentSummary,
  'status' | 'acknowledged' | 'snoozedUntil' | 'silenced' | 'silencedUntil'
>;

/**
 * True while the incident is open and snoozed (every open anomaly is). Before hydration (no
 * clock yet) a stored snooze counts, so server and client markup agree; the clock corrects it.
 */
export function useIncidentSnoozed(incident: Pick<IncidentSummary, 'status' | 'snoozedUntil'>) {
  const now = useNow();
  if (incident.status !== 'open' || incident.snoozedUntil === null) return false;
  return now === null ? true : incidentSnoozed(incident, now);
}

export function IncidentMarks({ incident }: { incident: Marked }) {
  const snoozed = useIncidentSnoozed(incident);
  const { acknowledged, snoozedUntil, silenced, silencedUntil } = incident;
  const ackShown = acknowledged !== null && incident.status === 'open';
  if (!ackShown && !snoozed && !silenced) return null;
  return (
    <span className={styles.marks} data-testid="incident-marks">
      {ackShown ? (
        <span
          className={`${styles.mark} ${styles.acknowledged}`}
          data-testid="incident-acknowledged"
        >
          Acknowledged by{' '}
          {acknowledged.by === null ? 'a deleted user' : <EventText value={acknowledged.by} />}
        </span>
      ) : null}
      {snoozed && snoozedUntil !== null ? (
        <span className={`${styles.mark} ${styles.snoozedMark}`} data-testid="incident-snoozed">
          Snoozed until <ClockTime ms={snoozedUntil} />
        </span>
      ) : null}
      {silenced ? (
        <span
          className={`${styles.mark} ${styles.snoozedMark}`}
          data-testid="incident-silenced"
          title="A silence matches this incident: it shows here, but no notification is sent."
        >
          Silenced
          {silencedUntil !== null ? (
            <>
              {' '}
              until <ClockTime ms={silencedUntil} />
            </>
          ) : null}
        </span>
      ) : null}
    </span>
  );
}

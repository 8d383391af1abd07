/**
 * What a notification needs to know about an incident: a snapshot, decoupled from the incident
 * rule (../incidents.ts) and from the database, so the pure pieces here (schedule, routing,
 * silences, messages) can be written and tested on their own. The outbox slice maps the real
 * incident to this shape when it enqueues a notification. Times are epoch milliseconds.
 */

export const SEVERITIES = ['warn', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Ordering of severities: critical outranks warn. */
export const SEVERITY_RANK: Record<Severity, number> = { warn: 1, critical: 2 };

/** One `dimension=value` pair of the cause the incident's anomalies share. */
export interface CausePair {
  dimension: string;
  /** Event data: attacker-controlled text (any character). */
  value: string;
}

/** One anomaly of the incident, as a message shows it. */
export interface AnomalySnapshot {
  id: number;
  metric: {
    /** The metric's key (`revenue`, `purchases`): what routes and silences match. */
    key: string;
    name: string;
    /** Display unit (lib/metrics/units.ts): '', '%', 'ms', '$' or any other suffix. */
    unit: string;
  };
  severity: Severity;
  /** Observed value in the window; null when the window had no data. */
  value: number | null;
  /** The baseline's expected value; null when there was none. */
  expected: number | null;
  /** Relative change, value / expected − 1 (−0.58 for −58%); null when not defined. */
  change: number | null;
  windowStart: number;
  windowEnd: number;
}

/** An incident as notifications see it. */
export interface IncidentSnapshot {
  id: number;
  /** "region=eu-west: Purchases −58%, Revenue −62%": holds event data. */
  title: string;
  status: IncidentStatus;
  /** The highest severity among its anomalies. */
  severity: Severity;
  /** The shared cause; empty when the anomalies share none (a whole-metric move). */
  cause: CausePair[];
  anomalies: AnomalySnapshot[];
  openedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  /** Snoozed until this time (mutes notifications); null when not snoozed. */
  snoozedUntil: number | null;
  /** Absolute URL of the incident in Pulse (`PULSE_PUBLIC_URL` + its path). */
  link: string;
}

/**
 * View models shared by the REST API, the socket.io events and the React components. Plain
 * JSON (times as epoch ms) so they cross the wire unchanged.
 */
import type { LifecycleAction, Verdict } from '@/lib/alerts/workflow';
import type { PreviewPoint } from '@/lib/metrics/definition-preview';
import type {
  AlertRule,
  Explanation,
  MetricDefinition,
  MetricKind,
  SeriesOf,
  WindowPoint,
} from './types';

/** A metric's scored window on the board and the drill-down. */
export type BoardPoint = WindowPoint;

export interface BoardMetric {
  id: number;
  key: string;
  name: string;
  kind: MetricKind;
  unit: string;
  enabled: boolean;
  rule: AlertRule;
  /** Recent scored windows, oldest first. */
  points: BoardPoint[];
  /** Set on a series of a split metric (lib/metrics/split.ts): the board shows it in its parent's card. */
  series: SeriesOf | null;
}

export interface AnomalySummary {
  id: number;
  metricId: number;
  metricKey: string;
  metricName: string;
  unit: string;
  status: 'open' | 'resolved' | 'withdrawn';
  severity: 'warn' | 'critical';
  direction: 'up' | 'down';
  firstWindow: number;
  lastWindow: number;
  peakWindow: number;
  value: number;
  expected: number;
  z: number;
  sentence: string;
  updatedAt: number;
  /** Times late events re-scored its windows and changed it (0: never). */
  revisions: number;
  /**
   * True while it was opened early from a window that had not closed (interim results) and the
   * window's final score has not confirmed it yet; stays true on one that score withdrew.
   */
  interim?: boolean;
  /** Who acknowledged it and when; null when nobody has (or it was unacknowledged). */
  acknowledged: PersonStamp | null;
  /** Until when (epoch ms) it is snoozed; may lie in the past (then it no longer applies). */
  snoozedUntil: number | null;
  /** A person's verdict on it, if any. */
  verdict: (PersonStamp & { value: Verdict }) | null;
  /** Set when a person resolved it; null when it is open or the detector resolved it. */
  resolvedBy: PersonStamp | null;
  /** The incident it belongs to (lib/alerts/incidents.ts); null until it is placed in one. */
  incidentId: number | null;
}

/** Who did something and when. `by` is null when the user was deleted since. */
export interface PersonStamp {
  by: string | null;
  at: number;
}

/** One entry of an anomaly's audit trail: what a person did with it. */
export interface AnomalyEventView {
  id: number;
  action: LifecycleAction;
  at: number;
  /** Username; null when the user was deleted since. */
  by: string | null;
  /** The note given with the action (user text: render as text only). */
  note: string | null;
  /** Snooze: until when (epoch ms). */
  until: number | null;
}

/**
 * An incident: the anomalies that are one event in the world (lib/alerts/incidents.ts), with
 * what is derived from them (db/queries/incidents.ts `refreshIncident`).
 */
export interface IncidentSummary {
  id: number;
  /** "region=eu-west: Purchases −58%, Revenue −62%": holds event data, render it as text. */
  title: string;
  /** open while any anomaly is; resolved when the last one resolved; withdrawn when all were. */
  status: 'open' | 'resolved' | 'withdrawn';
  severity: 'warn' | 'critical';
  /** The cause its anomalies share (event data); null when none names one. */
  cause: Record<string, string> | null;
  openedAt: number;
  /** The earliest first window and the latest last window of its anomalies. */
  firstWindow: number;
  lastWindow: number;
  /** Set while every open anomaly is acknowledged: the latest of those acknowledgements. */
  acknowledged: PersonStamp | null;
  /** Set while every open anomaly is snoozed: the earliest end of those snoozes. */
  snoozedUntil: number | null;
  resolvedAt: number | null;
  /** An active silence matches it (it still shows, but sends nothing). */
  silenced: boolean;
  /** Until when the matching silences mute it, as of the read; null when not silenced. */
  silencedUntil: number | null;
  /** When its row was last rewritten: a copy with an older one never replaces a newer one. */
  updatedAt: number;
  /** Its anomalies, in the order they opened (ascending id). */
  anomalies: AnomalySummary[];
}

/** One delivery of a notification to one channel, and how its attempts went. */
export interface DeliveryView {
  channelId: string;
  /** The channel's type and what people see of its destination; null once it was deleted. */
  channelType: 'webhook' | 'slack' | 'email' | null;
  target: string | null;
  status: 'pending' | 'sending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  deliveredAt: number | null;
  /** When the next attempt is due (pending); null once delivered or failed. */
  nextAttemptAt: number | null;
  /** The latest attempt: when it started, and the HTTP status (or SMTP code) if there was one. */
  lastAttemptAt: number | null;
  lastStatusCode: number | null;
}

/** One notification written for an incident (the outbox), with its deliveries. */
export interface NotificationLogEntry {
  id: number;
  kind: 'open' | 'escalate' | 'remind' | 'acknowledge' | 'resolve' | 'test';
  /** The Idempotency-Key every attempt carries. */
  key: string;
  severity: 'warn' | 'critical';
  createdAt: number;
  /** One per channel the routing named; empty when no channel took it. */
  deliveries: DeliveryView[];
}

/** The incident on a drill-down: its summary and its delivery log (newest first). */
export interface IncidentDetail extends IncidentSummary {
  notifications: NotificationLogEntry[];
}

/** Who made an annotation: a signed-in user, or an API key (a deploy script, a service). */
export type AnnotationAuthor =
  { kind: 'user'; username: string } | { kind: 'api-key'; name: string };

/**
 * A mark on the timeline (lib/annotations/annotation.ts): a deploy, a campaign, an outage at a
 * vendor. Title, text and tags are user text: render them as text only.
 */
export interface AnnotationView {
  id: number;
  startsAt: number;
  /** Null for an instant. */
  endsAt: number | null;
  title: string;
  /** May hold line breaks; '' when none was given. */
  text: string;
  /** Metric keys it concerns; empty: every metric. */
  metrics: string[];
  tags: string[];
  /** Null when its user or key was deleted since. */
  author: AnnotationAuthor | null;
  createdAt: number;
}

/** An incident the simulator injected (ground truth), to compare detection with. */
export interface InjectedIncident {
  scenario: string;
  description: string;
  metricKey: string;
  rootCause: Record<string, string>;
  startsAt: number;
  endsAt: number;
}

export interface AnomalyDetail extends AnomalySummary {
  kind: MetricKind;
  windowMs: number;
  explanation: Explanation;
  /** The metric's points around the anomaly, oldest first. */
  points: BoardPoint[];
  /** Injected incidents that overlap the anomaly's windows (simulator runs only). */
  injected: InjectedIncident[];
}

export interface Board {
  windowMs: number;
  metrics: BoardMetric[];
  anomalies: AnomalySummary[];
  /** Largest anomaly id included, for catch-up after a reconnect. */
  lastAnomalyId: number;
}

/** socket.io events, server → browser. */
export interface ServerToClientEvents {
  /** A window was scored: the new point of every metric. */
  points: (update: { windowStart: number; points: (BoardPoint & { metricId: number })[] }) => void;
  /** An anomaly opened or changed. */
  anomaly: (anomaly: AnomalySummary) => void;
  /**
   * An incident opened or changed (its anomalies, people's stamps, notifications): to the board
   * and to the drill-downs of its anomalies.
   */
  incident: (incident: IncidentSummary) => void;
  /** A metric's alert rule changed. */
  rule: (update: { metricId: number; rule: AlertRule }) => void;
  /**
   * A metric was created, or its definition or enabled flag changed: its board view, with the
   * same recent points as GET /api/board.
   */
  metric: (metric: BoardMetric) => void;
  /** A metric is gone (a series its split no longer has): off the board. */
  'metric-removed': (update: { metricId: number }) => void;
  /**
   * Sent just before the server disconnects a socket whose session no longer holds: signed out,
   * expired, revoked, its password changed, its user disabled or deleted (`signed-out`: sign in
   * again, do not reconnect), or its user's role changed (`role-changed`: reconnect, and the new
   * handshake carries the new role).
   */
  'session-ended': (end: { reason: SessionEndReason }) => void;
}

/** Why the server ended a live socket (see {@link ServerToClientEvents}'s `session-ended`). */
export type SessionEndReason = 'signed-out' | 'role-changed';

/** The answer to a `subscribe` that asked for one. */
export type SubscribeResult =
  { ok: true } | { ok: false; error: 'unknown room' | 'too many rooms' };

/** socket.io events, browser → server. */
export interface ClientToServerEvents {
  /**
   * Ask for a room: 'board' or `anomaly:${id}`. A socket holds a limited number of rooms
   * (PULSE_SOCKET_MAX_ROOMS); beyond, or for an unknown room, the answer is a refusal.
   */
  subscribe: (room: string, ack?: (result: SubscribeResult) => void) => void;
}

/** Health page: one source partition's accounting and progress. */
export interface HealthPartition {
  source: string;
  partition: number;
  received: number;
  folded: number;
  quarantined: number;
  /** Folded events whose leaf-cube detail a flush's cap folded into '(other)'. */
  leafEventsFolded: number;
  /** received === folded + quarantined: no event lost or counted twice. */
  balanced: boolean;
  /** Event-time watermark (epoch ms), null before the partition's first flush. */
  watermark: number | null;
  nextOffset: number;
  /** The worker that claimed the partition last; null for unfenced sources. */
  owner: string | null;
  /** Last write to the partition's progress (epoch ms). */
  updatedAt: number;
  /** No update for longer than {@link Health.idleAfterMs}. */
  idle: boolean;
}

export interface HealthTotals {
  partitions: number;
  received: number;
  folded: number;
  quarantined: number;
  leafEventsFolded: number;
  /** Every partition is balanced. */
  balanced: boolean;
  idle: number;
}

/** Quarantined events of one reason. Every known reason is listed, zeros included. */
export interface QuarantineReasonCount {
  reason: string;
  count: number;
}

/** A quarantined event. `raw` and `detail` are attacker-controlled: render them as text only. */
export interface QuarantineItem {
  id: number;
  receivedAt: number;
  source: string;
  reason: string;
  detail: string;
  /** The payload, already truncated to a bound. */
  raw: string;
  /** Size in bytes of the original payload. */
  rawSize: number;
  /** When an admin re-ingested it (epoch ms); null while it waits. */
  reingestedAt: number | null;
}

export interface Health {
  /** Server time of the read (epoch ms). */
  generatedAt: number;
  idleAfterMs: number;
  partitions: HealthPartition[];
  totals: HealthTotals;
  reasons: QuarantineReasonCount[];
  /** Newest first. */
  latest: QuarantineItem[];
}

/** A metric's last scored window, on the metrics list. */
export type LastPoint = Pick<WindowPoint, 'windowStart' | 'value' | 'status'>;

/** One row of the metrics list: the definition, when it last changed, and the last point. */
export interface MetricListItem extends MetricDefinition {
  definitionUpdatedAt: number | null;
  rescoreFrom: number | null;
  last: LastPoint | null;
}

/** A quarantined event the re-ingest refused, and why. */
export interface RefusedRow {
  id: number;
  reason: 'truncated' | 'empty';
  message: string;
}

/** The answer of POST /api/quarantine/reingest. */
export interface ReingestResult {
  requested: number;
  /** Originals now marked re-ingested: folded + quarantined. */
  reingested: number;
  folded: number;
  /** Still invalid: stored again as new quarantine rows (source `reingest`). */
  quarantined: number;
  quarantinedByReason: Record<string, number>;
  refused: RefusedRow[];
  /** Already re-ingested earlier (by anyone): left alone. */
  alreadyReingested: number[];
  /** No such quarantine row. */
  missing: number[];
  /** Rollup rows upserted (for the metrics). */
  rows: number;
}

/** Event types (with the measures their events carried) and dimension values seen lately. */
export interface MetricCatalog {
  /** Event types seen, each with the measures its events carried. */
  eventTypes: { type: string; measures: string[] }[];
  /** Dimensions seen, each with its values, most frequent first. */
  dimensions: { dim: string; values: string[] }[];
}

/** The answer of POST /api/metrics/preview: a draft definition's values over stored history. */
export interface DefinitionPreview {
  /** Metric windows [from, to) covered; `to` is the end of the last complete one. */
  from: number;
  to: number;
  /** Length of one of the metric's windows (base window × multiple). */
  windowMs: number;
  points: PreviewPoint[];
}

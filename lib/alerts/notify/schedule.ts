/**
 * Which notifications an incident is owed, and when: a pure, level-triggered rule over the
 * incident as it is now and the notifications already written for it.
 *
 * Level-triggered, not edge-triggered: the rule never asks "what just changed" but "given the
 * state now and what was already sent, what is missing". The same function therefore serves
 * the transaction that changes an incident (detector, acknowledge/resolve use cases) and the
 * periodic sweep that has no change in hand (group wait elapsed, a reminder due, a snooze or
 * silence ended); a missed or replayed change cannot lose or double a notification, and calling
 * it again after its result was written returns nothing.
 *
 * The rules, in order:
 *
 * - **open**: an incident that was never announced is announced once `groupWait` has passed
 *   since it opened (siblings that join meanwhile are in the same message), unless it is muted
 *   (snoozed or silenced: sent when the mute ends, if still unresolved), acknowledged (someone
 *   is on it already: nothing is sent unless it is unacknowledged) or resolved (a blip that
 *   ended within the group wait is never announced, so nothing is resolved either). An
 *   incident announced and resolved that opens again is announced again, without group wait.
 * - **escalate**: the incident is critical and everything announced so far was warn.
 * - **acknowledge**: the incident is acknowledged and no acknowledge was written since that
 *   acknowledgement (an unacknowledge then a new acknowledge is announced again).
 * - **remind**: the incident is open (unacknowledged) and `repeatInterval` has passed since the
 *   last open, escalate or remind. 0 turns reminders off.
 * - **resolve**: an announced incident is resolved. Sent even when muted: receivers that got
 *   the open (a pager's incident) must be able to close it.
 *
 * Muted (snoozed or silenced) → nothing but resolve. A mute that ends while the incident is
 * still unresolved releases what it held back (open, escalate, acknowledge, a reminder).
 *
 * **Idempotency key.** Each notification gets the next `sequence` of its incident (1, 2, 3, …,
 * one more than the highest written) and the key `pulse-<incidentId>-<sequence>-<kind>`. The
 * key is a function of the inputs only (no clock, no randomness): recomputing after a rolled
 * back transaction yields the same key, and two writers racing on one incident compute the same
 * (incident, sequence), which a unique index on the outbox turns into a conflict instead of a
 * duplicate. Every delivery attempt of a notification, to every channel, carries its key.
 */
import { SEVERITY_RANK, type IncidentSnapshot, type Severity } from './types';

export const NOTIFICATION_KINDS = ['open', 'escalate', 'remind', 'acknowledge', 'resolve'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface ScheduleSettings {
  /** Wait after an incident opens before announcing it, so siblings arrive together. */
  groupWaitMs: number;
  /** Remind while unacknowledged this often; 0: never. */
  repeatIntervalMs: number;
}

export const DEFAULT_SCHEDULE: ScheduleSettings = {
  groupWaitMs: 30_000,
  repeatIntervalMs: 4 * 3_600_000,
};

/** A notification already written (to the outbox) for the incident. */
export interface SentNotification {
  kind: NotificationKind;
  sequence: number;
  /** When it was written (not delivered). */
  at: number;
  /** The incident's severity it announced. */
  severity: Severity;
}

/** A notification due now. */
export interface DueNotification {
  kind: NotificationKind;
  incidentId: number;
  sequence: number;
  /** `pulse-<incidentId>-<sequence>-<kind>`: the `Idempotency-Key` of every delivery. */
  key: string;
  severity: Severity;
}

/** The part of an incident the schedule reads. */
export type ScheduleIncident = Pick<
  IncidentSnapshot,
  'id' | 'status' | 'severity' | 'openedAt' | 'acknowledgedAt' | 'snoozedUntil'
>;

export interface ScheduleInput {
  incident: ScheduleIncident;
  /** Every notification written for this incident, in any order. */
  sent: readonly SentNotification[];
  now: number;
  /** Until when a silence mutes the incident (./silences.ts `silencedUntil`); null: not. */
  silencedUntil: number | null;
  settings?: ScheduleSettings;
}

export interface ScheduleResult {
  /** Write these now, in this order (sequences ascending). */
  due: DueNotification[];
  /**
   * When to run the rule again if nothing changes before (group wait over, reminder, mute
   * ended); null: only a change of the incident can make something due.
   */
  nextCheckAt: number | null;
}

/** The idempotency key of a notification (see the module comment). */
export function notificationKey(incidentId: number, sequence: number, kind: NotificationKind) {
  return `pulse-${incidentId}-${sequence}-${kind}`;
}

const ANNOUNCING: ReadonlySet<NotificationKind> = new Set(['open', 'escalate', 'remind']);

/** The notifications due for an incident at `now`, and when to look again. */
export function scheduleNotifications(input: ScheduleInput): ScheduleResult {
  const { incident, now } = input;
  const settings = input.settings ?? DEFAULT_SCHEDULE;
  const sent = [...input.sent].sort((a, b) => a.sequence - b.sequence || a.at - b.at);
  let sequence = sent.reduce((max, n) => Math.max(max, n.sequence), 0);
  const due: DueNotification[] = [];
  const emit = (kind: NotificationKind) => {
    sequence += 1;
    due.push({
      kind,
      incidentId: incident.id,
      sequence,
      key: notificationKey(incident.id, sequence, kind),
      severity: incident.severity,
    });
  };

  // The current episode: what was written since the last resolve.
  const lastResolve = findLastIndex(sent, (n) => n.kind === 'resolve');
  const episode = sent.slice(lastResolve + 1);
  const announced = episode.some((n) => n.kind === 'open');
  const reopened = lastResolve >= 0;

  const mutedUntil = Math.max(
    incident.snoozedUntil !== null && incident.snoozedUntil > now ? incident.snoozedUntil : 0,
    input.silencedUntil !== null && input.silencedUntil > now ? input.silencedUntil : 0,
  );
  const muted = mutedUntil > 0;
  const later: number[] = [];
  const result = () => ({
    due,
    nextCheckAt: later.length > 0 ? Math.min(...later) : null,
  });

  if (incident.status === 'resolved') {
    if (announced) emit('resolve');
    return result();
  }
  if (muted) {
    later.push(mutedUntil);
    return result();
  }

  if (!announced) {
    if (incident.status === 'acknowledged') return result();
    const openAt = reopened ? now : incident.openedAt + settings.groupWaitMs;
    if (now < openAt) {
      later.push(openAt);
      return result();
    }
    emit('open');
    if (settings.repeatIntervalMs > 0) later.push(now + settings.repeatIntervalMs);
    return result();
  }

  const highest = episode.reduce((max, n) => Math.max(max, SEVERITY_RANK[n.severity]), 0);
  if (SEVERITY_RANK[incident.severity] > highest) emit('escalate');

  if (incident.status === 'acknowledged') {
    const ackAt = incident.acknowledgedAt ?? 0;
    const told = episode.some((n) => n.kind === 'acknowledge' && n.at >= ackAt);
    if (!told) emit('acknowledge');
    return result();
  }

  // Open and unacknowledged: remind.
  if (settings.repeatIntervalMs > 0) {
    const lastAnnounce = due.some((n) => n.kind === 'escalate')
      ? now
      : episode.reduce((max, n) => (ANNOUNCING.has(n.kind) ? Math.max(max, n.at) : max), 0);
    const remindAt = lastAnnounce + settings.repeatIntervalMs;
    if (now >= remindAt) {
      emit('remind');
      later.push(now + settings.repeatIntervalMs);
    } else {
      later.push(remindAt);
    }
  }
  return result();
}

function findLastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i] as T)) return i;
  return -1;
}

/**
 * The board's alert feed of incidents, pure: merging incident summaries from the socket and
 * REST, what the feed lists (incidents, each with its anomalies, and the anomalies no incident
 * holds yet), what a person may do with a whole incident, the count of open critical incidents
 * in the tab's title, and which incidents deserve a desktop notification. Unit-tested.
 */
import { INCIDENT_ACTIONS, availableActions, type IncidentAction } from '@/lib/alerts/workflow';
import type { AnomalySummary, IncidentSummary } from '@/lib/views';

/** How many incidents the feed keeps. */
export const MAX_INCIDENTS = 100;

/** Newest first: the later first window, then the larger id. */
const newestFirst = (
  a: { firstWindow: number; id: number },
  b: { firstWindow: number; id: number },
) => b.firstWindow - a.firstWindow || b.id - a.id;

/**
 * Upserts incidents by id; a copy with an older `updatedAt` never replaces a newer one (a slow
 * REST answer cannot roll back what the socket said). Newest first, trimmed to `max`.
 */
export function mergeIncidents(
  existing: readonly IncidentSummary[],
  incoming: readonly IncidentSummary[],
  max = MAX_INCIDENTS,
): IncidentSummary[] {
  const byId = new Map<number, IncidentSummary>();
  for (const i of existing) byId.set(i.id, i);
  for (const i of incoming) {
    const current = byId.get(i.id);
    if (!current || i.updatedAt >= current.updatedAt) byId.set(i.id, i);
  }
  return [...byId.values()].sort(newestFirst).slice(0, max);
}

/** The latest `updatedAt` among incidents (the catch-up cursor), or `floor`. */
export function latestUpdate(incidents: readonly IncidentSummary[], floor: number): number {
  return incidents.reduce((max, i) => Math.max(max, i.updatedAt), floor);
}

export type FeedItem =
  | { kind: 'incident'; incident: IncidentSummary; anomalies: AnomalySummary[] }
  | { kind: 'anomaly'; anomaly: AnomalySummary };

/**
 * What the feed lists, newest first: every incident with its anomalies (each the newest copy,
 * the incident's or one the socket pushed since), and the anomalies that belong to no incident
 * yet (placed by the detector within a poll; older data). An anomaly whose incident the board
 * has not heard of waits for it (its `incident` event follows its `anomaly` event).
 */
export function feedItems(
  incidents: readonly IncidentSummary[],
  anomalies: readonly AnomalySummary[],
): FeedItem[] {
  const latest = new Map(anomalies.map((a) => [a.id, a]));
  const fresher = (a: AnomalySummary) => {
    const pushed = latest.get(a.id);
    return pushed && pushed.updatedAt > a.updatedAt ? pushed : a;
  };
  const items: (FeedItem & { firstWindow: number; id: number })[] = incidents.map((incident) => ({
    kind: 'incident',
    incident,
    anomalies: incident.anomalies.map(fresher),
    firstWindow: incident.firstWindow,
    id: incident.id,
  }));
  for (const anomaly of anomalies) {
    if (anomaly.incidentId === null) {
      items.push({ kind: 'anomaly', anomaly, firstWindow: anomaly.firstWindow, id: anomaly.id });
    }
  }
  return items.sort(newestFirst).map(({ firstWindow: _f, id: _i, ...item }) => item as FeedItem);
}

/**
 * The actions a person could take on the whole incident now: those some anomaly of it allows
 * (lib/alerts/workflow.ts), in the workflow's order.
 */
export function incidentActions(
  anomalies: readonly AnomalySummary[],
  now: number,
): IncidentAction[] {
  const allowed = new Set<string>();
  for (const a of anomalies) {
    const state = {
      status: a.status,
      acknowledgedAt: a.acknowledged?.at ?? null,
      snoozedUntil: a.snoozedUntil,
      verdict: a.verdict?.value ?? null,
    };
    for (const action of availableActions(state, now)) allowed.add(action);
  }
  return INCIDENT_ACTIONS.filter((action) => allowed.has(action));
}

/** True while the incident's snooze is in force (every open anomaly snoozed). */
export function incidentSnoozed(
  incident: Pick<IncidentSummary, 'status' | 'snoozedUntil'>,
  now: number,
): boolean {
  return (
    incident.status === 'open' && incident.snoozedUntil !== null && incident.snoozedUntil > now
  );
}

/** The open critical incidents: what the tab's title counts. */
export function openCriticalCount(incidents: readonly IncidentSummary[]): number {
  return incidents.filter((i) => i.status === 'open' && i.severity === 'critical').length;
}

const COUNT_PREFIX = /^\(\d+\) /;

/** The document's title with the count in front, "(2) Live board · Pulse"; none for 0. */
export function titleWithCount(title: string, count: number): string {
  const base = title.replace(COUNT_PREFIX, '');
  return count > 0 ? `(${count}) ${base}` : base;
}

/**
 * The incidents to announce on the desktop: open, critical, and not among `announced` (the ids
 * already seen critical — those on the page when it loaded included, so a reload announces
 * nothing old). Adds them to `announced`.
 */
export function newCriticalIncidents(
  incidents: readonly IncidentSummary[],
  announced: Set<number>,
): IncidentSummary[] {
  const fresh: IncidentSummary[] = [];
  for (const incident of incidents) {
    if (incident.status !== 'open' || incident.severity !== 'critical') continue;
    if (announced.has(incident.id)) continue;
    announced.add(incident.id);
    fresh.push(incident);
  }
  return fresh;
}

/**
 * The anomaly that stands for an incident (where a link to the incident lands): open before
 * resolved before withdrawn, then critical before warn, then the first to open; null when the
 * incident has no anomaly.
 */
export function leadAnomaly(incident: Pick<IncidentSummary, 'anomalies'>): AnomalySummary | null {
  const rank = (a: AnomalySummary) =>
    (a.status === 'open' ? 4 : a.status === 'resolved' ? 2 : 0) +
    (a.severity === 'critical' ? 1 : 0);
  let best: AnomalySummary | null = null;
  for (const a of incident.anomalies) if (!best || rank(a) > rank(best)) best = a;
  return best;
}

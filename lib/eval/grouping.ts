/**
 * Incident grouping measured on the evaluation, pure: how many notifications a person would get
 * per injected incident before grouping (one per anomaly) and after (one per incident the rule
 * of lib/alerts/incidents.ts forms), and whether grouping merged two injected incidents.
 *
 * - Per stream, anomalies are placed one by one in the order they opened (the window whose
 *   verdict opened them), as the detector would: each earlier anomaly is seen as it was then —
 *   its last window clipped to that opening window — but with its final root cause (the one at
 *   its peak; the cause it had when the later one opened is not kept). Root-cause sets come from
 *   the explanation (the per-dimension breakdown's top value where lib/rca named none).
 * - An injected incident's anomalies are those of its stream whose windows overlap its interval
 *   (any metric: a person gets every one; when two injected incidents overlap, an anomaly goes
 *   to the one that moves its metric). Before grouping it costs one notification per such
 *   anomaly; after, one per distinct incident among them.
 * - Two injected incidents are merged when one formed incident holds anomalies of both.
 */
import {
  DEFAULT_TOLERANCE_WINDOWS,
  placeAnomaly,
  type GroupingRule,
  type IncidentAnomaly,
  type IncidentMetric,
} from '@/lib/alerts/incidents';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { overlaps, type EvalAnomaly, type EvalIncident } from './scoring';

export interface IncidentNotifications {
  incident: EvalIncident;
  /** Notifications without grouping: its anomalies. */
  before: number;
  /** Notifications with grouping: the formed incidents its anomalies are in. */
  after: number;
  /** Other injected incidents whose anomalies share a formed incident with its own. */
  mergedWith: string[];
}

export interface GroupingFigures {
  perIncident: IncidentNotifications[];
  /** Injected incidents with at least one anomaly (the others notify nobody either way). */
  notified: number;
  /** Of those, how many cost exactly one notification after grouping. */
  oneNotification: number;
  /** oneNotification / notified (null without any). */
  oneShare: number | null;
  notificationsBefore: number;
  notificationsAfter: number;
  /** Pairs of injected incidents merged into one formed incident. */
  mergedPairs: number;
  /** Anomalies and formed incidents in streams without injected incidents (quiet traffic). */
  quiet: { anomalies: number; incidents: number };
}

const DEFINITIONS = new Map<string, IncidentMetric>(
  defaultMetrics().map((m, i) => [m.key, { ...m, id: i + 1 }]),
);

/** The default metric of that key; another key is a metric related to no other. */
function metricOf(key: string): IncidentMetric {
  let metric = DEFINITIONS.get(key);
  if (!metric) {
    metric = {
      id: DEFINITIONS.size + 1,
      eventType: `(${key})`,
      extraEventTypes: [],
      filters: {},
      windowMultiple: 1,
    };
    DEFINITIONS.set(key, metric);
  }
  return metric;
}

const keyOf = (a: Pick<EvalAnomaly, 'stream' | 'id'>) => `${a.stream}#${a.id}`;

/**
 * Groups one evaluation's anomalies stream by stream in opening order: anomaly key
 * (stream#id) → the key of its incident's first anomaly.
 */
export function groupEvalAnomalies(
  anomalies: readonly EvalAnomaly[],
  windowMs: number,
  toleranceWindows = DEFAULT_TOLERANCE_WINDOWS,
): Map<string, string> {
  const rule: GroupingRule = { baseWindowMs: windowMs, toleranceWindows };
  const byStream = new Map<string, EvalAnomaly[]>();
  for (const a of anomalies) {
    const list = byStream.get(a.stream) ?? [];
    list.push(a);
    byStream.set(a.stream, list);
  }
  const incidentOf = new Map<string, string>();
  for (const list of byStream.values()) {
    const ordered = [...list].sort(
      (a, b) => a.openedAt - b.openedAt || a.firstWindow - b.firstWindow || a.id - b.id,
    );
    const incidents: { id: number; anomalies: IncidentAnomaly[] }[] = [];
    for (const a of ordered) {
      const anomaly: IncidentAnomaly = {
        id: a.id,
        metric: metricOf(a.metric),
        status: 'open',
        severity: 'critical',
        firstWindow: a.firstWindow,
        lastWindow: a.lastWindow,
        causes: a.rootCause.set.filter((s) => Object.keys(s).length > 0),
      };
      // Earlier anomalies as they were when this one opened.
      const seen = incidents.map((i) => ({
        id: i.id,
        anomalies: i.anomalies.map((m) => ({
          ...m,
          lastWindow: Math.max(m.firstWindow, Math.min(m.lastWindow, a.openedAt)),
        })),
      }));
      const placement = placeAnomaly(anomaly, seen, rule);
      if (placement.kind === 'open') {
        incidents.push({ id: a.id, anomalies: [anomaly] });
        incidentOf.set(keyOf(a), keyOf(a));
      } else {
        incidents.find((i) => i.id === placement.incidentId)!.anomalies.push(anomaly);
        incidentOf.set(keyOf(a), keyOf({ stream: a.stream, id: placement.incidentId }));
      }
    }
  }
  return incidentOf;
}

/** The figures of the module comment for `incidents` (infeasible ones are skipped). */
export function groupingFigures(
  incidents: readonly EvalIncident[],
  anomalies: readonly EvalAnomaly[],
  windowMs: number,
  toleranceWindows = DEFAULT_TOLERANCE_WINDOWS,
): GroupingFigures {
  const incidentOf = groupEvalAnomalies(anomalies, windowMs, toleranceWindows);
  const injected = incidents.filter((i) => i.feasible);
  // Each anomaly to at most one injected incident: the overlapping one that moves its metric,
  // else the only one that overlaps it.
  const own = new Map<string, EvalAnomaly[]>(injected.map((i) => [i.id, []]));
  for (const a of anomalies) {
    const over = injected.filter((i) => i.stream === a.stream && overlaps(a, i, windowMs));
    const owner =
      over.find((i) => i.metric === a.metric || i.alsoMoves.includes(a.metric)) ??
      (over.length === 1 ? over[0] : undefined);
    if (owner) own.get(owner.id)!.push(a);
  }
  const holders = new Map<string, Set<string>>(); // formed incident → injected incidents
  for (const incident of injected) {
    for (const a of own.get(incident.id)!) {
      const g = incidentOf.get(keyOf(a))!;
      const set = holders.get(g) ?? new Set<string>();
      set.add(incident.id);
      holders.set(g, set);
    }
  }
  const perIncident = injected.map((incident): IncidentNotifications => {
    const mine = own.get(incident.id)!;
    const groups = new Set(mine.map((a) => incidentOf.get(keyOf(a))!));
    const mergedWith = new Set<string>();
    for (const g of groups) for (const other of holders.get(g)!) mergedWith.add(other);
    mergedWith.delete(incident.id);
    return {
      incident,
      before: mine.length,
      after: groups.size,
      mergedWith: [...mergedWith].sort(),
    };
  });
  const notified = perIncident.filter((o) => o.before > 0);
  const oneNotification = notified.filter((o) => o.after === 1).length;
  const pairs = new Set<string>();
  for (const o of perIncident) {
    for (const other of o.mergedWith) pairs.add([o.incident.id, other].sort().join(' + '));
  }
  const streamsWithIncidents = new Set(incidents.map((i) => i.stream));
  const quiet = anomalies.filter((a) => !streamsWithIncidents.has(a.stream));
  return {
    perIncident,
    notified: notified.length,
    oneNotification,
    oneShare: notified.length === 0 ? null : oneNotification / notified.length,
    notificationsBefore: notified.reduce((s, o) => s + o.before, 0),
    notificationsAfter: notified.reduce((s, o) => s + o.after, 0),
    mergedPairs: pairs.size,
    quiet: {
      anomalies: quiet.length,
      incidents: new Set(quiet.map((a) => incidentOf.get(keyOf(a)))).size,
    },
  };
}

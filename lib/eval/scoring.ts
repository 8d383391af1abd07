/**
 * Scoring the quality evaluation, pure: injected incidents and the anomalies the engine raised
 * in, detection precision / recall / F1, time to detect, false alerts per metric per day and
 * root-cause accuracy out.
 *
 * Matching rules (all within one simulated stream):
 * - An anomaly covers its windows [firstWindow, lastWindow + windowMs); it overlaps an incident
 *   when that span and the incident's [startsAt, endsAt) intersect.
 * - An incident is detected when an anomaly on its metric overlaps it; the one that opened
 *   first (preferring one opened during the incident) detects it. Time to detect: windows from
 *   the incident's start to the window whose verdict opened that anomaly, the first window of
 *   the incident counting as 1 (an anomaly open before the incident started counts as 1). In
 *   seconds: from the incident's start to the event time the anomaly opened (`detectedAt`: the
 *   interim look that opened it early, else the end of the window whose final verdict did),
 *   0 for an anomaly open before the incident started.
 * - A withdrawn anomaly (an interim alert the window's final score did not confirm) detects
 *   nothing and is never a true alert: it counts as a false alert.
 * - An anomaly is a true alert when it overlaps an incident whose effect moves its metric (the
 *   incident's metric, or one it moves too: dropping purchases also moves conversion and
 *   revenue); otherwise it is a false alert. Alerts are attributed to the incident slot they fall
 *   in, so any subset of incidents has its own precision. Precision counts alerts on the metrics
 *   the slot's incident moves; alerts on other metrics are counted apart (`otherAlerts`): they
 *   are quiet-traffic false alerts, which the quiet streams measure.
 * - Root cause (on the anomaly that detected the incident, as it was last explained, at its
 *   peak): top-1 exact when its root-cause set is exactly the injected conjunction; top-3 when
 *   the injected conjunction is one of its first three candidates.
 * - Infeasible incidents (their slice too small for the asked size) are not injected and not
 *   counted; they are reported.
 */

export type Conjunction = Readonly<Record<string, string>>;

export interface EvalIncident {
  id: string;
  stream: string;
  family: string;
  dims: number;
  /** Size of the change in units of the detector's σ just before it started. */
  magnitude: number;
  noise: string;
  metric: string;
  /** Metrics the effect moves besides `metric`. */
  alsoMoves: readonly string[];
  cause: Conjunction;
  startsAt: number;
  endsAt: number;
  /** The stretch of the stream the incident's slot covers (false alerts in it are its own). */
  slotStart: number;
  slotEnd: number;
  feasible: boolean;
}

export interface EvalAnomaly {
  stream: string;
  id: number;
  metric: string;
  firstWindow: number;
  lastWindow: number;
  /** The window whose verdict opened it. */
  openedAt: number;
  /** Event time it opened (interim look, or end of the window that opened it); openedAt + window if absent. */
  detectedAt?: number;
  /** Opened early from a partial window (interim results). */
  interim?: boolean;
  /** An interim alert the window's final score withdrew: a false alert. */
  withdrawn?: boolean;
  rootCause: {
    set: readonly Conjunction[];
    candidates: readonly Conjunction[];
    /** rca: the multi-dimensional root cause; breakdown: read from the per-dimension one. */
    source?: 'rca' | 'breakdown';
  };
}

export interface IncidentOutcome {
  incident: EvalIncident;
  detectedBy: EvalAnomaly | null;
  ttdWindows: number | null;
  ttdSeconds: number | null;
  rcaTop1: boolean | null;
  rcaTop3: boolean | null;
}

export interface AnomalyOutcome {
  anomaly: EvalAnomaly;
  truePositive: boolean;
  /** The incident whose slot the alert is attributed to (null outside every slot). */
  slotOf: string | null;
  /** Whether the slot's incident moves the anomaly's metric (else it is an `otherAlerts`). */
  watched: boolean;
}

/** Two conjunctions name the same dimension values. */
export function sameConjunction(a: Conjunction, b: Conjunction): boolean {
  const ka = Object.keys(a);
  return (
    ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
  );
}

/** True when the anomaly's windows intersect the incident's interval. */
export function overlaps(
  anomaly: Pick<EvalAnomaly, 'firstWindow' | 'lastWindow'>,
  incident: Pick<EvalIncident, 'startsAt' | 'endsAt'>,
  windowMs: number,
): boolean {
  return anomaly.firstWindow < incident.endsAt && anomaly.lastWindow + windowMs > incident.startsAt;
}

const moves = (incident: EvalIncident, metric: string) =>
  incident.metric === metric || incident.alsoMoves.includes(metric);

/** Matches anomalies to incidents by the rules in the module comment. */
export function matchIncidents(
  incidents: readonly EvalIncident[],
  anomalies: readonly EvalAnomaly[],
  windowMs: number,
): { incidents: IncidentOutcome[]; anomalies: AnomalyOutcome[] } {
  const injected = incidents.filter((i) => i.feasible);
  const incidentOutcomes = injected.map((incident): IncidentOutcome => {
    const candidates = anomalies
      .filter(
        (a) =>
          a.stream === incident.stream &&
          a.metric === incident.metric &&
          !a.withdrawn &&
          overlaps(a, incident, windowMs),
      )
      .sort(
        (a, b) =>
          Number(a.openedAt < incident.startsAt) - Number(b.openedAt < incident.startsAt) ||
          a.openedAt - b.openedAt,
      );
    const detectedBy = candidates[0] ?? null;
    if (!detectedBy) {
      return {
        incident,
        detectedBy: null,
        ttdWindows: null,
        ttdSeconds: null,
        rcaTop1: null,
        rcaTop3: null,
      };
    }
    const ttdWindows = Math.max(
      1,
      Math.floor((detectedBy.openedAt - incident.startsAt) / windowMs) + 1,
    );
    const detectedAt = detectedBy.detectedAt ?? detectedBy.openedAt + windowMs;
    const ttdSeconds = Math.max(0, (detectedAt - incident.startsAt) / 1000);
    const { set, candidates: ranked } = detectedBy.rootCause;
    return {
      incident,
      detectedBy,
      ttdWindows,
      ttdSeconds,
      rcaTop1: set.length === 1 && sameConjunction(set[0]!, incident.cause),
      rcaTop3: ranked.slice(0, 3).some((c) => sameConjunction(c, incident.cause)),
    };
  });

  const anomalyOutcomes = anomalies.map((anomaly): AnomalyOutcome => {
    const sameStream = incidents.filter((i) => i.stream === anomaly.stream);
    const matched = anomaly.withdrawn
      ? undefined
      : sameStream.find(
          (i) => i.feasible && moves(i, anomaly.metric) && overlaps(anomaly, i, windowMs),
        );
    const slot =
      matched ??
      sameStream.find((i) => anomaly.firstWindow >= i.slotStart && anomaly.firstWindow < i.slotEnd);
    return {
      anomaly,
      truePositive: matched !== undefined,
      slotOf: slot?.id ?? null,
      watched:
        matched !== undefined ||
        (slot !== undefined && slot.feasible && moves(slot, anomaly.metric)),
    };
  });
  return { incidents: incidentOutcomes, anomalies: anomalyOutcomes };
}

/** Median of numbers (mean of the middle two); null when there are none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/**
 * F1 of precision and recall. Null without incidents (recall undefined); 0 when nothing was
 * detected, including when nothing alerted at all (precision undefined).
 */
export function f1(precision: number | null, recall: number | null): number | null {
  if (recall === null) return null;
  if (precision === null) return 0;
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

export interface Summary {
  /** Incidents injected (feasible ones). */
  incidents: number;
  /** Incidents asked for but not injectable at that size. */
  infeasible: number;
  detected: number;
  /** Alerts on the metrics the incidents move: true, false. */
  truePositives: number;
  falsePositives: number;
  /** Alerts on other metrics in the same slots (quiet-traffic false alerts). */
  otherAlerts: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  medianTtdWindows: number | null;
  /** Median time to detect in seconds of event time (see the module comment). */
  medianTtdSeconds: number | null;
  /** Alerts in the chosen slots that were interim alerts withdrawn by the final score. */
  withdrawn: number;
  /** Detected incidents whose root cause could be checked, and the accuracies over them. */
  rcaEvaluated: number;
  rcaTop1: number | null;
  rcaTop3: number | null;
}

/**
 * Summarises the incidents that pass `filter` (all by default) and the alerts in their slots.
 * `all` is the full list of incidents (infeasible ones included), for the infeasible count.
 */
export function summarize(
  matched: { incidents: readonly IncidentOutcome[]; anomalies: readonly AnomalyOutcome[] },
  all: readonly EvalIncident[],
  filter: (incident: EvalIncident) => boolean = () => true,
): Summary {
  const chosen = matched.incidents.filter((o) => filter(o.incident));
  const slots = new Set(all.filter(filter).map((i) => i.id));
  const alerts = matched.anomalies.filter((a) => a.slotOf !== null && slots.has(a.slotOf));
  const watched = alerts.filter((a) => a.watched);
  const truePositives = watched.filter((a) => a.truePositive).length;
  const falsePositives = watched.length - truePositives;
  const detected = chosen.filter((o) => o.detectedBy !== null);
  const precision = ratio(truePositives, watched.length);
  const recall = ratio(detected.length, chosen.length);
  const top1 = detected.filter((o) => o.rcaTop1).length;
  const top3 = detected.filter((o) => o.rcaTop3).length;
  return {
    incidents: chosen.length,
    infeasible: all.filter((i) => filter(i) && !i.feasible).length,
    detected: detected.length,
    truePositives,
    falsePositives,
    otherAlerts: alerts.length - watched.length,
    precision,
    recall,
    f1: f1(precision, recall),
    medianTtdWindows: median(detected.map((o) => o.ttdWindows!)),
    medianTtdSeconds: median(detected.map((o) => o.ttdSeconds!)),
    withdrawn: alerts.filter((a) => a.anomaly.withdrawn).length,
    rcaEvaluated: detected.length,
    rcaTop1: ratio(top1, detected.length),
    rcaTop3: ratio(top3, detected.length),
  };
}

/**
 * False alerts per metric per day: `alerts` anomalies over `metricWindows` scored windows
 * (summed over metrics, learning windows left out) of `windowMs` each. Null without windows.
 */
export function falseAlertsPerMetricDay(
  alerts: number,
  metricWindows: number,
  windowMs: number,
): number | null {
  if (metricWindows <= 0) return null;
  return (alerts / metricWindows) * (86_400_000 / windowMs);
}

/** How a root-cause set differs from the injected cause. */
export type RcaVerdict = 'exact' | 'none' | 'more specific' | 'less specific' | 'several' | 'other';

const contains = (outer: Conjunction, inner: Conjunction) =>
  Object.entries(inner).every(([k, v]) => outer[k] === v);

/**
 * Classifies a root-cause set against the injected conjunction: exact; none (no cause named);
 * more specific (one conjunction that contains the cause and more values); less specific (one
 * conjunction that is part of the cause); several (more than one conjunction); other.
 */
export function rcaVerdict(set: readonly Conjunction[], cause: Conjunction): RcaVerdict {
  if (set.length === 0) return 'none';
  if (set.length > 1) return 'several';
  const [only] = set as [Conjunction];
  if (sameConjunction(only, cause)) return 'exact';
  if (contains(only, cause)) return 'more specific';
  if (contains(cause, only)) return 'less specific';
  return 'other';
}

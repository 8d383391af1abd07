/**
 * Incidents, pure: which anomalies are one event in the world. The detector (later, in the
 * transaction that opens or changes an anomaly) asks {@link placeAnomaly} where the anomaly
 * goes; the board, the notifications and the evaluation read the derived status, severity and
 * shared cause. No clock: every time the rule needs is an anomaly's windows (epoch ms).
 *
 * The rule. Two anomalies are **linked** when
 * 1. their spans are **near**: an anomaly spans [firstWindow, lastWindow + its metric's window);
 *    two spans are near when they overlap once each is widened by `toleranceWindows` windows
 *    (of the longer of the two metrics' windows) — with N windows of tolerance, up to N − 1
 *    quiet windows may sit between them. N = 0 is literal overlap: spans that only touch (one
 *    ends where the other starts) are not near. The default, 3, lets two quiet windows pass: what
 *    hysteresis needs to resolve an anomaly (DEFAULT_RULE.resolveAfter = 2), so a metric that
 *    resolves and re-opens at once stays in its incident; and
 * 2. either their root causes **share a slice** — a conjunction of one is the same as, or nested
 *    in, a conjunction of the other: region=eu-west and region=eu-west ∧ device=android share
 *    (the narrower slice is part of the wider one; root cause on different metrics often names
 *    the same event at different depths), region=eu-west ∧ device=android and region=eu-west ∧
 *    plan=free do not (one common value is not one slice, or every eu-west problem would be
 *    one incident) — link 'cause';
 * 3. or their metrics are **related by definition** (they count the same events: their
 *    numerator event types — `eventType` and `extraEventTypes` — intersect, and no dimension
 *    filters them to disjoint values; purchases, revenue and conversion all read `purchase`;
 *    a shared denominator does not relate two rates) and at least one of the two names no
 *    cause — link 'definition'. When both name causes, the causes decide: a purchases drop in
 *    eu-west and a revenue drop in us-east at the same time are two incidents.
 * A withdrawn anomaly (late data left none of its windows anomalous) links to nothing. An
 * anomaly without a root cause (an empty set: the change is spread) therefore joins only by
 * definition; with neither, it is an incident of its own.
 *
 * Incremental, in the order anomalies open: a new anomaly **joins** the incident of an anomaly it
 * is linked to (a cause link before a definition link, then the nearest, then the oldest
 * incident), or **opens** an incident. Membership is sticky: an anomaly that changes (extends,
 * re-peaks with another cause, resolves, is withdrawn) stays where it is. Incidents **never
 * merge**: once people have been notified of two incidents and acted on them (acknowledged,
 * snoozed, routed), folding one into the other would take back notifications and rewrite what
 * they acted on. An anomaly linked to two incidents joins one of them (the order above). So the
 * grouping of a batch depends on the opening order when one anomaly bridges two others; it does
 * not claim order independence.
 *
 * Derived, never stored apart from the anomalies: an incident is open while any of its anomalies
 * is, resolved when its last one resolves (and open again when a member re-opens or a new
 * anomaly joins), withdrawn when all of its anomalies were; its severity is the highest of its
 * anomalies that were not withdrawn.
 */
import type { AnomalyStatus } from './workflow';
import type { Explanation, MetricDefinition, Severity } from '@/lib/types';

/** A conjunction of dimension values, e.g. { region: 'eu-west', device: 'android' }. */
export type Slice = Readonly<Record<string, string>>;

/** What the rule reads of a metric's definition. */
export type IncidentMetric = Pick<
  MetricDefinition,
  'id' | 'eventType' | 'extraEventTypes' | 'filters' | 'windowMultiple'
>;

/** An anomaly as the rule sees it (the anomalies table's columns, times as epoch ms). */
export interface IncidentAnomaly {
  id: number;
  metric: IncidentMetric;
  status: AnomalyStatus;
  severity: Severity;
  firstWindow: number;
  lastWindow: number;
  /** Its root-cause set ({@link causesOf}); [] when none was named. */
  causes: readonly Slice[];
}

export interface GroupingRule {
  /** The base window (PULSE_WINDOW) in ms; a metric's window is windowMultiple of it. */
  baseWindowMs: number;
  /** Windows of tolerance on both sides of a span (see the module comment); default 3. */
  toleranceWindows: number;
}

export const DEFAULT_TOLERANCE_WINDOWS = 3;

/** An existing incident and its anomalies, as the caller loaded them. */
export interface IncidentMembers {
  id: number;
  anomalies: readonly IncidentAnomaly[];
}

export type Link = 'cause' | 'definition';

/** Where an anomaly goes. */
export type Placement =
  /** Already in this incident: it stays (membership is sticky). */
  | { kind: 'member'; incidentId: number }
  /** Joins this incident, linked to anomaly `via` by `link`. */
  | { kind: 'join'; incidentId: number; via: number; link: Link }
  /** Linked to nothing: it opens an incident of its own. */
  | { kind: 'open' };

/** The root-cause set of an explanation, without empty conjunctions; [] without one. */
export function causesOf(explanation: Pick<Explanation, 'rootCause'>): Slice[] {
  return (explanation.rootCause?.set ?? []).filter((s) => Object.keys(s).length > 0);
}

/** True when every value of `inner` is in `outer` (inner is `outer` or a wider slice of it). */
function within(outer: Slice, inner: Slice): boolean {
  return Object.entries(inner).every(([k, v]) => Object.hasOwn(outer, k) && outer[k] === v);
}

/** Two non-empty slices are the same or one is nested in the other. */
export function nestedSlices(a: Slice, b: Slice): boolean {
  if (Object.keys(a).length === 0 || Object.keys(b).length === 0) return false;
  return within(a, b) || within(b, a);
}

/** Some slice of `a` and some slice of `b` are nested (or the same). */
export function shareCause(a: readonly Slice[], b: readonly Slice[]): boolean {
  return a.some((x) => b.some((y) => nestedSlices(x, y)));
}

/** Two metrics count the same events: numerator event types intersect, filters not disjoint. */
export function relatedMetrics(a: IncidentMetric, b: IncidentMetric): boolean {
  if (a.id === b.id) return true;
  const types = new Set([a.eventType, ...a.extraEventTypes]);
  if (![b.eventType, ...b.extraEventTypes].some((t) => types.has(t))) return false;
  for (const [dim, values] of Object.entries(a.filters)) {
    const other = b.filters[dim];
    if (other && !values.some((v) => other.includes(v))) return false;
  }
  return true;
}

const windowOf = (a: IncidentAnomaly, baseWindowMs: number) =>
  Math.max(1, a.metric.windowMultiple) * baseWindowMs;

/**
 * The quiet time between two spans in ms: negative when they overlap, 0 when one ends where
 * the other starts.
 */
export function gapMs(a: IncidentAnomaly, b: IncidentAnomaly, baseWindowMs: number): number {
  const endA = a.lastWindow + windowOf(a, baseWindowMs);
  const endB = b.lastWindow + windowOf(b, baseWindowMs);
  return Math.max(a.firstWindow, b.firstWindow) - Math.min(endA, endB);
}

/** The spans of `a` and `b` overlap once widened by the rule's tolerance. */
export function near(a: IncidentAnomaly, b: IncidentAnomaly, rule: GroupingRule): boolean {
  const window = Math.max(windowOf(a, rule.baseWindowMs), windowOf(b, rule.baseWindowMs));
  return gapMs(a, b, rule.baseWindowMs) < Math.max(0, rule.toleranceWindows) * window;
}

/** How `a` and `b` are linked under `rule`, or null (see the module comment). */
export function linkOf(a: IncidentAnomaly, b: IncidentAnomaly, rule: GroupingRule): Link | null {
  if (a.status === 'withdrawn' || b.status === 'withdrawn') return null;
  if (!near(a, b, rule)) return null;
  if (shareCause(a.causes, b.causes)) return 'cause';
  if (relatedMetrics(a.metric, b.metric) && (a.causes.length === 0 || b.causes.length === 0)) {
    return 'definition';
  }
  return null;
}

/**
 * Where `anomaly` goes among `incidents` (those the caller loaded as possibly near: more are
 * harmless). Deterministic: the same inputs give the same answer whatever their order, bar two
 * incidents tied on link and gap, where the smaller id wins.
 */
export function placeAnomaly(
  anomaly: IncidentAnomaly,
  incidents: readonly IncidentMembers[],
  rule: GroupingRule,
): Placement {
  const home = incidents.find((i) => i.anomalies.some((a) => a.id === anomaly.id));
  if (home) return { kind: 'member', incidentId: home.id };
  let best: { incidentId: number; via: number; link: Link; gap: number } | null = null;
  for (const incident of incidents) {
    for (const member of incident.anomalies) {
      const link = linkOf(anomaly, member, rule);
      if (!link) continue;
      const gap = gapMs(anomaly, member, rule.baseWindowMs);
      const better =
        !best ||
        (link === 'cause' && best.link === 'definition') ||
        (link === best.link &&
          (gap < best.gap ||
            (gap === best.gap &&
              (incident.id < best.incidentId ||
                (incident.id === best.incidentId && member.id < best.via)))));
      if (better) best = { incidentId: incident.id, via: member.id, link, gap };
    }
  }
  return best
    ? { kind: 'join', incidentId: best.incidentId, via: best.via, link: best.link }
    : { kind: 'open' };
}

/** An incident the batch grouping formed: its id is its first anomaly's. */
export interface GroupedIncident {
  id: number;
  anomalies: IncidentAnomaly[];
}

/**
 * Groups anomalies given in the order they opened, as the detector would have one by one
 * ({@link placeAnomaly} each in turn; an id seen again updates that member in place). Every
 * anomaly ends in exactly one incident.
 */
export function groupAnomalies(
  anomalies: readonly IncidentAnomaly[],
  rule: GroupingRule,
): GroupedIncident[] {
  const incidents: GroupedIncident[] = [];
  for (const anomaly of anomalies) {
    const placement = placeAnomaly(anomaly, incidents, rule);
    if (placement.kind === 'open') {
      incidents.push({ id: anomaly.id, anomalies: [anomaly] });
      continue;
    }
    const incident = incidents.find((i) => i.id === placement.incidentId)!;
    const at = incident.anomalies.findIndex((a) => a.id === anomaly.id);
    if (at >= 0) incident.anomalies[at] = anomaly;
    else incident.anomalies.push(anomaly);
  }
  return incidents;
}

/** Open while any anomaly is, resolved when the last one resolved, withdrawn when all were. */
export function incidentStatus(
  anomalies: readonly Pick<IncidentAnomaly, 'status'>[],
): AnomalyStatus {
  if (anomalies.some((a) => a.status === 'open')) return 'open';
  if (anomalies.some((a) => a.status === 'resolved')) return 'resolved';
  return 'withdrawn';
}

/** The highest severity of the anomalies not withdrawn; null when all were. */
export function incidentSeverity(
  anomalies: readonly Pick<IncidentAnomaly, 'status' | 'severity'>[],
): Severity | null {
  const live = anomalies.filter((a) => a.status !== 'withdrawn');
  if (live.length === 0) return null;
  return live.some((a) => a.severity === 'critical') ? 'critical' : 'warn';
}

/** A slice in words, dimensions in their order: "region=eu-west ∧ device=android". */
export function sliceText(slice: Slice): string {
  return Object.entries(slice)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ∧ ');
}

/**
 * The cause the incident's anomalies share, for its title: among their slices, the one nested
 * with (or equal to) a slice of the most anomalies; on a tie the wider one (region=eu-west over
 * region=eu-west ∧ device=android: true of both), then the first in text order. Null when no
 * anomaly names a cause. Withdrawn anomalies are left out.
 */
export function sharedCause(
  anomalies: readonly Pick<IncidentAnomaly, 'status' | 'causes'>[],
): Slice | null {
  const live = anomalies.filter((a) => a.status !== 'withdrawn');
  let best: { slice: Slice; count: number; size: number; text: string } | null = null;
  for (const slice of live.flatMap((a) => a.causes)) {
    if (Object.keys(slice).length === 0) continue;
    const count = live.filter((a) => a.causes.some((c) => nestedSlices(c, slice))).length;
    const size = Object.keys(slice).length;
    const text = sliceText(slice);
    if (
      !best ||
      count > best.count ||
      (count === best.count && (size < best.size || (size === best.size && text < best.text)))
    ) {
      best = { slice, count, size, text };
    }
  }
  return best?.slice ?? null;
}

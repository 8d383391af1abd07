/**
 * Which channels an incident's notifications go to.
 *
 * **Semantics (Alertmanager's)**: routes are tried in order; the first that matches takes the
 * incident, and the search stops there unless that route says `continue: true`, in which case
 * later routes are tried too and every match adds its channels (deduplicated, in order). When
 * no route matches, the default channels take it. So "critical on any revenue metric → pager;
 * warn → Slack only" is two routes in that order; "critical → pager *and* Slack" is a
 * `continue: true` on the first.
 *
 * A route's `match` holds up to three conditions, all of which must hold (none: matches all):
 *
 * - `minSeverity`: the incident is at least this severe (`warn` matches everything,
 *   `critical` only critical incidents).
 * - `metrics`: globs over metric keys (`revenue*`); matches when **any** of the incident's
 *   anomalies is on a matching metric (an incident that concerns revenue goes to revenue's
 *   people even when conversion moved too).
 * - `cause`: `{ dimension: valueGlob }`; matches when the incident's shared cause holds every
 *   pair (an incident caused by `region=eu-west, device=ios` matches `{ region: eu-west }`).
 *
 * Notifications are routed by the incident as it is when each is written: an incident that
 * escalates to critical reaches the pager with its `escalate` (receivers treat every kind as
 * "create or update incident <id>"). `acknowledge` and `resolve` also go to every channel that
 * already received something for the incident, so whoever was told it opened is told it closed.
 */
import { z } from 'zod';
import { causeMatcher, channelId, oneOrMany, pattern, safeText, severity } from './fields';
import { globMatch } from './glob';
import type { NotificationKind } from './schedule';
import { SEVERITY_RANK, type IncidentSnapshot } from './types';

export const RouteMatch = z.strictObject({
  minSeverity: severity.optional(),
  metrics: oneOrMany(pattern).optional(),
  cause: causeMatcher.optional(),
});
export type RouteMatch = z.infer<typeof RouteMatch>;

export const Route = z.strictObject({
  name: safeText('a route name', 100).optional(),
  match: RouteMatch.default({}),
  channels: oneOrMany(channelId),
  continue: z.boolean({ error: 'expected true or false' }).default(false),
});
export type Route = z.infer<typeof Route>;

export const Routing = z.strictObject({
  routes: z.array(Route).default([]),
  /** Who gets what no route takes; may be empty (then unrouted incidents notify nobody). */
  defaultChannels: oneOrMany(channelId).default([]),
});
export type Routing = z.infer<typeof Routing>;

/** The part of an incident routing reads. */
export type RoutableIncident = Pick<IncidentSnapshot, 'severity' | 'cause'> & {
  anomalies: readonly { metric: { key: string } }[];
};

/** Whether a route's conditions hold for the incident. */
export function routeMatches(match: RouteMatch, incident: RoutableIncident): boolean {
  if (match.minSeverity && SEVERITY_RANK[incident.severity] < SEVERITY_RANK[match.minSeverity]) {
    return false;
  }
  if (match.metrics) {
    const globs = match.metrics;
    const any = incident.anomalies.some((a) => globs.some((g) => globMatch(g, a.metric.key)));
    if (!any) return false;
  }
  if (match.cause && !causeHolds(match.cause, incident.cause)) return false;
  return true;
}

/** Every `{ dimension: glob }` pair is in the cause. */
export function causeHolds(
  matcher: Record<string, string>,
  cause: readonly { dimension: string; value: string }[],
): boolean {
  return Object.entries(matcher).every(([dimension, glob]) =>
    cause.some((pair) => pair.dimension === dimension && globMatch(glob, pair.value)),
  );
}

export interface RouteDecision {
  /** Channel ids, deduplicated, in route order. */
  channels: string[];
  /** Indexes of the routes that matched; empty when the default took it. */
  matched: number[];
}

/** The channels an incident goes to (see the module comment). */
export function routeIncident(incident: RoutableIncident, routing: Routing): RouteDecision {
  const channels = new Set<string>();
  const matched: number[] = [];
  for (const [index, route] of routing.routes.entries()) {
    if (!routeMatches(route.match, incident)) continue;
    matched.push(index);
    for (const id of route.channels) channels.add(id);
    if (!route.continue) break;
  }
  if (matched.length === 0) for (const id of routing.defaultChannels) channels.add(id);
  return { channels: [...channels], matched };
}

/**
 * The channels one notification goes to: the incident's route, plus, for `acknowledge` and
 * `resolve`, every channel already notified about the incident.
 */
export function channelsForNotification(
  kind: NotificationKind,
  incident: RoutableIncident,
  routing: Routing,
  alreadyNotified: readonly string[] = [],
): string[] {
  const channels = new Set(routeIncident(incident, routing).channels);
  if (kind === 'acknowledge' || kind === 'resolve')
    for (const id of alreadyNotified) channels.add(id);
  return [...channels];
}

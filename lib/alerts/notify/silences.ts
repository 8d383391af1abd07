/**
 * Silences: time-bounded mutes by matcher, with who set them and why. A silenced incident still
 * shows on the board (marked) but its notifications are held back (./schedule.ts: everything
 * but the resolve of an announced incident).
 *
 * A silence's `matchers` hold up to three conditions, all of which must hold, and at least one
 * must be given (a silence of everything is a mistake waiting to happen; turn the channel off
 * instead):
 *
 * - `metrics`: globs over metric keys; holds when **every** anomaly of the incident is on a
 *   matching metric. (Routing asks for any; a mute asks for all: silencing revenue must not
 *   hide a purchases anomaly that joined the incident later — that is news.)
 * - `severity`: the incident's severity is one of these (`[warn]` mutes warnings only, so an
 *   escalation to critical gets through).
 * - `cause`: `{ dimension: valueGlob }`; holds when the incident's shared cause holds every
 *   pair. An incident with a narrower cause (`region=eu-west, device=ios`) is silenced by a
 *   silence of the wider one (`region=eu-west`); one with no shared cause is not.
 *
 * A silence is active from `startsAt` (inclusive) to `endsAt` (exclusive).
 */
import { z } from 'zod';
import { causeMatcher, oneOrMany, pattern, safeText, severity } from './fields';
import { globMatch } from './glob';
import { causeHolds } from './routing';
import type { IncidentSnapshot } from './types';

/** Longest silence: a mute for longer belongs in the routes. */
export const SILENCE_MAX_MS = 90 * 86_400_000;

const instant = z.union(
  [
    z.iso
      .datetime({ offset: true, error: 'expected an ISO 8601 date and time' })
      .transform((text) => Date.parse(text)),
    z.number().int().nonnegative(),
  ],
  { error: 'expected an ISO 8601 date and time, such as 2026-01-15T12:00:00Z' },
);

export const SilenceMatchers = z
  .strictObject({
    metrics: oneOrMany(pattern).optional(),
    severity: oneOrMany(severity).optional(),
    cause: causeMatcher.optional(),
  })
  .refine((m) => m.metrics !== undefined || m.severity !== undefined || m.cause !== undefined, {
    error: 'expected at least one matcher (metrics, severity or cause)',
  });
export type SilenceMatchers = z.infer<typeof SilenceMatchers>;

export const Silence = z
  .strictObject({
    id: safeText('an id', 100).optional(),
    matchers: SilenceMatchers,
    createdBy: safeText('who set the silence', 100),
    comment: safeText('why', 500),
    startsAt: instant,
    endsAt: instant,
  })
  .superRefine((s, ctx) => {
    if (s.endsAt <= s.startsAt) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'expected a time after startsAt' });
    } else if (s.endsAt - s.startsAt > SILENCE_MAX_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['endsAt'],
        message: 'expected a silence of at most 90 days',
      });
    }
  });
/** A silence as stored and matched: times in epoch ms. */
export type Silence = z.infer<typeof Silence>;

/** The part of an incident silences read. */
export type SilenceableIncident = Pick<IncidentSnapshot, 'severity' | 'cause'> & {
  anomalies: readonly { metric: { key: string } }[];
};

/** Whether the silence's matchers hold for the incident (whatever the time). */
export function silenceMatches(matchers: SilenceMatchers, incident: SilenceableIncident): boolean {
  if (matchers.severity && !matchers.severity.includes(incident.severity)) return false;
  if (matchers.metrics) {
    const globs = matchers.metrics;
    if (incident.anomalies.length === 0) return false;
    const all = incident.anomalies.every((a) => globs.some((g) => globMatch(g, a.metric.key)));
    if (!all) return false;
  }
  if (matchers.cause && !causeHolds(matchers.cause, incident.cause)) return false;
  return true;
}

const active = (silence: Silence, at: number) => silence.startsAt <= at && at < silence.endsAt;

/** The silences that mute the incident at `now`. */
export function activeSilences<S extends Silence>(
  incident: SilenceableIncident,
  silences: readonly S[],
  now: number,
): S[] {
  return silences.filter((s) => active(s, now) && silenceMatches(s.matchers, incident));
}

export function isSilenced(
  incident: SilenceableIncident,
  silences: readonly Silence[],
  now: number,
): boolean {
  return activeSilences(incident, silences, now).length > 0;
}

/**
 * Until when the incident stays silenced, as things stand: the end of the matching silences
 * active at `now`, following on to matching silences that start before (or as) one ends; null
 * when not silenced now. The schedule looks again then.
 */
export function silencedUntil(
  incident: SilenceableIncident,
  silences: readonly Silence[],
  now: number,
): number | null {
  const matching = silences.filter((s) => silenceMatches(s.matchers, incident));
  if (!matching.some((s) => active(s, now))) return null;
  let until = now;
  for (;;) {
    const next = matching.reduce(
      (max, s) => (s.startsAt <= until && s.endsAt > until ? Math.max(max, s.endsAt) : max),
      until,
    );
    if (next === until) return until;
    until = next;
  }
}

/**
 * What people can do with an anomaly, and when: the request contract of
 * `POST /api/anomalies/:id/actions` and the transition rules, pure (no I/O, `now` passed in) so
 * the API, the queries and the buttons agree on them.
 */
import { z } from 'zod';
import { unsafeTextMessage } from '@/lib/text/input';

export const LIFECYCLE_ACTIONS = [
  'acknowledge',
  'unacknowledge',
  'resolve',
  'reopen',
  'snooze',
  'unsnooze',
  'mark_true_positive',
  'mark_false_positive',
  'clear_verdict',
] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

export type AnomalyStatus = 'open' | 'resolved' | 'withdrawn';
export type Verdict = 'true_positive' | 'false_positive';

/** Longest note kept with an action, in characters. */
export const NOTE_MAX = 500;
/** Snooze presets offered in the browser, and how long each lasts. */
export const SNOOZE_PRESETS = { '30m': 30 * 60_000, '2h': 2 * 3_600_000, '24h': 24 * 3_600_000 };
export type SnoozePreset = keyof typeof SNOOZE_PRESETS;
/** A custom snooze may reach this far ahead. */
export const SNOOZE_MAX_MS = 30 * 24 * 3_600_000;

/** The part of an anomaly the rules look at (times as epoch ms). */
export interface LifecycleState {
  status: AnomalyStatus;
  acknowledgedAt: number | null;
  /** Who acknowledged it, for the message when someone tries again. */
  acknowledgedBy?: string | null;
  snoozedUntil: number | null;
  verdict: Verdict | null;
}

/** A validated action: `until` only for snooze (epoch ms, in the future). */
export type LifecycleRequest =
  | { action: 'snooze'; until: number; note: string | null }
  | { action: Exclude<LifecycleAction, 'snooze'>; note: string | null };

/** The JSON body: `{ action, note? }`; a snooze also names `preset` or `until` (ISO 8601). */
export const ActionBody = z
  .strictObject({
    action: z.enum(LIFECYCLE_ACTIONS, {
      error: `action must be one of: ${LIFECYCLE_ACTIONS.join(', ')}.`,
    }),
    // Lines and tabs are welcome in a note; other control characters and bidi overrides
    // (lib/text/input.ts) are not.
    note: z
      .string({ error: 'note must be text.' })
      .superRefine((note, ctx) => {
        const message = unsafeTextMessage(note, { multiline: true });
        if (message) ctx.addIssue({ code: 'custom', message });
      })
      .max(NOTE_MAX, { error: `Keep the note to ${NOTE_MAX} characters.` })
      .optional(),
    preset: z
      .enum(Object.keys(SNOOZE_PRESETS) as [SnoozePreset, ...SnoozePreset[]], {
        error: `preset must be one of: ${Object.keys(SNOOZE_PRESETS).join(', ')}.`,
      })
      .optional(),
    until: z.iso
      .datetime({ offset: true, error: 'until must be an ISO 8601 date and time.' })
      .optional(),
  })
  .superRefine((body, ctx) => {
    if (body.action === 'snooze') {
      if (body.preset === undefined && body.until === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['until'],
          message: 'Say how long to snooze: a preset (30m, 2h, 24h) or until a time.',
        });
      } else if (body.preset !== undefined && body.until !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['until'],
          message: 'Give either a preset or a time, not both.',
        });
      }
    } else {
      for (const key of ['preset', 'until'] as const) {
        if (body[key] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} is only for snooze.` });
        }
      }
    }
  });
export type ActionBody = z.infer<typeof ActionBody>;

/**
 * What people can do with a whole incident: each acts on every anomaly of the incident that
 * allows it (verdicts stay per anomaly: one anomaly of an incident may be a false positive).
 */
export const INCIDENT_ACTIONS = [
  'acknowledge',
  'unacknowledge',
  'resolve',
  'reopen',
  'snooze',
  'unsnooze',
] as const satisfies readonly LifecycleAction[];
export type IncidentAction = (typeof INCIDENT_ACTIONS)[number];

/** The JSON body of `POST /api/incidents/:id/actions`: {@link ActionBody}, incident actions only. */
export const IncidentActionBody = ActionBody.superRefine((body, ctx) => {
  if (!(INCIDENT_ACTIONS as readonly string[]).includes(body.action)) {
    ctx.addIssue({
      code: 'custom',
      path: ['action'],
      message: `action must be one of: ${INCIDENT_ACTIONS.join(', ')}.`,
    });
  }
});
export type IncidentActionBody = z.infer<typeof IncidentActionBody>;

export type Checked<T> = { ok: true; value: T } | { ok: false; fields: Record<string, string> };

/** Turns a parsed body into a request: resolves the snooze time against `now` and checks it. */
export function toRequest(body: ActionBody, now: number): Checked<LifecycleRequest> {
  const trimmed = body.note?.trim() ?? '';
  const note = trimmed === '' ? null : trimmed;
  if (body.action !== 'snooze') return { ok: true, value: { action: body.action, note } };
  const until =
    body.preset !== undefined ? now + SNOOZE_PRESETS[body.preset] : Date.parse(body.until ?? '');
  if (!Number.isFinite(until)) {
    return { ok: false, fields: { until: 'until must be an ISO 8601 date and time.' } };
  }
  if (until <= now) return { ok: false, fields: { until: 'Snooze until a time in the future.' } };
  if (until - now > SNOOZE_MAX_MS) {
    return { ok: false, fields: { until: 'Snooze for at most 30 days.' } };
  }
  return { ok: true, value: { action: 'snooze', until, note } };
}

const VERDICT_LABEL: Record<Verdict, string> = {
  true_positive: 'a true positive',
  false_positive: 'a false positive',
};

/**
 * Whether `action` may be applied to an anomaly in `state` at `now`: null when it may, else
 * why not (a 409 for the API, in words a person can act on).
 */
export function transitionError(
  state: LifecycleState,
  action: LifecycleAction,
  now: number,
): string | null {
  const snoozed = state.snoozedUntil !== null && state.snoozedUntil > now;
  const verdictAction =
    action === 'mark_true_positive' ||
    action === 'mark_false_positive' ||
    action === 'clear_verdict';
  if (state.status === 'withdrawn' && !verdictAction) {
    return 'This anomaly was withdrawn (late data showed it was not one): only a verdict can be recorded.';
  }
  switch (action) {
    case 'acknowledge':
      if (state.status !== 'open') return 'Only an open anomaly can be acknowledged.';
      if (state.acknowledgedAt !== null) {
        return state.acknowledgedBy
          ? `Already acknowledged by ${state.acknowledgedBy}.`
          : 'Already acknowledged.';
      }
      return null;
    case 'unacknowledge':
      return state.acknowledgedAt === null ? 'This anomaly is not acknowledged.' : null;
    case 'resolve':
      return state.status === 'open' ? null : 'Only an open anomaly can be resolved.';
    case 'reopen':
      return state.status === 'resolved' ? null : 'Only a resolved anomaly can be reopened.';
    case 'snooze':
      return state.status === 'open' ? null : 'Only an open anomaly can be snoozed.';
    case 'unsnooze':
      return snoozed ? null : 'This anomaly is not snoozed.';
    case 'mark_true_positive':
      return state.verdict === 'true_positive'
        ? `Already marked ${VERDICT_LABEL.true_positive}.`
        : null;
    case 'mark_false_positive':
      return state.verdict === 'false_positive'
        ? `Already marked ${VERDICT_LABEL.false_positive}.`
        : null;
    case 'clear_verdict':
      return state.verdict === null ? 'There is no verdict to clear.' : null;
  }
}

/** The actions a person could take now (the buttons to show). */
export function availableActions(state: LifecycleState, now: number): LifecycleAction[] {
  return LIFECYCLE_ACTIONS.filter((action) => transitionError(state, action, now) === null);
}

/** True while a snooze is in force: alerts for the anomaly should not notify anyone. */
export function isSnoozed(snoozedUntil: number | null, now: number): boolean {
  return snoozedUntil !== null && snoozedUntil > now;
}

/** Past-tense phrase for the audit trail: "alice acknowledged". */
export const ACTION_PAST: Record<LifecycleAction, string> = {
  acknowledge: 'acknowledged',
  unacknowledge: 'withdrew the acknowledgement',
  resolve: 'resolved',
  reopen: 'reopened',
  snooze: 'snoozed',
  unsnooze: 'ended the snooze',
  mark_true_positive: 'marked true positive',
  mark_false_positive: 'marked false positive',
  clear_verdict: 'cleared the verdict',
};

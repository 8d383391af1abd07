import { describe, expect, it } from 'vitest';
import {
  ActionBody,
  LIFECYCLE_ACTIONS,
  NOTE_MAX,
  SNOOZE_MAX_MS,
  availableActions,
  isSnoozed,
  toRequest,
  transitionError,
  type LifecycleState,
} from './workflow';

const NOW = Date.UTC(2026, 0, 15, 12);
const open: LifecycleState = {
  status: 'open',
  acknowledgedAt: null,
  snoozedUntil: null,
  verdict: null,
};

function parse(body: unknown) {
  const parsed = ActionBody.safeParse(body);
  if (!parsed.success) {
    return { ok: false as const, paths: parsed.error.issues.map((i) => i.path.join('.')) };
  }
  return toRequest(parsed.data, NOW);
}

describe('transition rules', () => {
  it('an open anomaly can be acknowledged, resolved, snoozed and given a verdict', () => {
    expect(availableActions(open, NOW)).toEqual([
      'acknowledge',
      'resolve',
      'snooze',
      'mark_true_positive',
      'mark_false_positive',
    ]);
  });

  it('acknowledging twice is refused, naming who did it first', () => {
    const acked = { ...open, acknowledgedAt: NOW - 1000, acknowledgedBy: 'alice' };
    expect(transitionError(acked, 'acknowledge', NOW)).toBe('Already acknowledged by alice.');
    expect(transitionError(acked, 'unacknowledge', NOW)).toBeNull();
    expect(transitionError(open, 'unacknowledge', NOW)).toMatch(/not acknowledged/);
  });

  it('only open anomalies resolve, only resolved ones reopen', () => {
    const resolved = { ...open, status: 'resolved' as const };
    expect(transitionError(open, 'reopen', NOW)).toBe('Only a resolved anomaly can be reopened.');
    expect(transitionError(resolved, 'resolve', NOW)).toBe('Only an open anomaly can be resolved.');
    expect(transitionError(resolved, 'reopen', NOW)).toBeNull();
    expect(transitionError(resolved, 'acknowledge', NOW)).toMatch(/open/);
    expect(transitionError(resolved, 'snooze', NOW)).toMatch(/open/);
  });

  it('a withdrawn anomaly accepts only verdicts', () => {
    const withdrawn = { ...open, status: 'withdrawn' as const, acknowledgedAt: NOW };
    expect(availableActions(withdrawn, NOW)).toEqual(['mark_true_positive', 'mark_false_positive']);
    expect(transitionError(withdrawn, 'unacknowledge', NOW)).toMatch(/only a verdict/);
    expect(availableActions({ ...withdrawn, verdict: 'false_positive' }, NOW).sort()).toEqual([
      'clear_verdict',
      'mark_true_positive',
    ]);
  });

  it('a snooze in the past is no snooze: unsnooze is refused, snooze again is allowed', () => {
    expect(transitionError({ ...open, snoozedUntil: NOW - 1 }, 'unsnooze', NOW)).toMatch(
      /not snoozed/,
    );
    expect(transitionError({ ...open, snoozedUntil: NOW + 60_000 }, 'unsnooze', NOW)).toBeNull();
    expect(transitionError({ ...open, snoozedUntil: NOW + 60_000 }, 'snooze', NOW)).toBeNull();
    expect(isSnoozed(NOW + 1, NOW)).toBe(true);
    expect(isSnoozed(NOW, NOW)).toBe(false);
    expect(isSnoozed(null, NOW)).toBe(false);
  });

  it('verdicts switch, but the same verdict twice and clearing nothing are refused', () => {
    const fp = { ...open, verdict: 'false_positive' as const };
    expect(transitionError(fp, 'mark_false_positive', NOW)).toBe(
      'Already marked a false positive.',
    );
    expect(transitionError(fp, 'mark_true_positive', NOW)).toBeNull();
    expect(transitionError(fp, 'clear_verdict', NOW)).toBeNull();
    expect(transitionError(open, 'clear_verdict', NOW)).toMatch(/no verdict/);
  });

  it('every action has a rule for every status', () => {
    for (const status of ['open', 'resolved', 'withdrawn'] as const) {
      for (const action of LIFECYCLE_ACTIONS) {
        const result = transitionError({ ...open, status }, action, NOW);
        expect(result === null || typeof result === 'string').toBe(true);
      }
    }
  });
});

describe('request bodies', () => {
  it('accepts an action with a note, trimmed; a blank note is no note', () => {
    expect(parse({ action: 'acknowledge', note: '  on it  ' })).toEqual({
      ok: true,
      value: { action: 'acknowledge', note: 'on it' },
    });
    expect(parse({ action: 'resolve', note: '   ' })).toEqual({
      ok: true,
      value: { action: 'resolve', note: null },
    });
  });

  it('refuses unknown actions, unknown keys and long notes, by field', () => {
    expect(parse({ action: 'delete' })).toEqual({ ok: false, paths: ['action'] });
    expect(parse({ action: 'resolve', extra: 1 })).toMatchObject({ ok: false });
    expect(parse({ action: 'resolve', note: 'x'.repeat(NOTE_MAX + 1) })).toEqual({
      ok: false,
      paths: ['note'],
    });
    expect(parse({ action: 'resolve', note: 'x'.repeat(NOTE_MAX) })).toMatchObject({ ok: true });
    const message = ActionBody.safeParse({ action: 'nope' }).error?.issues[0]?.message;
    expect(message).toContain('acknowledge');
  });

  it('keeps a note’s lines and tabs, refuses its other control and bidi characters', () => {
    expect(parse({ action: 'resolve', note: 'fixed:\r\n\t- restarted the node' })).toEqual({
      ok: true,
      value: { action: 'resolve', note: 'fixed:\r\n\t- restarted the node' },
    });
    for (const note of ['a\u0000b', 'x\u001b[2J', 'a\u202eb', 'a\ud800']) {
      expect(parse({ action: 'resolve', note })).toEqual({ ok: false, paths: ['note'] });
    }
    expect(
      ActionBody.safeParse({ action: 'resolve', note: 'a\u0000' }).error?.issues[0]?.message,
    ).toBe('Must not contain control characters (U+0000).');
  });

  it('snoozes by preset from now, or until a time', () => {
    expect(parse({ action: 'snooze', preset: '2h' })).toEqual({
      ok: true,
      value: { action: 'snooze', until: NOW + 2 * 3_600_000, note: null },
    });
    const until = new Date(NOW + 90 * 60_000).toISOString();
    expect(parse({ action: 'snooze', until })).toMatchObject({
      ok: true,
      value: { until: NOW + 90 * 60_000 },
    });
    expect(parse({ action: 'snooze', until: '2026-01-15T14:00:00+01:00' })).toMatchObject({
      value: { until: Date.UTC(2026, 0, 15, 13) },
    });
  });

  it('refuses a snooze without a time, with both, in the past or too far ahead', () => {
    expect(parse({ action: 'snooze' })).toEqual({ ok: false, paths: ['until'] });
    expect(
      parse({ action: 'snooze', preset: '30m', until: new Date(NOW + 1).toISOString() }),
    ).toEqual({ ok: false, paths: ['until'] });
    expect(parse({ action: 'snooze', preset: '1y' })).toEqual({ ok: false, paths: ['preset'] });
    expect(parse({ action: 'snooze', until: 'tomorrow' })).toEqual({ ok: false, paths: ['until'] });
    expect(parse({ action: 'snooze', until: new Date(NOW - 1000).toISOString() })).toEqual({
      ok: false,
      fields: { until: 'Snooze until a time in the future.' },
    });
    expect(
      parse({ action: 'snooze', until: new Date(NOW + SNOOZE_MAX_MS + 60_000).toISOString() }),
    ).toEqual({ ok: false, fields: { until: 'Snooze for at most 30 days.' } });
    expect(parse({ action: 'acknowledge', preset: '2h' })).toEqual({
      ok: false,
      paths: ['preset'],
    });
  });
});

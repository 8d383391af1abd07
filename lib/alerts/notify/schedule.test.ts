import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCHEDULE,
  notificationKey,
  scheduleNotifications,
  type ScheduleIncident,
  type ScheduleInput,
  type SentNotification,
} from './schedule';

const T0 = Date.UTC(2026, 0, 15, 12);
const S = 1000;
const H = 3_600_000;

const incident = (over: Partial<ScheduleIncident> = {}): ScheduleIncident => ({
  id: 7,
  status: 'open',
  severity: 'warn',
  openedAt: T0,
  acknowledgedAt: null,
  snoozedUntil: null,
  ...over,
});

const run = (inc: ScheduleIncident, sent: SentNotification[], now: number, silencedUntil = null) =>
  scheduleNotifications({ incident: inc, sent, now, silencedUntil });

/** Writes what is due into `sent`, as the outbox would. */
function step(inc: ScheduleIncident, sent: SentNotification[], now: number, silenced?: number) {
  const result = scheduleNotifications({
    incident: inc,
    sent,
    now,
    silencedUntil: silenced ?? null,
  });
  for (const n of result.due) {
    sent.push({ kind: n.kind, sequence: n.sequence, at: now, severity: n.severity });
  }
  return result;
}

describe('open', () => {
  it('waits for the group wait, then announces once', () => {
    const inc = incident();
    expect(run(inc, [], T0)).toEqual({ due: [], nextCheckAt: T0 + 30 * S });
    expect(run(inc, [], T0 + 29 * S).due).toEqual([]);
    const sent: SentNotification[] = [];
    const r = step(inc, sent, T0 + 30 * S);
    expect(r.due).toEqual([
      { kind: 'open', incidentId: 7, sequence: 1, key: 'pulse-7-1-open', severity: 'warn' },
    ]);
    expect(r.nextCheckAt).toBe(T0 + 30 * S + 4 * H);
    expect(run(inc, sent, T0 + 31 * S).due).toEqual([]);
  });

  it('announces at the severity the incident has when the wait ends (siblings joined)', () => {
    const r = run(incident({ severity: 'critical' }), [], T0 + 30 * S);
    expect(r.due.map((n) => [n.kind, n.severity])).toEqual([['open', 'critical']]);
  });

  it('a blip resolved within the group wait is never announced, nor resolved', () => {
    expect(run(incident({ status: 'resolved' }), [], T0 + 60 * S)).toEqual({
      due: [],
      nextCheckAt: null,
    });
  });

  it('an incident acknowledged before it was announced sends nothing', () => {
    const r = run(incident({ status: 'acknowledged', acknowledgedAt: T0 + S }), [], T0 + H);
    expect(r).toEqual({ due: [], nextCheckAt: null });
  });

  it('honours a custom group wait, including zero', () => {
    const settings = { ...DEFAULT_SCHEDULE, groupWaitMs: 0 };
    const r = scheduleNotifications({
      incident: incident(),
      sent: [],
      now: T0,
      silencedUntil: null,
      settings,
    });
    expect(r.due.map((n) => n.kind)).toEqual(['open']);
  });

  it('an announced incident that resolved and opened again is announced again at once', () => {
    const sent: SentNotification[] = [
      { kind: 'open', sequence: 1, at: T0 + 30 * S, severity: 'critical' },
      { kind: 'resolve', sequence: 2, at: T0 + H, severity: 'critical' },
    ];
    const r = run(incident({ severity: 'warn' }), sent, T0 + 2 * H);
    expect(r.due.map((n) => n.key)).toEqual(['pulse-7-3-open']);
  });
});

describe('escalate', () => {
  it('warn → critical after the open is announced once', () => {
    const sent: SentNotification[] = [];
    step(incident(), sent, T0 + 30 * S);
    const r = step(incident({ severity: 'critical' }), sent, T0 + 60 * S);
    expect(r.due.map((n) => [n.key, n.severity])).toEqual([['pulse-7-2-escalate', 'critical']]);
    expect(step(incident({ severity: 'critical' }), sent, T0 + 90 * S).due).toEqual([]);
  });

  it('critical → warn sends nothing', () => {
    const sent: SentNotification[] = [];
    step(incident({ severity: 'critical' }), sent, T0 + 30 * S);
    expect(step(incident(), sent, T0 + 60 * S).due).toEqual([]);
  });

  it('escalation restarts the reminder clock', () => {
    const sent: SentNotification[] = [];
    step(incident(), sent, T0 + 30 * S);
    const r = step(incident({ severity: 'critical' }), sent, T0 + 2 * H);
    expect(r.nextCheckAt).toBe(T0 + 2 * H + 4 * H);
  });

  it('an acknowledged incident that escalates says so', () => {
    const sent: SentNotification[] = [];
    const acked = { status: 'acknowledged' as const, acknowledgedAt: T0 + 60 * S };
    step(incident(), sent, T0 + 30 * S);
    step(incident(acked), sent, T0 + 60 * S);
    const r = step(incident({ ...acked, severity: 'critical' }), sent, T0 + 90 * S);
    expect(r.due.map((n) => n.kind)).toEqual(['escalate']);
  });
});

describe('remind', () => {
  it('repeats every interval while unacknowledged', () => {
    const sent: SentNotification[] = [];
    const opened = T0 + 30 * S;
    step(incident(), sent, opened);
    expect(step(incident(), sent, opened + 4 * H - 1).due).toEqual([]);
    const r = step(incident(), sent, opened + 4 * H);
    expect(r.due.map((n) => n.key)).toEqual(['pulse-7-2-remind']);
    expect(r.nextCheckAt).toBe(opened + 8 * H);
    // A late sweep sends one reminder, not the ones it missed.
    const late = step(incident(), sent, opened + 20 * H);
    expect(late.due.map((n) => n.kind)).toEqual(['remind']);
  });

  it('stops when acknowledged, and with a zero interval', () => {
    const sent: SentNotification[] = [];
    step(incident(), sent, T0 + 30 * S);
    const acked = incident({ status: 'acknowledged', acknowledgedAt: T0 + H });
    step(acked, sent, T0 + H);
    expect(step(acked, sent, T0 + 10 * H)).toEqual({ due: [], nextCheckAt: null });
    const never = scheduleNotifications({
      incident: incident(),
      sent: [{ kind: 'open', sequence: 1, at: T0, severity: 'warn' }],
      now: T0 + 100 * H,
      silencedUntil: null,
      settings: { groupWaitMs: 0, repeatIntervalMs: 0 },
    });
    expect(never).toEqual({ due: [], nextCheckAt: null });
  });
});

describe('acknowledge and resolve', () => {
  it('acknowledge once; again after an unacknowledge and a new acknowledge', () => {
    const sent: SentNotification[] = [];
    step(incident(), sent, T0 + 30 * S);
    const ack1 = incident({ status: 'acknowledged', acknowledgedAt: T0 + H });
    expect(step(ack1, sent, T0 + H).due.map((n) => n.key)).toEqual(['pulse-7-2-acknowledge']);
    expect(step(ack1, sent, T0 + H + S).due).toEqual([]);
    step(incident(), sent, T0 + 2 * H); // unacknowledged: nothing to say
    const ack2 = incident({ status: 'acknowledged', acknowledgedAt: T0 + 3 * H });
    expect(step(ack2, sent, T0 + 3 * H).due.map((n) => n.key)).toEqual(['pulse-7-3-acknowledge']);
  });

  it('resolve once, for an announced incident', () => {
    const sent: SentNotification[] = [];
    step(incident(), sent, T0 + 30 * S);
    const resolved = incident({ status: 'resolved' });
    expect(step(resolved, sent, T0 + H).due.map((n) => n.key)).toEqual(['pulse-7-2-resolve']);
    expect(step(resolved, sent, T0 + 2 * H)).toEqual({ due: [], nextCheckAt: null });
  });
});

describe('muted: snoozed or silenced', () => {
  it('holds the open back until the snooze ends, then sends it', () => {
    const snoozed = incident({ snoozedUntil: T0 + H });
    expect(run(snoozed, [], T0 + 60 * S)).toEqual({ due: [], nextCheckAt: T0 + H });
    expect(run(snoozed, [], T0 + H).due.map((n) => n.kind)).toEqual(['open']);
  });

  it('a silence mutes open, escalate, acknowledge and reminders, and says when to look again', () => {
    const sent: SentNotification[] = [];
    step(incident(), sent, T0 + 30 * S);
    const until = T0 + 10 * H;
    expect(step(incident({ severity: 'critical' }), sent, T0 + H, until)).toEqual({
      due: [],
      nextCheckAt: until,
    });
    expect(step(incident(), sent, T0 + 5 * H, until).due).toEqual([]);
    // The silence ends with the incident still critical: escalate, and the reminder is overdue.
    const r = step(incident({ severity: 'critical' }), sent, until);
    expect(r.due.map((n) => n.kind)).toEqual(['escalate']);
  });

  it('the later of snooze and silence counts', () => {
    const r = scheduleNotifications({
      incident: incident({ snoozedUntil: T0 + H }),
      sent: [],
      now: T0 + 60 * S,
      silencedUntil: T0 + 2 * H,
    });
    expect(r.nextCheckAt).toBe(T0 + 2 * H);
  });

  it('a resolve is sent even when muted, so receivers can close what they opened', () => {
    const sent: SentNotification[] = [];
    step(incident(), sent, T0 + 30 * S);
    const r = step(incident({ status: 'resolved', snoozedUntil: T0 + 9 * H }), sent, T0 + H);
    expect(r.due.map((n) => n.kind)).toEqual(['resolve']);
  });
});

describe('keys', () => {
  it('are pulse-<incident>-<sequence>-<kind>', () => {
    expect(notificationKey(42, 3, 'remind')).toBe('pulse-42-3-remind');
  });

  it('the same inputs give the same result, whatever the order of the sent list', () => {
    const sent: SentNotification[] = [
      { kind: 'open', sequence: 1, at: T0 + 30 * S, severity: 'warn' },
      { kind: 'remind', sequence: 2, at: T0 + 5 * H, severity: 'warn' },
    ];
    const input: ScheduleInput = {
      incident: incident({ severity: 'critical' }),
      sent,
      now: T0 + 6 * H,
      silencedUntil: null,
    };
    const a = scheduleNotifications(input);
    const b = scheduleNotifications({ ...input, sent: [...sent].reverse() });
    expect(a).toEqual(b);
    expect(a.due.map((n) => n.key)).toEqual(['pulse-7-3-escalate']);
  });
});

describe('properties over random histories', () => {
  const change = fc.record({
    dt: fc.integer({ min: 0, max: 6 * H }),
    status: fc.constantFrom('open' as const, 'acknowledged' as const, 'resolved' as const),
    severity: fc.constantFrom('warn' as const, 'critical' as const),
    snooze: fc.option(fc.integer({ min: 1, max: 3 * H }), { nil: null }),
    silence: fc.option(fc.integer({ min: 1, max: 3 * H }), { nil: null }),
    sweeps: fc.integer({ min: 1, max: 3 }),
  });

  it('keys are unique, sequences contiguous, a rerun owes nothing, and a resolve follows an open', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 25 }), (changes) => {
        const sent: SentNotification[] = [];
        let now = T0;
        let ackAt: number | null = null;
        for (const c of changes) {
          now += c.dt;
          if (c.status === 'acknowledged' && ackAt === null) ackAt = now;
          if (c.status !== 'acknowledged') ackAt = null;
          const inc = incident({
            status: c.status,
            severity: c.severity,
            acknowledgedAt: ackAt,
            snoozedUntil: c.snooze === null ? null : now + c.snooze,
          });
          const silenced = c.silence === null ? undefined : now + c.silence;
          for (let i = 0; i < c.sweeps; i++) {
            step(inc, sent, now, silenced);
            // A second run at the same moment owes nothing.
            expect(
              scheduleNotifications({ incident: inc, sent, now, silencedUntil: silenced ?? null })
                .due,
            ).toEqual([]);
          }
        }
        const keys = sent.map((n) => notificationKey(7, n.sequence, n.kind));
        expect(new Set(keys).size).toBe(keys.length);
        expect(sent.map((n) => n.sequence)).toEqual(sent.map((_, i) => i + 1));
        // Episodes: every resolve closes an episode that began with an open.
        let open = false;
        for (const n of sent) {
          if (n.kind === 'open') {
            expect(open).toBe(false);
            open = true;
          } else {
            expect(open).toBe(true);
            if (n.kind === 'resolve') open = false;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NO_INCIDENT,
  pendingRun,
  replayIncidents,
  stepIncident,
  type HysteresisRule,
  type IncidentState,
  type OpenIncident,
  type StoredPoint,
  type WindowVerdict,
} from './hysteresis';
import type { Severity } from '@/lib/types';

const W = 60_000;
const v = (i: number, severity: Severity | null, z = severity ? 4 : 0.5): WindowVerdict => ({
  windowStart: i * W,
  severity,
  z,
});
const ok = (i: number) => v(i, null);
const warn = (i: number, z = 4) => v(i, 'warn', z);
const crit = (i: number, z = 6) => v(i, 'critical', z);

const rule = (consecutiveWindows: number, resolveAfter: number): HysteresisRule => ({
  consecutiveWindows,
  resolveAfter,
});

const open: OpenIncident = {
  firstWindow: 0,
  lastWindow: 2 * W,
  peakWindow: W,
  peakZ: 5,
  severity: 'warn',
  direction: 'up',
  normalWindows: 0,
};

describe('stepIncident', () => {
  it('does nothing on a normal window with nothing open', () => {
    expect(stepIncident(NO_INCIDENT, ok(0), rule(1, 2))).toEqual({
      step: { kind: 'none', dropped: null },
      state: NO_INCIDENT,
    });
  });

  it('opens at once with consecutiveWindows = 1', () => {
    const { step, state } = stepIncident(NO_INCIDENT, crit(3, -7), rule(1, 2));
    expect(step.kind).toBe('open');
    const anomaly = {
      firstWindow: 3 * W,
      lastWindow: 3 * W,
      peakWindow: 3 * W,
      peakZ: -7,
      severity: 'critical',
      direction: 'down',
      normalWindows: 0,
    };
    expect(step).toMatchObject({ anomaly });
    expect(state).toEqual({ open: anomaly, run: null });
  });

  it('keeps counting while the run is shorter than consecutiveWindows, then opens over all of it', () => {
    const r = rule(3, 2);
    const a = stepIncident(NO_INCIDENT, warn(10, 3.5), r);
    expect(a.step).toMatchObject({ kind: 'pending', run: { count: 1, firstWindow: 10 * W } });
    const b = stepIncident(a.state, warn(11, 4.5), r);
    expect(b.step).toMatchObject({ kind: 'pending', run: { count: 2, peakZ: 4.5 } });
    const c = stepIncident(b.state, warn(12, 4), r);
    expect(c.step).toEqual({
      kind: 'open',
      anomaly: {
        firstWindow: 10 * W,
        lastWindow: 12 * W,
        peakWindow: 11 * W,
        peakZ: 4.5,
        severity: 'warn',
        direction: 'up',
        normalWindows: 0,
      },
      run: expect.objectContaining({ count: 3 }),
    });
    expect(c.state.run).toBeNull();
  });

  it('opens at once on a critical window, over the warn run before it', () => {
    const r = rule(3, 2);
    const a = stepIncident(NO_INCIDENT, warn(10, 3.5), r);
    expect(a.step.kind).toBe('pending');
    const b = stepIncident(a.state, crit(11, 8), r);
    expect(b.step).toEqual({
      kind: 'open',
      anomaly: {
        firstWindow: 10 * W,
        lastWindow: 11 * W,
        peakWindow: 11 * W,
        peakZ: 8,
        severity: 'critical',
        direction: 'up',
        normalWindows: 0,
      },
      run: expect.objectContaining({ count: 2 }),
    });
    const alone = stepIncident(NO_INCIDENT, crit(20, -6), r);
    expect(alone.step).toMatchObject({ kind: 'open', anomaly: { firstWindow: 20 * W } });
  });

  it('drops a run interrupted by a normal window: no anomaly, and the next run starts afresh', () => {
    const r = rule(2, 2);
    const a = stepIncident(NO_INCIDENT, warn(0), r);
    const b = stepIncident(a.state, ok(1), r);
    expect(b.step).toMatchObject({ kind: 'none', dropped: { count: 1, firstWindow: 0 } });
    expect(b.state).toEqual(NO_INCIDENT);
    const c = stepIncident(b.state, warn(2), r);
    expect(c.step).toMatchObject({ kind: 'pending', run: { count: 1, firstWindow: 2 * W } });
  });

  it('extends an open anomaly: last window, peak, severity, normal count reset', () => {
    const withNormals = { ...open, normalWindows: 1 };
    const { step, state } = stepIncident({ open: withNormals, run: null }, crit(3, 9), rule(1, 3));
    expect(step).toEqual({
      kind: 'extend',
      peak: true,
      anomaly: {
        ...open,
        lastWindow: 3 * W,
        peakWindow: 3 * W,
        peakZ: 9,
        severity: 'critical',
        normalWindows: 0,
      },
    });
    expect(state.open).toEqual(step.kind === 'extend' ? step.anomaly : null);
  });

  it('keeps the peak on a weaker window and severity once critical', () => {
    const critical = { ...open, severity: 'critical' as const };
    const { step } = stepIncident({ open: critical, run: null }, warn(3, 4), rule(1, 2));
    expect(step).toMatchObject({
      kind: 'extend',
      peak: false,
      anomaly: { peakZ: 5, peakWindow: W, severity: 'critical', lastWindow: 3 * W },
    });
  });

  it('starts a new run when the side flips before anything opened', () => {
    const r = rule(2, 2);
    const a = stepIncident(NO_INCIDENT, warn(0, 4), r);
    const b = stepIncident(a.state, warn(1, -4), r);
    expect(b.step).toMatchObject({ kind: 'pending', run: { firstWindow: W, count: 1 } });
    // A critical drop right after a warn spike opens 'down', from the drop alone.
    const c = stepIncident(a.state, crit(1, -20), r);
    expect(c.step).toMatchObject({
      kind: 'open',
      anomaly: { direction: 'down', firstWindow: W, peakZ: -20 },
    });
  });

  it('extends on the other side too, without moving the peak', () => {
    const { step } = stepIncident({ open, run: null }, crit(3, -20), rule(1, 2));
    expect(step).toMatchObject({
      kind: 'extend',
      peak: false,
      anomaly: { direction: 'up', peakZ: 5, lastWindow: 3 * W, severity: 'critical' },
    });
  });

  it('counts normal windows inside an open anomaly and resolves at resolveAfter', () => {
    const r = rule(1, 3);
    const a = stepIncident({ open, run: null }, ok(3), r);
    expect(a.step).toEqual({ kind: 'count_normal', anomaly: { ...open, normalWindows: 1 } });
    const b = stepIncident(a.state, ok(4), r);
    expect(b.step).toMatchObject({ kind: 'count_normal', anomaly: { normalWindows: 2 } });
    const c = stepIncident(b.state, ok(5), r);
    expect(c.step).toEqual({
      kind: 'resolve',
      anomaly: { ...open, normalWindows: 3, lastWindow: 2 * W },
    });
    expect(c.state).toEqual(NO_INCIDENT);
  });

  it('does not open a second anomaly after a short dip under the threshold', () => {
    const r = rule(1, 3);
    const { steps, anomalies } = replayIncidents(
      [warn(0), warn(1), ok(2), ok(3), crit(4), warn(5), ok(6), ok(7), ok(8)],
      r,
    );
    expect(steps.map((s) => s.kind)).toEqual([
      'open',
      'extend',
      'count_normal',
      'count_normal',
      'extend',
      'extend',
      'count_normal',
      'count_normal',
      'resolve',
    ]);
    expect(anomalies).toEqual([
      expect.objectContaining({
        firstWindow: 0,
        lastWindow: 5 * W,
        severity: 'critical',
        resolved: true,
        resolvedAt: 8 * W,
      }),
    ]);
  });

  it('resolves after one normal window with resolveAfter = 1, and a new run then opens anew', () => {
    const { anomalies } = replayIncidents([warn(0), ok(1), warn(2)], rule(1, 1));
    expect(anomalies.map((a) => [a.firstWindow, a.resolved])).toEqual([
      [0, true],
      [2 * W, false],
    ]);
  });

  it('treats a zero or negative setting as 1', () => {
    expect(stepIncident(NO_INCIDENT, warn(0), rule(0, 0)).step.kind).toBe('open');
    expect(stepIncident({ open, run: null }, ok(3), rule(0, 0)).step.kind).toBe('resolve');
  });
});

describe('stepIncident with the drift test', () => {
  const drifting = (
    i: number,
    z: number,
    alarmSince: number | null,
    building: ('up' | 'down')[] = [],
  ): WindowVerdict => ({
    ...v(i, alarmSince === null ? null : 'warn', z),
    drift: { alarmSince: alarmSince === null ? null : alarmSince * W, building },
  });

  it('opens at once on an alarm at warn, from the window where the drift began', () => {
    const { step, state } = stepIncident(NO_INCIDENT, drifting(20, 2.1, 14), rule(2, 2));
    const anomaly = {
      firstWindow: 14 * W,
      lastWindow: 20 * W,
      peakWindow: 20 * W,
      peakZ: 2.1,
      severity: 'warn',
      direction: 'up',
      normalWindows: 0,
    };
    expect(step).toMatchObject({ kind: 'open', anomaly });
    expect(state).toEqual({ open: anomaly, run: null });
  });

  it('keeps an open anomaly open while the drift on its side still builds, not on the other', () => {
    const r = rule(2, 2);
    const still = stepIncident({ open, run: null }, drifting(3, 1.2, null, ['up']), r);
    expect(still.step).toEqual({
      kind: 'extend',
      anomaly: { ...open, lastWindow: 3 * W, normalWindows: 0 },
      peak: false,
    });
    const other = stepIncident({ open, run: null }, drifting(3, -1.2, null, ['down']), r);
    expect(other.step).toMatchObject({ kind: 'count_normal', anomaly: { normalWindows: 1 } });
  });

  it('a normal window with no drift verdict or nothing building is counted as before', () => {
    const r = rule(2, 1);
    expect(stepIncident({ open, run: null }, drifting(3, 0.2, null), r).step.kind).toBe('resolve');
    expect(stepIncident(NO_INCIDENT, drifting(3, 0.2, null, ['up']), r).step.kind).toBe('none');
  });
});

describe('pendingRun', () => {
  const point = (
    i: number,
    status: StoredPoint['status'],
    z: number | null = 4,
    anomalyId: number | null = null,
  ): StoredPoint => ({
    windowStart: i * W,
    status,
    z,
    anomalyId,
  });

  it('rebuilds the trailing flagged windows without an anomaly', () => {
    const points = [
      point(0, 'warn'),
      point(1, 'ok', 1),
      point(2, 'warn', 3.5),
      point(3, 'critical', 7),
    ];
    expect(pendingRun(points, 4 * W, W)).toEqual({
      firstWindow: 2 * W,
      lastWindow: 3 * W,
      count: 2,
      peakWindow: 3 * W,
      peakZ: 7,
      severity: 'critical',
      direction: 'up',
    });
  });

  it('is null when the previous window is normal, missing, or already in an anomaly', () => {
    expect(pendingRun([point(0, 'warn'), point(1, 'ok', 1)], 2 * W, W)).toBeNull();
    expect(pendingRun([point(0, 'warn')], 2 * W, W)).toBeNull();
    expect(pendingRun([point(1, 'critical', 6, 12)], 2 * W, W)).toBeNull();
    expect(pendingRun([point(1, 'learning', null)], 2 * W, W)).toBeNull();
  });

  it('stops at a gap', () => {
    expect(pendingRun([point(0, 'warn'), point(2, 'warn')], 3 * W, W)?.count).toBe(1);
  });

  it('continues the state machine as if it had never stopped', () => {
    const r = rule(3, 2);
    const verdicts = [warn(0), ok(1), warn(2), warn(3, -4)];
    const live = replayIncidents(verdicts, r).state;
    const stored = verdicts.map((x) => point(x.windowStart / W, x.severity ?? 'ok', x.z));
    expect({ open: null, run: pendingRun(stored, 4 * W, W) }).toEqual(live);
  });
});

describe('hysteresis properties', () => {
  const verdictSeq = fc
    .array(fc.constantFrom<Severity | null>(null, null, 'warn', 'critical'), { maxLength: 80 })
    .chain((sevs) =>
      fc
        .array(fc.double({ min: 3, max: 50, noNaN: true }), {
          minLength: sevs.length,
          maxLength: sevs.length,
        })
        .chain((sizes) =>
          fc
            .array(fc.boolean(), { minLength: sevs.length, maxLength: sevs.length })
            .map((ups) => sevs.map((s, i) => v(i, s, (ups[i] ? 1 : -1) * sizes[i]!))),
        ),
    );
  const rules = fc.record({
    consecutiveWindows: fc.integer({ min: 1, max: 6 }),
    resolveAfter: fc.integer({ min: 1, max: 6 }),
  });

  it('never has two open anomalies: opens and resolutions alternate', () => {
    fc.assert(
      fc.property(verdictSeq, rules, (verdicts, r) => {
        const { steps, anomalies } = replayIncidents(verdicts, r);
        let isOpen = false;
        for (const step of steps) {
          if (step.kind === 'open') {
            expect(isOpen).toBe(false);
            isOpen = true;
          } else if (step.kind === 'resolve') {
            expect(isOpen).toBe(true);
            isOpen = false;
          } else if (step.kind === 'extend' || step.kind === 'count_normal') {
            expect(isOpen).toBe(true);
          } else {
            expect(isOpen).toBe(false);
          }
        }
        expect(anomalies.filter((a) => !a.resolved).length).toBe(isOpen ? 1 : 0);
      }),
    );
  });

  it('a run of at least consecutiveWindows anomalous windows opens exactly one anomaly', () => {
    fc.assert(
      fc.property(
        rules,
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 20 }),
        (r, extra, lead) => {
          const length = r.consecutiveWindows + extra;
          const verdicts = [
            ...Array.from({ length: lead }, (_, i) => ok(i)),
            ...Array.from({ length }, (_, i) => warn(lead + i)),
          ];
          const { anomalies, steps } = replayIncidents(verdicts, r);
          expect(anomalies).toHaveLength(1);
          expect(anomalies[0]).toMatchObject({
            firstWindow: lead * W,
            lastWindow: (lead + length - 1) * W,
          });
          expect(steps.filter((s) => s.kind === 'open')).toHaveLength(1);
        },
      ),
    );
  });

  it('a warn run shorter than consecutiveWindows opens nothing; a critical window opens at once', () => {
    fc.assert(
      fc.property(verdictSeq, rules, (verdicts, r) => {
        const { anomalies } = replayIncidents(verdicts, r);
        const runs: number[] = [];
        let length = 0;
        for (const x of [...verdicts, ok(verdicts.length)]) {
          if (x.severity) length++;
          else if (length > 0) {
            runs.push(length);
            length = 0;
          }
        }
        const critical = verdicts.some((x) => x.severity === 'critical');
        if (!critical && runs.every((n) => n < r.consecutiveWindows)) {
          expect(anomalies).toHaveLength(0);
        }
        for (const x of verdicts) {
          if (x.severity !== 'critical') continue;
          const covering = anomalies.filter(
            (a) => a.firstWindow <= x.windowStart && x.windowStart <= a.lastWindow,
          );
          expect(covering).toHaveLength(1);
        }
      }),
    );
  });

  it('every anomaly resolves after resolveAfter normal windows in a row, and not before', () => {
    fc.assert(
      fc.property(verdictSeq, rules, (verdicts, r) => {
        const tail = Array.from({ length: r.resolveAfter }, (_, i) => ok(verdicts.length + i));
        const { anomalies, state } = replayIncidents([...verdicts, ...tail], r);
        expect(state.open).toBeNull();
        for (const a of anomalies) {
          expect(a.resolved).toBe(true);
          // The resolveAfter windows after its last anomalous one are all normal, and it
          // resolved on exactly the last of them.
          expect(a.resolvedAt).toBe(a.lastWindow + r.resolveAfter * W);
        }
      }),
    );
  });

  it('every anomalous window after consecutiveWindows in a row on one side belongs to an anomaly', () => {
    fc.assert(
      fc.property(verdictSeq, rules, (verdicts, r) => {
        const { anomalies } = replayIncidents(verdicts, r);
        let length = 0;
        let side = 0;
        for (const x of verdicts) {
          length = x.severity ? (Math.sign(x.z) === side ? length + 1 : 1) : 0;
          side = Math.sign(x.z);
          if (length >= r.consecutiveWindows) {
            const covering = anomalies.filter(
              (a) => a.firstWindow <= x.windowStart && x.windowStart <= a.lastWindow,
            );
            expect(covering).toHaveLength(1);
          }
        }
      }),
    );
  });

  it('keeps the largest |z| on its side as the peak and critical once any window is', () => {
    fc.assert(
      fc.property(verdictSeq, rules, (verdicts, r) => {
        const { anomalies } = replayIncidents(verdicts, r);
        for (const a of anomalies) {
          const members = verdicts.filter(
            (x) => x.severity && x.windowStart >= a.firstWindow && x.windowStart <= a.lastWindow,
          );
          const sameSide = members.filter((x) => (x.z < 0 ? 'down' : 'up') === a.direction);
          expect(Math.abs(a.peakZ)).toBe(Math.max(...sameSide.map((x) => Math.abs(x.z))));
          expect(a.severity).toBe(
            members.some((x) => x.severity === 'critical') ? 'critical' : 'warn',
          );
        }
      }),
    );
  });

  it('opens on the side of its first window, which is as anomalous as the run it came from', () => {
    fc.assert(
      fc.property(verdictSeq, rules, (verdicts, r) => {
        const { anomalies } = replayIncidents(verdicts, r);
        for (const a of anomalies) {
          const first = verdicts.find((x) => x.windowStart === a.firstWindow)!;
          expect(first.severity).not.toBeNull();
          expect(first.z < 0 ? 'down' : 'up').toBe(a.direction);
          expect(a.peakZ < 0 ? 'down' : 'up').toBe(a.direction);
        }
      }),
    );
  });

  it('resumes identically from any intermediate state', () => {
    fc.assert(
      fc.property(verdictSeq, rules, fc.nat(), (verdicts, r, cut) => {
        const at = verdicts.length === 0 ? 0 : cut % verdicts.length;
        const whole = replayIncidents(verdicts, r);
        const first = replayIncidents(verdicts.slice(0, at), r);
        const rest = replayIncidents(verdicts.slice(at), r, first.state as IncidentState);
        expect([...first.steps, ...rest.steps]).toEqual(whole.steps);
      }),
    );
  });
});

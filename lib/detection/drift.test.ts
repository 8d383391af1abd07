import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DRIFT_MEMORY,
  DRIFT_PARAMS,
  NO_DRIFT,
  driftBefore,
  driftParams,
  stepDrift,
  type DriftAlarm,
  type DriftInput,
  type DriftParams,
  type DriftPoint,
  type DriftState,
} from './drift';
import type { PointStatus } from '@/lib/types';

const W = 60_000;
const P: DriftParams = { k: 0.5, h: 4 };
const ok = (z: number): DriftInput => ({ z, status: 'ok' });

/** Steps through `inputs` from `state`; the states after each window and the alarms. */
function run(
  inputs: readonly DriftInput[],
  params = P,
  direction: 'both' | 'up' | 'down' = 'both',
  state: DriftState = NO_DRIFT,
) {
  const states: DriftState[] = [];
  const alarms: (DriftAlarm | null)[] = [];
  for (const input of inputs) {
    const next = stepDrift(state, input, direction, params);
    state = next.state;
    states.push(state);
    alarms.push(next.alarm);
  }
  return { states, alarms, state };
}

const firstAlarm = (alarms: readonly (DriftAlarm | null)[]) => alarms.findIndex((a) => a !== null);

const statuses: PointStatus[] = [
  'ok',
  'ok',
  'ok',
  'ok',
  'warn',
  'critical',
  'learning',
  'low_volume',
];
const arbInput = fc.record({
  z: fc.oneof(
    fc.double({ min: -8, max: 8, noNaN: true }),
    fc.constant(null),
    fc.constant(Number.NaN),
  ),
  status: fc.constantFrom(...statuses),
});
const arbParams = fc.record({
  k: fc.double({ min: 0, max: 2, noNaN: true }),
  h: fc.double({ min: 0.5, max: 10, noNaN: true }),
});

describe('stepDrift', () => {
  it('adds the excess over k on each side and clamps at 0', () => {
    const { states } = run([ok(1.5), ok(2), ok(-1), ok(0.2)]);
    expect(states.map((s) => s.up.sum)).toEqual([1, 2.5, 1, 0.7]);
    expect(states.map((s) => s.up.windows)).toEqual([1, 2, 3, 4]);
    expect(states.map((s) => s.down.sum)).toEqual([0, 0, 0.5, 0]);
    expect(states.map((s) => s.down.windows)).toEqual([0, 0, 1, 0]);
  });

  it('counts windows from where the sum last left 0', () => {
    const { states } = run([ok(1), ok(-3), ok(1), ok(1)]);
    expect(states.map((s) => s.up)).toEqual([
      { sum: 0.5, windows: 1 },
      { sum: 0, windows: 0 },
      { sum: 0.5, windows: 1 },
      { sum: 1, windows: 2 },
    ]);
  });

  it('fires when a sum reaches h, naming the side and the windows, then starts again', () => {
    const { alarms, states } = run([ok(0.2), ok(1.5), ok(1.5), ok(1.5), ok(1.5), ok(1.5)]);
    expect(firstAlarm(alarms)).toBe(4);
    expect(alarms[4]).toEqual({ direction: 'up', windows: 4, sum: 4 });
    expect(states[4]).toEqual(NO_DRIFT);
    expect(states[5]!.up).toEqual({ sum: 1, windows: 1 });
    const down = run([ok(-2.5), ok(-2.5)]).alarms[1];
    expect(down).toEqual({ direction: 'down', windows: 2, sum: 4 });
  });

  it('resets on a window anomalous by the threshold and on an unscored one', () => {
    for (const status of ['warn', 'critical', 'learning', 'low_volume'] as const) {
      const { state } = run([ok(2), ok(2), { z: 2, status }]);
      expect(state).toEqual(NO_DRIFT);
    }
    expect(run([ok(2), { z: null, status: 'ok' }]).state).toEqual(NO_DRIFT);
    expect(run([ok(2), { z: Number.NaN, status: 'ok' }]).state).toEqual(NO_DRIFT);
  });

  it('keeps only its side on a one-sided rule', () => {
    const falls = Array.from({ length: 10 }, () => ok(-3));
    expect(firstAlarm(run(falls, P, 'up').alarms)).toBe(-1);
    expect(run(falls, P, 'up').state).toEqual(NO_DRIFT);
    expect(firstAlarm(run(falls, P, 'down').alarms)).toBe(1);
    const rises = Array.from({ length: 10 }, () => ok(3));
    expect(firstAlarm(run(rises, P, 'down').alarms)).toBe(-1);
  });

  it('finds a 12-window ramp that never reaches the warn threshold', () => {
    const ramp = Array.from({ length: 12 }, (_, t) => ok((2.9 * (t + 1)) / 12));
    expect(ramp.every((i) => i.z! < 3)).toBe(true);
    const { alarms } = run(ramp, DRIFT_PARAMS);
    expect(firstAlarm(alarms)).toBeGreaterThanOrEqual(0);
    expect(alarms.find((a) => a !== null)).toMatchObject({ direction: 'up' });
  });

  it('property: the sums are never negative and stay finite', () => {
    fc.assert(
      fc.property(fc.array(arbInput, { maxLength: 80 }), arbParams, (inputs, params) => {
        for (const s of run(inputs, params).states) {
          for (const side of [s.up, s.down]) {
            expect(side.sum).toBeGreaterThanOrEqual(0);
            expect(Number.isFinite(side.sum)).toBe(true);
            expect(side.windows).toBeGreaterThanOrEqual(0);
            expect(side.sum === 0).toBe(side.windows === 0);
          }
        }
      }),
    );
  });

  it('property: a stationary series with |z| < k never alarms and keeps both sums at 0', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 3, noNaN: true }),
        fc.array(fc.double({ min: -0.999, max: 0.999, noNaN: true }), { maxLength: 200 }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        (k, fractions, h) => {
          const { alarms, states } = run(
            fractions.map((f) => ok(f * k)),
            { k, h },
          );
          expect(alarms.every((a) => a === null)).toBe(true);
          expect(states.every((s) => s.up.sum === 0 && s.down.sum === 0)).toBe(true);
        },
      ),
    );
  });

  it('property: the alarm is monotone in the slope of a drift (steeper fires no later)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1.5, max: 1.5, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom<'up' | 'down'>('up', 'down'),
        (noise, a, b, side) => {
          const [gentle, steep] = a <= b ? [a, b] : [b, a];
          const sign = side === 'up' ? 1 : -1;
          const series = (slope: number) => noise.map((e, t) => ok(sign * slope * (t + 1) + e));
          // The drift's side only (a one-sided rule): the other side's alarm resets both sums.
          const when = (slope: number) => {
            const at = firstAlarm(run(series(slope), P, side).alarms);
            return at < 0 ? Infinity : at;
          };
          // Up to its first alarm, the steeper drift's sum is never smaller.
          expect(when(steep)).toBeLessThanOrEqual(when(gentle));
        },
      ),
    );
  });
});

describe('driftParams', () => {
  it('scales k and h with the rule warn threshold', () => {
    expect(driftParams({ warnZ: 3 })).toEqual(DRIFT_PARAMS);
    expect(driftParams({ warnZ: 6 })).toEqual({ k: 2 * DRIFT_PARAMS.k, h: 2 * DRIFT_PARAMS.h });
  });
});

describe('driftBefore', () => {
  const points = (zs: readonly (number | null)[], status: PointStatus = 'ok'): DriftPoint[] =>
    zs.map((z, i) => ({ windowStart: i * W, z, status }));

  it('replays the stored points from 0: the state the detector had before a restart', () => {
    fc.assert(
      fc.property(fc.array(arbInput, { maxLength: DRIFT_MEMORY }), (inputs) => {
        const stored = inputs.map((input, i) => ({ windowStart: i * W, ...input }));
        const live = run(inputs, DRIFT_PARAMS).state;
        expect(driftBefore(stored, inputs.length * W, W, 'both')).toEqual(live);
      }),
    );
  });

  it('forgets what is older than DRIFT_MEMORY windows', () => {
    const long = points(Array.from({ length: DRIFT_MEMORY + 5 }, () => 0.55));
    const state = driftBefore(long, long.length * W, W, 'both', P);
    expect(state.up.windows).toBe(DRIFT_MEMORY);
  });

  it('resets at a window with no stored point and ignores points at or after the window', () => {
    const stored = points([2, 2, 2, 2, 2]).filter((p) => p.windowStart !== 2 * W);
    expect(driftBefore(stored, 5 * W, W, 'both', P).up).toEqual({ sum: 3, windows: 2 });
    expect(driftBefore(stored, 2 * W, W, 'both', P).up).toEqual({ sum: 3, windows: 2 });
    expect(driftBefore(points([1, 1, 1]), 0, W, 'both')).toEqual(NO_DRIFT);
  });
});

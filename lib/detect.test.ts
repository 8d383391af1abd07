import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { alertRuleSchema, baseline, floorSigma, poissonFloor, score, validateRule } from './detect';
import { DEFAULT_RULE, type AlertRule } from './types';

const rule: AlertRule = {
  warnZ: 3,
  criticalZ: 5,
  direction: 'both',
  minVolume: 20,
  baselineWindows: 20,
};
/** mean 100, sample σ = √(800 / 9) ≈ 9.43 */
const history = [90, 110, 90, 110, 90, 110, 90, 110, 100, 100];
const SIGMA = Math.sqrt(800 / 9);

describe('baseline', () => {
  it('computes mean and sample standard deviation', () => {
    const b = baseline([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(b.n).toBe(8);
    expect(b.mean).toBe(5);
    expect(b.sigma).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });

  it('floors σ of a flat series at 1% of |mean|', () => {
    expect(baseline([200, 200, 200])).toEqual({ mean: 200, sigma: 2, n: 3 });
    expect(baseline([-50, -50]).sigma).toBe(0.5);
  });

  it('floors σ at the caller floor and at an absolute minimum', () => {
    expect(baseline([0, 0, 0]).sigma).toBe(1e-9);
    expect(baseline([4, 4, 4], { sigmaFloor: poissonFloor(4) }).sigma).toBe(2);
    expect(baseline([], { sigmaFloor: 3 })).toEqual({ mean: 0, sigma: 3, n: 0 });
    expect(baseline([7]).sigma).toBeCloseTo(0.07, 12);
  });

  it('always returns a positive finite σ', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true })), (xs) => {
        const b = baseline(xs);
        expect(b.sigma).toBeGreaterThan(0);
        expect(Number.isFinite(b.sigma)).toBe(true);
        expect(b.sigma).toBeGreaterThanOrEqual(floorSigma(0, b.mean));
      }),
    );
  });
});

describe('poissonFloor', () => {
  it('is √mean, and at least 1', () => {
    expect(poissonFloor(100)).toBe(10);
    expect(poissonFloor(0.25)).toBe(1);
    expect(poissonFloor(0)).toBe(1);
  });
});

describe('score', () => {
  it('is ok within the warn threshold', () => {
    const s = score(110, 100, history, rule);
    expect(s).toMatchObject({
      value: 110,
      expected: 100,
      status: 'ok',
      severity: null,
      direction: 'up',
    });
    expect(s.sigma).toBeCloseTo(SIGMA, 10);
    expect(s.z).toBeCloseTo(10 / SIGMA, 10);
  });

  it('warns at |z| ≥ warnZ and is critical at |z| ≥ criticalZ, both ways', () => {
    expect(score(100 + 3.01 * SIGMA, 100, history, rule)).toMatchObject({
      status: 'warn',
      severity: 'warn',
    });
    expect(score(100 - 4.99 * SIGMA, 100, history, rule)).toMatchObject({
      status: 'warn',
      direction: 'down',
    });
    expect(score(100 + 5.01 * SIGMA, 100, history, rule)).toMatchObject({
      status: 'critical',
      severity: 'critical',
    });
    expect(score(100 - 6 * SIGMA, 100, history, rule)).toMatchObject({
      status: 'critical',
      direction: 'down',
    });
  });

  it('respects a one-sided rule', () => {
    const up: AlertRule = { ...rule, direction: 'up' };
    const down: AlertRule = { ...rule, direction: 'down' };
    expect(score(0, 100, history, up)).toMatchObject({
      status: 'ok',
      severity: null,
      direction: 'down',
    });
    expect(score(200, 100, history, up)).toMatchObject({ status: 'critical', direction: 'up' });
    expect(score(200, 100, history, down)).toMatchObject({ status: 'ok', direction: 'up' });
    expect(score(0, 100, history, down)).toMatchObject({ status: 'critical' });
  });

  it('has no direction when the value equals the mean', () => {
    expect(score(100, 100, history, rule)).toMatchObject({ z: 0, direction: null, status: 'ok' });
  });

  it('is learning while the history is short', () => {
    expect(score(1000, 100, [100, 100, 100, 100], rule)).toEqual({
      value: 1000,
      expected: 100,
      sigma: 1,
      z: 0,
      status: 'learning',
      severity: null,
      direction: null,
    });
    expect(score(1000, 100, [1, 2, 3], rule, { minHistory: 3 }).status).toBe('critical');
    expect(score(1, 100, [], rule).status).toBe('learning');
  });

  it('needs no more history than the rule uses', () => {
    const short: AlertRule = { ...rule, baselineWindows: 3 };
    expect(score(1000, 100, [10, 11, 12], short).status).toBe('critical');
  });

  it('uses only the last baselineWindows finite values', () => {
    const s = score(
      5,
      100,
      [1000, 1000, Number.NaN, 4, 5, 6],
      { ...rule, baselineWindows: 3 },
      { minHistory: 3 },
    );
    expect(s.expected).toBe(5);
    expect(s.sigma).toBe(1);
  });

  it('is low_volume below the minimum volume, with z but without severity', () => {
    const s = score(1000, 19, history, rule);
    expect(s).toMatchObject({ status: 'low_volume', severity: null, direction: 'up' });
    expect(s.z).toBeGreaterThan(5);
    expect(score(1000, 20, history, rule).status).toBe('critical');
  });

  it('is low_volume when there is no value', () => {
    const s = score(null, 0, history, rule);
    expect(s).toMatchObject({
      status: 'low_volume',
      z: 0,
      severity: null,
      direction: null,
      expected: 100,
    });
    expect(s.value).toBeNaN();
  });

  it('applies the sigma floor option', () => {
    const flat = [0, 0, 0, 0, 0];
    expect(score(1, 100, flat, rule).status).toBe('critical');
    expect(score(1, 100, flat, rule, { sigmaFloor: poissonFloor(0) })).toMatchObject({
      z: 1,
      status: 'ok',
    });
  });

  it('is consistent: severity only when scored, status = severity ?? ok', () => {
    fc.assert(
      fc.property(
        fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true })),
        fc.nat({ max: 100 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 30 }),
        fc.constantFrom<AlertRule['direction']>('up', 'down', 'both'),
        (value, volume, hist, direction) => {
          const s = score(value, volume, hist, { ...DEFAULT_RULE, direction });
          expect(Number.isFinite(s.z)).toBe(true);
          if (s.severity) expect(s.status).toBe(s.severity);
          if (s.status === 'ok' || s.status === 'warn' || s.status === 'critical') {
            expect(s.status).toBe(s.severity ?? 'ok');
            if (s.severity === 'critical')
              expect(Math.abs(s.z)).toBeGreaterThanOrEqual(DEFAULT_RULE.criticalZ);
          } else {
            expect(s.severity).toBeNull();
          }
        },
      ),
    );
  });
});

describe('validateRule', () => {
  it('accepts a valid rule and strips unknown keys', () => {
    expect(validateRule({ ...DEFAULT_RULE, extra: 1 })).toEqual({ ok: true, rule: DEFAULT_RULE });
    expect(
      validateRule({
        warnZ: 1000,
        criticalZ: 1000,
        direction: 'up',
        minVolume: 0,
        baselineWindows: 3,
      }).ok,
    ).toBe(true);
    expect(alertRuleSchema.parse(DEFAULT_RULE)).toEqual(DEFAULT_RULE);
  });

  it.each<
    [string, Partial<Record<keyof AlertRule, unknown>>, Partial<Record<keyof AlertRule, string>>]
  >([
    ['warnZ zero', { warnZ: 0 }, { warnZ: 'Warn z must be greater than 0.' }],
    [
      'warnZ too big',
      { warnZ: 1001, criticalZ: 1001 },
      { warnZ: 'Warn z must be at most 1000.', criticalZ: 'Critical z must be at most 1000.' },
    ],
    ['warnZ a string', { warnZ: '3' }, { warnZ: 'Warn z must be a number.' }],
    ['warnZ NaN', { warnZ: Number.NaN }, { warnZ: 'Warn z must be a number.' }],
    [
      'criticalZ below warnZ',
      { warnZ: 3, criticalZ: 2 },
      { criticalZ: 'Critical z must be at least the warn z (3).' },
    ],
    [
      'criticalZ below fractional warnZ',
      { warnZ: 2.5, criticalZ: 2 },
      { criticalZ: 'Critical z must be at least the warn z (2.5).' },
    ],
    ['criticalZ missing', { criticalZ: undefined }, { criticalZ: 'Critical z must be a number.' }],
    [
      'direction unknown',
      { direction: 'sideways' },
      { direction: 'Direction must be up, down or both.' },
    ],
    [
      'minVolume fractional',
      { minVolume: 2.5 },
      { minVolume: 'Minimum volume must be a whole number.' },
    ],
    [
      'minVolume negative',
      { minVolume: -1 },
      { minVolume: 'Minimum volume must be between 0 and 1,000,000,000.' },
    ],
    [
      'minVolume too big',
      { minVolume: 1e9 + 1 },
      { minVolume: 'Minimum volume must be between 0 and 1,000,000,000.' },
    ],
    [
      'baselineWindows too small',
      { baselineWindows: 2 },
      { baselineWindows: 'Baseline windows must be between 3 and 1000.' },
    ],
    [
      'baselineWindows too big',
      { baselineWindows: 1001 },
      { baselineWindows: 'Baseline windows must be between 3 and 1000.' },
    ],
    [
      'baselineWindows a string',
      { baselineWindows: '20' },
      { baselineWindows: 'Baseline windows must be a whole number.' },
    ],
  ])('rejects %s', (_name, change, errors) => {
    expect(validateRule({ ...DEFAULT_RULE, ...change })).toEqual({ ok: false, errors });
  });

  it('reports the threshold order together with errors in other fields', () => {
    expect(validateRule({ ...DEFAULT_RULE, warnZ: 4, criticalZ: 3, direction: 'x' })).toEqual({
      ok: false,
      errors: {
        criticalZ: 'Critical z must be at least the warn z (4).',
        direction: 'Direction must be up, down or both.',
      },
    });
  });

  it('reports every field for a non-object input', () => {
    const result = validateRule('nope');
    expect(result.ok).toBe(false);
    expect(!result.ok && Object.keys(result.errors).sort()).toEqual(
      ['baselineWindows', 'criticalZ', 'direction', 'minVolume', 'warnZ'].sort(),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { alertRuleSchema, validateRule } from './rule';
import { DEFAULT_RULE, type AlertRule } from '@/lib/types';

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
        baseline: 'seasonal',
        season: 'week',
        sigmaFloor: 0,
        consecutiveWindows: 60,
        resolveAfter: 1000,
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
    [
      'baseline unknown',
      { baseline: 'ewma' },
      { baseline: 'Baseline must be auto, rolling, robust or seasonal.' },
    ],
    ['season unknown', { season: 'month' }, { season: 'Season must be day or week.' }],
    ['sigmaFloor negative', { sigmaFloor: -0.1 }, { sigmaFloor: 'σ floor must be 0 or more.' }],
    ['sigmaFloor a string', { sigmaFloor: '1' }, { sigmaFloor: 'σ floor must be a number.' }],
    [
      'sigmaFloor too big',
      { sigmaFloor: 2e9 },
      { sigmaFloor: 'σ floor must be at most 1,000,000,000.' },
    ],
    [
      'consecutiveWindows zero',
      { consecutiveWindows: 0 },
      { consecutiveWindows: 'Consecutive windows must be between 1 and 60.' },
    ],
    [
      'consecutiveWindows fractional',
      { consecutiveWindows: 1.5 },
      { consecutiveWindows: 'Consecutive windows must be a whole number.' },
    ],
    [
      'consecutiveWindows too big',
      { consecutiveWindows: 61 },
      { consecutiveWindows: 'Consecutive windows must be between 1 and 60.' },
    ],
    [
      'resolveAfter zero',
      { resolveAfter: 0 },
      { resolveAfter: 'Resolve after must be between 1 and 1000 windows.' },
    ],
    [
      'resolveAfter missing',
      { resolveAfter: undefined },
      { resolveAfter: 'Resolve after must be a whole number of windows.' },
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

  it('reports the threshold order even beside a fraction in a whole-number field', () => {
    // zod treats a non-integer as final and skips the check across fields; the order is judged
    // on its own, so the API says everything at once.
    const checked = validateRule({ ...DEFAULT_RULE, warnZ: 5, criticalZ: 3, baselineWindows: 2.5 });
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.errors.criticalZ).toBe(
      'Critical z must be at least the warn z (5).',
    );
    expect(!checked.ok && checked.errors.baselineWindows).toBeDefined();
  });

  it('reports every field for a non-object input', () => {
    const result = validateRule('nope');
    expect(result.ok).toBe(false);
    expect(!result.ok && Object.keys(result.errors).sort()).toEqual(
      [
        'baselineWindows',
        'criticalZ',
        'direction',
        'minVolume',
        'warnZ',
        'baseline',
        'season',
        'sigmaFloor',
        'consecutiveWindows',
        'resolveAfter',
      ].sort(),
    );
  });
});

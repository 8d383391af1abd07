import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE } from '@/lib/types';
import { checkRule, toValues, type RuleValues } from './values';

const values = (change: Partial<RuleValues> = {}): RuleValues => ({
  ...toValues(DEFAULT_RULE),
  ...change,
});
const ORDER = 'Critical z must be at least the warn z (5).';

describe('checkRule', () => {
  it('accepts a valid rule', () => {
    expect(checkRule(values())).toEqual({ value: DEFAULT_RULE, errors: {} });
  });

  it('shows the thresholds out of order together with every other field error', () => {
    // A fraction in a whole-number field used to hide the order check until it was fixed.
    for (const field of ['baselineWindows', 'minVolume', 'consecutiveWindows', 'resolveAfter']) {
      const checked = checkRule(values({ warnZ: '5', criticalZ: '3', [field]: '2.5' }));
      expect(checked.value).toBeNull();
      expect(checked.errors.criticalZ).toBe(ORDER);
      expect(Object.keys(checked.errors).sort()).toEqual([field, 'criticalZ'].sort());
    }
    const many = checkRule(
      values({
        warnZ: '5',
        criticalZ: '3',
        baselineWindows: '2.5',
        direction: 'x',
        sigmaFloor: '',
      }),
    );
    expect(many.errors).toEqual({
      criticalZ: ORDER,
      baselineWindows: 'Baseline windows must be a whole number.',
      direction: 'Direction must be up, down or both.',
      sigmaFloor: 'σ floor must be a number.',
    });
  });

  it('leaves the order alone while a threshold is itself invalid: its own message says why', () => {
    expect(checkRule(values({ warnZ: '', criticalZ: '3', minVolume: '1.5' })).errors).toEqual({
      warnZ: 'Warn z must be a number.',
      minVolume: 'Minimum volume must be a whole number.',
    });
    expect(checkRule(values({ warnZ: '5', criticalZ: '-1' })).errors).toEqual({
      criticalZ: 'Critical z must be greater than 0.',
    });
  });
});

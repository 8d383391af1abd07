import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE } from '@/lib/types';
import type { BoardPoint } from '@/lib/views';
import { previewRule, wouldFire } from './rule-preview';

const p = (z: number | null, over: Partial<BoardPoint> = {}): BoardPoint => ({
  windowStart: 0,
  value: 1,
  expected: 1,
  sigma: 1,
  z,
  volume: 100,
  status: 'ok',
  anomalyId: null,
  ...over,
});

describe('wouldFire', () => {
  it('grades |z| against warn and critical', () => {
    expect(wouldFire(p(2.9), DEFAULT_RULE)).toBeNull();
    expect(wouldFire(p(3), DEFAULT_RULE)).toBe('warn');
    expect(wouldFire(p(-5.5), DEFAULT_RULE)).toBe('critical');
  });

  it('respects direction, minimum volume and learning windows', () => {
    expect(wouldFire(p(-6), { ...DEFAULT_RULE, direction: 'up' })).toBeNull();
    expect(wouldFire(p(-6), { ...DEFAULT_RULE, direction: 'down' })).toBe('critical');
    expect(wouldFire(p(6, { volume: 5 }), DEFAULT_RULE)).toBeNull();
    expect(wouldFire(p(6, { status: 'learning' }), DEFAULT_RULE)).toBeNull();
    expect(wouldFire(p(null), DEFAULT_RULE)).toBeNull();
  });
});

describe('previewRule', () => {
  it('counts scored windows and what would alert', () => {
    const points = [p(0), p(3.5), p(6), p(null), p(9, { status: 'learning' })];
    expect(previewRule(points, DEFAULT_RULE)).toEqual({ scored: 3, warn: 1, critical: 1 });
    expect(previewRule(points, { ...DEFAULT_RULE, warnZ: 4 })).toEqual({
      scored: 3,
      warn: 0,
      critical: 1,
    });
  });
});

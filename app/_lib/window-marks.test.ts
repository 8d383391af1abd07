import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE } from '@/lib/types';
import type { BoardPoint } from '@/lib/views';
import { countMarks, markWindow } from './window-marks';

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

describe('markWindow', () => {
  it('grades |z| against warn and critical', () => {
    expect(markWindow(p(2.9), DEFAULT_RULE)).toBeNull();
    expect(markWindow(p(3), DEFAULT_RULE)).toBe('warn');
    expect(markWindow(p(-5.5), DEFAULT_RULE)).toBe('critical');
  });

  it('respects direction, minimum volume and learning windows', () => {
    expect(markWindow(p(-6), { ...DEFAULT_RULE, direction: 'up' })).toBeNull();
    expect(markWindow(p(-6), { ...DEFAULT_RULE, direction: 'down' })).toBe('critical');
    expect(markWindow(p(6, { volume: 5 }), DEFAULT_RULE)).toBeNull();
    expect(markWindow(p(6, { status: 'learning' }), DEFAULT_RULE)).toBeNull();
    expect(markWindow(p(null), DEFAULT_RULE)).toBeNull();
  });
});

describe('countMarks', () => {
  it('counts scored windows and what would alert', () => {
    const points = [p(0), p(3.5), p(6), p(null), p(9, { status: 'learning' })];
    expect(countMarks(points, DEFAULT_RULE)).toEqual({ scored: 3, warn: 1, critical: 1 });
    expect(countMarks(points, { ...DEFAULT_RULE, warnZ: 4 })).toEqual({
      scored: 3,
      warn: 0,
      critical: 1,
    });
  });
});

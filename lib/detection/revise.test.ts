import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anomalyExtent, anomalyToJoin, pointChanged, type MemberWindow } from './revise';

const W = 60_000;

const member = fc.record({
  windowStart: fc.integer({ min: 0, max: 1000 }).map((i) => i * W),
  z: fc.double({ min: -50, max: 50, noNaN: true }),
  severity: fc.constantFrom('warn' as const, 'critical' as const),
});

describe('anomalyExtent', () => {
  it('withdraws an anomaly that has no anomalous window left', () => {
    expect(anomalyExtent([])).toBeNull();
  });

  it('spans the member windows and peaks at the largest |z|', () => {
    const members: MemberWindow[] = [
      { windowStart: 3 * W, z: -4, severity: 'warn' },
      { windowStart: 1 * W, z: -6, severity: 'critical' },
      { windowStart: 2 * W, z: 5, severity: 'warn' },
    ];
    expect(anomalyExtent(members)).toEqual({
      firstWindow: W,
      lastWindow: 3 * W,
      peakWindow: W,
      severity: 'critical',
    });
  });

  it('breaks ties on |z| by the earlier window', () => {
    const extent = anomalyExtent([
      { windowStart: 5 * W, z: 4, severity: 'warn' },
      { windowStart: 2 * W, z: -4, severity: 'warn' },
    ]);
    expect(extent?.peakWindow).toBe(2 * W);
  });

  it('property: peak within [first, last], maximal |z|, critical iff any, order-independent', () => {
    fc.assert(
      fc.property(fc.array(member, { minLength: 1, maxLength: 30 }), fc.nat(), (members, seed) => {
        const extent = anomalyExtent(members)!;
        expect(extent.firstWindow).toBeLessThanOrEqual(extent.peakWindow);
        expect(extent.peakWindow).toBeLessThanOrEqual(extent.lastWindow);
        const maxAbs = Math.max(...members.map((m) => Math.abs(m.z)));
        const peak = members.filter((m) => m.windowStart === extent.peakWindow);
        expect(peak.some((m) => Math.abs(m.z) === maxAbs)).toBe(true);
        expect(extent.severity === 'critical').toBe(members.some((m) => m.severity === 'critical'));
        const shuffled = [...members].sort(
          (a, b) => ((a.windowStart * 31 + seed) % 97) - ((b.windowStart * 31 + seed) % 97),
        );
        expect(anomalyExtent(shuffled)).toEqual(extent);
      }),
    );
  });
});

describe('pointChanged', () => {
  const base = { value: 100, z: 1.5, status: 'ok' };

  it('ignores floating-point noise', () => {
    expect(pointChanged(base, { ...base, value: 100 + 1e-12 })).toBe(false);
  });

  it('sees a new status, value or z', () => {
    expect(pointChanged(base, { ...base, status: 'warn' })).toBe(true);
    expect(pointChanged(base, { ...base, value: 101 })).toBe(true);
    expect(pointChanged(base, { ...base, z: 3.2 })).toBe(true);
  });

  it('treats null and NaN alike, and either as different from a number', () => {
    expect(pointChanged({ ...base, z: null }, { ...base, z: Number.NaN })).toBe(false);
    expect(pointChanged({ ...base, z: null }, base)).toBe(true);
  });

  it('property: a point never differs from itself', () => {
    fc.assert(
      fc.property(
        fc.option(fc.double(), { nil: null }),
        fc.option(fc.double(), { nil: null }),
        (value, z) => !pointChanged({ value, z, status: 'ok' }, { value, z, status: 'ok' }),
      ),
    );
  });
});

describe('anomalyToJoin', () => {
  const a = { id: 1, firstWindow: 10 * W, lastWindow: 12 * W, direction: 'down' as const };
  const b = { id: 2, firstWindow: 14 * W, lastWindow: 15 * W, direction: 'down' as const };

  it('joins an anomaly the window belongs to or borders', () => {
    expect(anomalyToJoin([a], 11 * W, W, 'down')?.id).toBe(1);
    expect(anomalyToJoin([a], 9 * W, W, 'down')?.id).toBe(1);
    expect(anomalyToJoin([a], 13 * W, W, 'down')?.id).toBe(1);
  });

  it('opens a new one when nothing touches it, or only the other direction does', () => {
    expect(anomalyToJoin([a], 20 * W, W, 'down')).toBeNull();
    expect(anomalyToJoin([a], 11 * W, W, 'up')).toBeNull();
  });

  it('prefers the earlier of two anomalies it bridges', () => {
    expect(anomalyToJoin([b, a], 13 * W, W, 'down')?.id).toBe(1);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSeriesModel, type ModelPoint } from './series-model';
import { DEFAULT_RULE } from '@/lib/types';

const T0 = Date.UTC(2026, 0, 5);
const STEP = 5 * 60_000;
const DAY = 86_400_000;

/** Deterministic standard-normal-ish noise (sum of 4 uniforms, scaled). */
function noise(seed: number): () => number {
  let s = seed;
  const u = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
  return () => (u() + u() + u() + u()) * Math.sqrt(3);
}

function series(days: number, shape: (t: number) => number, sigma: number, seed = 1): ModelPoint[] {
  const n = noise(seed);
  return Array.from({ length: days * 288 }, (_, i) => {
    const t = T0 + i * STEP;
    return { timestamp: t, value: shape(t) + sigma * n() };
  });
}

const daily = (t: number) => {
  const hour = new Date(t).getUTCHours();
  return hour >= 8 && hour < 20 ? 68 : 20;
};

describe('runSeriesModel', () => {
  it('switches to the daily season after two days and says so', () => {
    const result = runSeriesModel(series(5, daily, 1), DEFAULT_RULE);
    expect(result.stepMs).toBe(STEP);
    expect(result.spans.map((s) => s.model)).toEqual(['rolling', 'seasonal-day']);
    expect(result.spans[1]!.from).toBe(T0 + 2 * DAY);
    expect(result.rows.at(-1)!.model).toBe('seasonal-day');
  });

  it('a step within the usual range is expected, not z = 240, once the season is known', () => {
    const rows = runSeriesModel(series(5, daily, 0), DEFAULT_RULE).rows.slice(2 * 288);
    expect(Math.max(...rows.map((r) => Math.abs(r.z!)))).toBe(0);
    expect(Math.max(...rows.map((r) => r.sigma!))).toBeGreaterThan(0.1); // σ floored at the level
  });

  it('raises the score for a sustained shift that no single point shows', () => {
    const points = series(5, daily, 2, 4);
    const from = 3 * 288 + 120; // day 4, 10:00, for 3 hours
    for (let i = from; i < from + 36; i++) points[i]!.value! += 6; // 3σ of the noise, 2.3 of σ
    const rows = runSeriesModel(points, DEFAULT_RULE).rows;
    const during = rows.slice(from, from + 36);
    expect(Math.max(...during.map((r) => r.score))).toBeGreaterThan(0.5);
    expect(during.filter((r) => Math.abs(r.z!) >= 4.4).length).toBeLessThan(3);
    const before = rows.slice(2 * 288, from);
    expect(Math.max(...before.map((r) => r.score))).toBeLessThan(0.5);
  });

  it('hears a burst of variance', () => {
    const points = series(5, daily, 1, 6);
    const n = noise(11);
    const from = 3 * 288 + 150; // day 4, 12:30, for 2 hours
    for (let i = from; i < from + 24; i++) points[i]!.value! += 3 * n(); // σ × about 3.2
    const rows = runSeriesModel(points, DEFAULT_RULE).rows;
    expect(Math.max(...rows.slice(from, from + 24).map((r) => r.score))).toBeGreaterThan(0.5);
    expect(Math.max(...rows.slice(2 * 288, from).map((r) => r.score))).toBeLessThan(0.5);
  });

  it('uses the week when weekends differ', () => {
    const weekly = (t: number) => daily(t) * (Math.floor((t - T0) / DAY) % 7 >= 5 ? 0.3 : 1);
    const result = runSeriesModel(series(16, weekly, 1), DEFAULT_RULE);
    expect(result.spans.at(-1)!.model).toBe('seasonal-week');
    expect(result.spans.at(-1)!.from).toBe(T0 + 14 * DAY);
  });

  it('scores a prefix exactly as it scores the start of the whole series (causal, property)', () => {
    const points = series(3, daily, 1.5, 9);
    const whole = runSeriesModel(points, DEFAULT_RULE).rows;
    fc.assert(
      fc.property(fc.integer({ min: 2, max: points.length }), (n) => {
        expect(runSeriesModel(points.slice(0, n), DEFAULT_RULE).rows).toEqual(whole.slice(0, n));
      }),
      { numRuns: 8 },
    );
  });

  it('gives the same scores in any unit: a series times a > 0 (property)', () => {
    const points = series(3, daily, 1.5, 5);
    const base = runSeriesModel(points, DEFAULT_RULE).rows.map((r) => r.score);
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (a) => {
        const scaled = points.map((p) => ({ ...p, value: p.value! * a }));
        const scores = runSeriesModel(scaled, DEFAULT_RULE).rows.map((r) => r.score);
        scores.forEach((s, i) => expect(s).toBeCloseTo(base[i]!, 6));
      }),
      { numRuns: 5 },
    );
  });

  it('keeps every score in [0, 1] and the rows in input order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            timestamp: fc.integer({ min: T0, max: T0 + 3 * DAY }),
            value: fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null }),
          }),
          { maxLength: 300 },
        ),
        (points) => {
          const { rows } = runSeriesModel(points, DEFAULT_RULE);
          expect(rows).toHaveLength(points.length);
          rows.forEach((row, i) => {
            expect(row.score).toBeGreaterThanOrEqual(0);
            expect(row.score).toBeLessThanOrEqual(1);
            if (points[i]!.value === null) expect(row.status).toBe('low_volume');
          });
        },
      ),
      { numRuns: 30 },
    );
  });
});

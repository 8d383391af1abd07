import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAD_SCALE,
  SEASONAL_MIN_PERIODS,
  baseline,
  chooseBaseline,
  floorSigma,
  learningWidening,
  median,
  medianMad,
  poissonFloor,
  robustBaseline,
  score,
  type HistoryPoint,
  type ScoreOptions,
} from './zscore';
import { DEFAULT_RULE, type AlertRule } from '@/lib/types';

/** A baseline of 10 windows: the histories below fill it, so σ is not widened while learning. */
const rule: AlertRule = { ...DEFAULT_RULE, baseline: 'rolling', baselineWindows: 10 };
const W = 60_000;
const DAY = 86_400_000;
/** Values as history points of consecutive windows ending just before window 1000. */
const pts = (values: readonly number[], end = 1000 * W, step = W): HistoryPoint[] =>
  values.map((value, i) => ({ windowStart: end - (values.length - i) * step, value }));
/** The old shape of the call: rolling history only. */
const sc = (
  value: number | null,
  volume: number,
  hist: readonly number[],
  r: AlertRule,
  opts?: ScoreOptions,
) => score(value, volume, pts(hist), [], r, opts);
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

describe('median and robustBaseline', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('is the median and MAD × 1.4826', () => {
    // median 10, |x − 10| = 2 1 0 1 8 → MAD 1
    const b = robustBaseline([8, 9, 10, 11, 18]);
    expect(b).toEqual({ mean: 10, sigma: MAD_SCALE, n: 5 });
  });

  it('is the median of the values and of their distances to it, from the typed-array path', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 }),
        (xs) => {
          const center = median(xs);
          const kept = [...xs];
          const b = robustBaseline(xs);
          expect(xs).toEqual(kept); // the caller's history is not reordered
          const mad = MAD_SCALE * median(xs.map((x) => Math.abs(x - center)));
          // === rather than toBe: the two sorts may order 0 and −0 differently, the same number.
          expect(b.mean === center).toBe(true);
          expect(b.sigma === floorSigma(mad, center)).toBe(true);
          const unfloored = medianMad(Float64Array.from(xs));
          expect(unfloored.mean === center && unfloored.sigma === mad).toBe(true);
        },
      ),
    );
  });

  it('floors σ when most values are equal (MAD 0)', () => {
    expect(robustBaseline([5, 5, 5, 5, 90]).sigma).toBeCloseTo(0.05, 12);
    expect(robustBaseline([5, 5, 5], { sigmaFloor: 2 }).sigma).toBe(2);
    expect(robustBaseline([])).toEqual({ mean: 0, sigma: 1e-9, n: 0 });
  });

  it('moves less than the mean when one extreme outlier joins the history', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 50, max: 150, noNaN: true }), { minLength: 5, maxLength: 40 }),
        fc.double({ min: 1e4, max: 1e7, noNaN: true }),
        fc.boolean(),
        (xs, size, up) => {
          const outlier = up ? size : -size;
          const withOutlier = [...xs, outlier];
          const medianShift = Math.abs(robustBaseline(withOutlier).mean - robustBaseline(xs).mean);
          const meanShift = Math.abs(baseline(withOutlier).mean - baseline(xs).mean);
          expect(medianShift).toBeLessThan(meanShift);
          // The median stays within the clean values; σ barely moves either.
          expect(robustBaseline(withOutlier).mean).toBeLessThanOrEqual(Math.max(...xs));
          expect(robustBaseline(withOutlier).mean).toBeGreaterThanOrEqual(Math.min(...xs));
          expect(robustBaseline(withOutlier).sigma).toBeLessThan(baseline(withOutlier).sigma);
        },
      ),
    );
  });

  it('keeps alerting on a spike right after an earlier one slipped into the history', () => {
    const hist = [100, 102, 98, 101, 99, 100, 103, 97, 100, 5000];
    const robust = { ...rule, baseline: 'robust' as const };
    expect(sc(160, 100, hist, robust)).toMatchObject({
      status: 'critical',
      baselineUsed: 'robust',
    });
    expect(sc(160, 100, hist, rule).status).toBe('ok');
  });
});

describe('learningWidening', () => {
  it('is 1 for a full baseline and shrinks towards 1 as the baseline fills', () => {
    for (const kind of ['rolling', 'robust'] as const) {
      expect(learningWidening(kind, 30, 30, 3)).toBe(1);
      expect(learningWidening(kind, 40, 30, 3)).toBe(1);
      let previous = Number.POSITIVE_INFINITY;
      for (let n = 2; n < 30; n++) {
        const k = learningWidening(kind, n, 30, 3);
        expect(k).toBeGreaterThan(1);
        expect(k).toBeLessThanOrEqual(previous);
        previous = k;
      }
    }
  });

  it('widens a robust baseline more than a rolling one: the MAD is the less efficient σ', () => {
    expect(learningWidening('robust', 10, 30, 3)).toBeGreaterThan(
      learningWidening('rolling', 10, 30, 3),
    );
    // Eight robust windows of thirty: about 2.3× (t at ν = 3 against ν = 10.7).
    expect(learningWidening('robust', 8, 30, 3)).toBeCloseTo(2.3, 1);
  });

  it('says so in the baseline used, and not once the baseline is full', () => {
    const robust: AlertRule = { ...DEFAULT_RULE, baseline: 'robust', baselineWindows: 30 };
    const young = chooseBaseline(pts(history), [], robust);
    expect(young.used).toMatch(/^robust; 10 of 30 windows, σ ×\d\.\d\d while learning$/);
    expect(young.sigma).toBeCloseTo(
      robustBaseline(history).sigma * learningWidening('robust', 10, 30, 3),
      9,
    );
    const full = chooseBaseline(pts([...history, ...history, ...history]), [], robust);
    expect(full.used).toBe('robust');
  });

  it('keeps the warn rate of a young baseline near the full one on normal noise', () => {
    // Normal noise, σ = 1, scored against robust baselines of 8 and 30 windows: without the
    // widening the young one warns five times as often (its MAD is often far too small).
    let seed = 7;
    const uniform = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed + 0.5) / 2 ** 31;
    };
    const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const robust: AlertRule = { ...DEFAULT_RULE, baseline: 'robust', baselineWindows: 30 };
    const warnRate = (n: number, widen: boolean) => {
      let warns = 0;
      const trials = 20_000;
      for (let i = 0; i < trials; i++) {
        const hist = Array.from({ length: n }, normal);
        const rule = widen ? robust : { ...robust, baselineWindows: n };
        const s = score(normal(), 100, pts(hist), [], rule);
        if (s.severity) warns++;
      }
      return warns / trials;
    };
    const full = warnRate(30, true);
    const young = warnRate(8, true);
    const youngUnwidened = warnRate(8, false);
    // Measured: full 1.4%, young 0.8% widened and 7.6% not.
    expect(youngUnwidened).toBeGreaterThan(3 * full);
    expect(young).toBeLessThan(full);
  });
});

describe('chooseBaseline', () => {
  const seasonal: AlertRule = { ...rule, baseline: 'seasonal', season: 'day' };
  const now = 1000 * DAY;
  const sameSlot = (values: number[]) => pts(values, now, DAY);
  /** A flat recent history at 10, so that the seasonal level (100) is clearly different. */
  const recent = pts(
    Array.from({ length: 20 }, (_, i) => 10 + (i % 2)),
    now,
  );

  it('uses the same slot on earlier days when enough of them exist', () => {
    const b = chooseBaseline(recent, sameSlot([98, 100, 102]), seasonal);
    expect(b).toMatchObject({ kind: 'seasonal', used: 'seasonal', mean: 100, ready: true, n: 3 });
    expect(b.windows).toEqual([now - 3 * DAY, now - 2 * DAY, now - DAY]);
    expect(b.sigma).toBeCloseTo(2, 10);
  });

  it('reads only the last SEASONAL_PERIODS same-slot values', () => {
    const b = chooseBaseline(
      recent,
      sameSlot([1000, 1000, 100, 100, 100, 100, 100, 100, 100]),
      seasonal,
    );
    expect(b.n).toBe(7);
    expect(b.mean).toBe(100); // the two oldest (1000) are beyond the 7 days read
  });

  it('never promises less spread than the recent windows show', () => {
    const noisy = pts([0, 20, 0, 20, 0, 20, 0, 20], now);
    const b = chooseBaseline(noisy, sameSlot([100, 100, 100]), seasonal);
    expect(b.mean).toBe(100);
    expect(b.sigma).toBeCloseTo(baseline([0, 20, 0, 20, 0, 20, 0, 20]).sigma, 10);
  });

  it('falls back to rolling, and says so, while the seasonal history is short', () => {
    const b = chooseBaseline(recent, sameSlot([100, 100]), seasonal);
    expect(b).toMatchObject({
      kind: 'rolling',
      used: `rolling (not enough seasonal history: 2 of ${SEASONAL_MIN_PERIODS} days)`,
      ready: true,
      mean: 10.5,
    });
    expect(chooseBaseline(recent, [], { ...seasonal, season: 'week' }).used).toBe(
      'rolling (not enough seasonal history: 0 of 3 weeks)',
    );
  });

  it('is learning when the fallback lacks history too', () => {
    const s = score(50, 100, pts([1, 2]), pts([9], now, DAY), seasonal);
    expect(s).toMatchObject({
      status: 'learning',
      baselineUsed: 'rolling (not enough seasonal history: 1 of 3 days)',
    });
  });

  it('scores against the seasonal expectation, not the recent level', () => {
    const s = score(101, 100, recent, sameSlot([98, 100, 102]), seasonal);
    expect(s).toMatchObject({ status: 'ok', expected: 100, baselineUsed: 'seasonal' });
    expect(score(101, 100, recent, [], rule).status).toBe('critical');
  });

  it('skips non-finite values', () => {
    const b = chooseBaseline(
      recent,
      sameSlot([Number.NaN, 100, Number.POSITIVE_INFINITY, 100, 100]),
      seasonal,
    );
    expect(b).toMatchObject({ kind: 'seasonal', n: 3, mean: 100 });
  });

  it('floors σ at the rule floor and at the caller floor, whichever is larger', () => {
    const flat = pts([50, 50, 50, 50, 50, 50, 50, 50, 50, 50]);
    expect(chooseBaseline(flat, [], { ...rule, sigmaFloor: 4 }).sigma).toBe(4);
    expect(chooseBaseline(flat, [], { ...rule, sigmaFloor: 4 }, { sigmaFloor: 7 }).sigma).toBe(7);
    // A function floor gets the expected value (here √50 from the Poisson floor).
    expect(chooseBaseline(flat, [], rule, { sigmaFloor: poissonFloor }).sigma).toBeCloseTo(
      Math.sqrt(50),
      12,
    );
    expect(chooseBaseline(flat, [], { ...rule, baseline: 'robust', sigmaFloor: 3 }).sigma).toBe(3);
  });

  it('a larger σ floor never raises |z|', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 5, maxLength: 30 }),
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.constantFrom<AlertRule['baseline']>('rolling', 'robust'),
        (hist, value, a, b, kind) => {
          const lo = sc(value, 100, hist, { ...rule, baseline: kind, sigmaFloor: Math.min(a, b) });
          const hi = sc(value, 100, hist, { ...rule, baseline: kind, sigmaFloor: Math.max(a, b) });
          expect(Math.abs(hi.z)).toBeLessThanOrEqual(Math.abs(lo.z) + 1e-9);
        },
      ),
    );
  });
});

describe('score', () => {
  it('is ok within the warn threshold', () => {
    const s = sc(110, 100, history, rule);
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
    expect(sc(100 + 3.01 * SIGMA, 100, history, rule)).toMatchObject({
      status: 'warn',
      severity: 'warn',
    });
    expect(sc(100 - 4.99 * SIGMA, 100, history, rule)).toMatchObject({
      status: 'warn',
      direction: 'down',
    });
    expect(sc(100 + 5.01 * SIGMA, 100, history, rule)).toMatchObject({
      status: 'critical',
      severity: 'critical',
    });
    expect(sc(100 - 6 * SIGMA, 100, history, rule)).toMatchObject({
      status: 'critical',
      direction: 'down',
    });
  });

  it('respects a one-sided rule', () => {
    const up: AlertRule = { ...rule, direction: 'up' };
    const down: AlertRule = { ...rule, direction: 'down' };
    expect(sc(0, 100, history, up)).toMatchObject({
      status: 'ok',
      severity: null,
      direction: 'down',
    });
    expect(sc(200, 100, history, up)).toMatchObject({ status: 'critical', direction: 'up' });
    expect(sc(200, 100, history, down)).toMatchObject({ status: 'ok', direction: 'up' });
    expect(sc(0, 100, history, down)).toMatchObject({ status: 'critical' });
  });

  it('has no direction when the value equals the mean', () => {
    expect(sc(100, 100, history, rule)).toMatchObject({ z: 0, direction: null, status: 'ok' });
  });

  it('is learning while the history is short', () => {
    expect(sc(1000, 100, [100, 100, 100, 100], rule)).toEqual({
      value: 1000,
      expected: 100,
      sigma: 1,
      z: 0,
      status: 'learning',
      severity: null,
      direction: null,
      baselineUsed: 'rolling',
    });
    expect(sc(1000, 100, [1, 2, 3], rule, { minHistory: 3 }).status).toBe('critical');
    expect(sc(1, 100, [], rule).status).toBe('learning');
  });

  it('needs no more history than the rule uses', () => {
    const short: AlertRule = { ...rule, baselineWindows: 3 };
    expect(sc(1000, 100, [10, 11, 12], short).status).toBe('critical');
  });

  it('uses only the last baselineWindows finite values', () => {
    const s = sc(
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
    const s = sc(1000, 19, history, rule);
    expect(s).toMatchObject({ status: 'low_volume', severity: null, direction: 'up' });
    expect(s.z).toBeGreaterThan(5);
    expect(sc(1000, 20, history, rule).status).toBe('critical');
  });

  it('scores a window under the minimum volume when the expected volume is not', () => {
    const counts = [100, 102, 98, 101, 99];
    const expectedVolume = (expected: number) => expected;
    expect(sc(0, 0, counts, rule).status).toBe('low_volume');
    const stopped = sc(0, 0, counts, rule, { expectedVolume });
    expect(stopped).toMatchObject({ status: 'critical', direction: 'down' });
    const quiet = [5, 6, 4, 5, 5];
    expect(sc(0, 0, quiet, rule, { expectedVolume }).status).toBe('low_volume');
  });

  it('is low_volume when there is no value', () => {
    const s = sc(null, 0, history, rule);
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
    const flat = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(sc(1, 100, flat, rule).status).toBe('critical');
    expect(sc(1, 100, flat, rule, { sigmaFloor: poissonFloor(0) })).toMatchObject({
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
          const s = sc(value, volume, hist, { ...DEFAULT_RULE, direction });
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

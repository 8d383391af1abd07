import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  confirmingStep,
  interimThreshold,
  judgeInterim,
  looksPerWindow,
  MIN_FRACTION,
  partialSigma,
  upperQuantile,
  type InterimInput,
  type PartialTotal,
} from './interim';
import { stepIncident, NO_INCIDENT } from './hysteresis';
import { DEFAULT_RULE, type MetricKind } from '@/lib/types';
import { normalTail } from './normal';

const rule = { criticalZ: 5, direction: 'both' } as const;

const count = (value: number): PartialTotal => ({ kind: 'count', value, volume: value });

function judge(
  over: Partial<InterimInput> & { partial: PartialTotal },
): ReturnType<typeof judgeInterim> {
  return judgeInterim({
    fraction: 0.5,
    baseline: { expected: 1000, sigma: 60 },
    rule,
    ...over,
  });
}

describe('normalTail and upperQuantile', () => {
  it('match the standard normal tail', () => {
    expect(normalTail(0)).toBeCloseTo(0.5, 7);
    expect(normalTail(1.959964)).toBeCloseTo(0.025, 6);
    expect(normalTail(5) / 2.866516e-7).toBeCloseTo(1, 4);
    expect(normalTail(-1) + normalTail(1)).toBeCloseTo(1, 7);
    expect(upperQuantile(0.025)).toBeCloseTo(1.959964, 4);
  });
});

describe('interimThreshold', () => {
  it('spends the interim false-alert budget over both sides and the looks', () => {
    // 0.1 per metric per day, 1440 one-minute windows, 2 sides, 11 looks: Q(c) = 3.2e-6.
    expect(interimThreshold(5, 11)).toBeCloseTo(4.516, 2);
    expect(interimThreshold(5, 27)).toBeGreaterThan(interimThreshold(5, 11));
    // Never under 90% of the rule's critical z: a stricter rule stays stricter early.
    expect(interimThreshold(8, 11)).toBeCloseTo(7.2, 6);
    expect(looksPerWindow(60_000, 5_000)).toBe(11);
  });

  it("holds a split's series to one metric's budget together", () => {
    // 6 series share 0.1 a day: each looks for a sixth of it, Q(c) = 3.2e-6 / 6.
    const six = interimThreshold(5, 11, 60_000, 6);
    expect(six).toBeGreaterThan(interimThreshold(5, 11));
    expect(six).toBeCloseTo(upperQuantile(0.1 / 1440 / 22 / 6), 6);
    expect(interimThreshold(5, 11, 60_000, 1)).toBe(interimThreshold(5, 11));
    // The verdict uses it.
    const partial = { kind: 'count' as const, value: 0, volume: 0 };
    const verdict = judgeInterim({
      partial,
      fraction: 0.5,
      baseline: { expected: 1000, sigma: 40 },
      rule: { criticalZ: 5, direction: 'both' },
      series: 6,
    });
    expect(verdict.threshold).toBe(six);
  });
});

describe('partialSigma', () => {
  it("is the full window's σ when the whole window is in", () => {
    const baseline = { expected: 400, sigma: 30 };
    const kinds: PartialTotal[] = [
      count(400),
      { kind: 'sum', value: 4000, volume: 400, sumsq: 500 },
      { kind: 'avg', value: 10, volume: 400, perEventVariance: 25 },
      { kind: 'ratio', value: 0.02, volume: 5000 },
    ];
    for (const partial of kinds) expect(partialSigma(partial, 1, baseline)).toBeCloseTo(30, 9);
  });

  it('keeps its own sampling noise where the baseline σ comes out under it', () => {
    // A ratio of two independent counts: μ(1 + μ)/den, however small the baseline's σ.
    const ratio = { kind: 'ratio' as const, value: 0.6, volume: 1000 };
    expect(partialSigma(ratio, 1, { expected: 0.6, sigma: 0.001 })).toBeCloseTo(
      Math.sqrt((0.6 * 1.6) / 1000),
      9,
    );
  });

  it('scales a Poisson count by √f and an average up as its sample shrinks', () => {
    // Pure Poisson (σ² = μ): σ_f = √(f·μ).
    expect(partialSigma(count(250), 0.25, { expected: 1000, sigma: Math.sqrt(1000) })).toBeCloseTo(
      Math.sqrt(250),
      9,
    );
    const avg = (n: number) =>
      partialSigma({ kind: 'avg', value: 10, volume: n, perEventVariance: 100 }, n / 1000, {
        expected: 10,
        sigma: 0.5,
      });
    expect(avg(100)).toBeGreaterThan(avg(500));
    expect(avg(500)).toBeGreaterThan(avg(1000));
  });
});

describe('judgeInterim', () => {
  it('proves a drop to nothing half-way through', () => {
    const v = judge({ partial: count(0) });
    expect(v.severity).toBe('critical');
    expect(v.z).toBeLessThan(-10);
    // Projected to the full window: (value − expected) / sigma = z.
    expect((v.value - 1000) / v.sigma).toBeCloseTo(v.z, 9);
  });

  it('says nothing too early or on too small a sample', () => {
    expect(judge({ partial: count(0), fraction: MIN_FRACTION / 2 }).status).toBe('too_early');
    expect(
      judge({ partial: count(0), baseline: { expected: 20, sigma: 5 }, fraction: 0.5 }).status,
    ).toBe('too_small');
    expect(judge({ partial: { kind: 'avg', value: 99, volume: 5 } }).status).toBe('too_small');
    expect(judge({ partial: { ...count(0), value: null } }).severity).toBeNull();
  });

  it('follows the rule: an up-only rule ignores a drop', () => {
    expect(judge({ partial: count(0), rule: { ...rule, direction: 'up' } }).severity).toBeNull();
  });

  it('judges a rise against the furthest the data may reach, a drop against the least', () => {
    // Two sources, one 20% of the window ahead: 700 events may be on time for a normal window.
    const skewed = { fraction: 0.5, fractionHigh: 0.7 };
    expect(judge({ partial: count(700), ...skewed }).severity).toBeNull();
    expect(judge({ partial: count(500), ...skewed }).severity).toBeNull();
    // With one source (no skew), 700 at half-way is a clear rise, and 300 a clear drop.
    expect(judge({ partial: count(700) }).severity).toBe('critical');
    expect(judge({ partial: count(300), ...skewed }).severity).toBe('critical');
  });

  it('is the final z when the whole window is in', () => {
    const v = judge({ partial: count(1300), fraction: 1 });
    expect(v.z).toBeCloseTo(5, 9);
  });
});

const kinds: MetricKind[] = ['count', 'sum', 'avg', 'ratio'];

/** A partial total of `kind` at fraction f with value `value`. */
function partialOf(kind: MetricKind, value: number, f: number, expected: number): PartialTotal {
  switch (kind) {
    case 'count':
      return count(value);
    case 'sum':
      return { kind, value, volume: 1000 * f, sumsq: 1000 * f * expected };
    case 'avg':
      return { kind, value, volume: 1000 * f, perEventVariance: expected * expected };
    case 'ratio':
      return { kind, value, volume: 10_000 * f };
  }
}

describe('judgeInterim properties', () => {
  const arb = fc.record({
    kind: fc.constantFrom(...kinds),
    expected: fc.double({ min: 100, max: 1e5, noNaN: true }),
    /** σ as a multiple of the Poisson noise √expected (overdispersion). */
    over: fc.double({ min: 1, max: 6, noNaN: true }),
    f: fc.double({ min: MIN_FRACTION, max: 1, noNaN: true }),
    /** Deviation in units of σ_f. */
    k: fc.double({ min: -20, max: 20, noNaN: true }),
  });
  const setup = ({
    kind,
    expected,
    over,
    f,
  }: {
    kind: MetricKind;
    expected: number;
    over: number;
    f: number;
  }) => {
    const sigma = over * Math.sqrt(expected);
    const additive = kind === 'count' || kind === 'sum';
    const center = additive ? f * expected : expected;
    const baseline = { expected, sigma };
    // σ_f does not depend on the value for these partials.
    const sf = partialSigma(partialOf(kind, center, f, expected), f, baseline);
    return { baseline, center, sf };
  };

  it('a quiet partial window (within the threshold of its own expectation) proves nothing', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const { baseline, center, sf } = setup(c);
        const threshold = interimThreshold(rule.criticalZ);
        const k = (c.k / 20) * threshold * 0.999; // |k| < threshold
        const v = judgeInterim({
          partial: partialOf(c.kind, center + k * sf, c.f, c.expected),
          fraction: c.f,
          baseline,
          rule,
        });
        expect(v.severity).toBeNull();
        // So a quiet look fires with probability 2·Q(threshold): the budgeted rate, at any f.
        expect(2 * normalTail(threshold)).toBeLessThanOrEqual(
          (0.1 * 60_000) / 86_400_000 / 11 + 1e-12,
        );
      }),
    );
  });

  it('is monotone in the deviation: a larger one on the same side scores at least as far', () => {
    fc.assert(
      fc.property(arb, fc.double({ min: 0, max: 5, noNaN: true }), (c, more) => {
        const { baseline, center, sf } = setup(c);
        const at = (k: number) =>
          judgeInterim({
            partial: partialOf(c.kind, center + k * sf, c.f, c.expected),
            fraction: c.f,
            baseline,
            rule,
          });
        const sign = c.k < 0 ? -1 : 1;
        const a = at(c.k);
        const b = at(c.k + sign * more);
        expect(Math.abs(b.z)).toBeGreaterThanOrEqual(Math.abs(a.z) - 1e-9);
        if (a.severity) expect(b.severity).toBe('critical');
      }),
    );
  });

  it('a sustained shift of a count is proved at least as strongly as more of the window is in', () => {
    fc.assert(
      fc.property(arb, fc.double({ min: MIN_FRACTION, max: 1, noNaN: true }), (c, g) => {
        const [f1, f2] = c.f <= g ? [c.f, g] : [g, c.f];
        const sigma = c.over * Math.sqrt(c.expected);
        const rate = c.expected + c.k * sigma; // the whole window runs k σ off
        const z = (f: number) =>
          judgeInterim({
            partial: count(Math.max(0, f * rate)),
            fraction: f,
            baseline: { expected: c.expected, sigma },
            rule,
          }).z;
        if (rate <= 0) return;
        expect(Math.abs(z(f2))).toBeGreaterThanOrEqual(Math.abs(z(f1)) - 1e-9);
      }),
    );
  });
});

describe('confirmingStep', () => {
  const warn = { windowStart: 60_000, severity: 'warn' as const, z: -3.5 };
  const { step: pending } = stepIncident(NO_INCIDENT, warn, DEFAULT_RULE);

  it('opens on a warn window that would only have been flagged, on the same side', () => {
    expect(pending.kind).toBe('pending');
    const step = confirmingStep(pending, 'down');
    expect(step.kind).toBe('open');
    if (step.kind === 'open') {
      expect(step.anomaly).toMatchObject({
        firstWindow: 60_000,
        direction: 'down',
        severity: 'warn',
      });
    }
  });

  it('leaves other steps alone (they withdraw the interim anomaly)', () => {
    expect(confirmingStep(pending, 'up')).toBe(pending);
    const { step: none } = stepIncident(NO_INCIDENT, { ...warn, severity: null }, DEFAULT_RULE);
    expect(confirmingStep(none, 'down')).toBe(none);
  });
});

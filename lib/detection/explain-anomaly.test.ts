import { describe, expect, it } from 'vitest';
import { driftWords, leafValues, rootCauseOf, withDrift } from './explain-anomaly';
import type { LeafDelta, MetricDefinition } from '@/lib/types';

const W = 60_000;
const REGIONS = ['us-east', 'eu-west', 'ap-south'];
const DEVICES = ['ios', 'android', 'web'];
const PLANS = ['free', 'pro'];

const metric = (over: Partial<MetricDefinition> = {}): MetricDefinition => ({
  id: 1,
  key: 'purchases',
  name: 'Purchases',
  kind: 'count',
  eventType: 'purchase',
  extraEventTypes: [],
  measure: null,
  denominatorEventType: null,
  filters: {},
  windowMultiple: 1,
  unit: '',
  enabled: true,
  ...over,
});

/** A window of leaf cells: `count(dims)` events of `type` per leaf (deterministic jitter). */
function window(
  windowStart: number,
  type: string,
  count: (dims: Record<string, string>) => number,
): LeafDelta[] {
  const cells: LeafDelta[] = [];
  for (const device of DEVICES)
    for (const plan of PLANS)
      for (const region of REGIONS) {
        const dims = { device, plan, region };
        cells.push({
          windowStart,
          eventType: type,
          leaf: JSON.stringify(dims),
          measure: '',
          count: Math.round(count(dims)),
          sum: 0,
          sumsq: 0,
        });
      }
  return cells;
}

const base = (d: Record<string, string>) =>
  200 *
  (d.region === 'us-east' ? 2 : 1) *
  (d.device === 'web' ? 1.5 : 1) *
  (d.plan === 'pro' ? 0.5 : 1);
const jitter = (i: number, d: Record<string, string>) =>
  1 + 0.02 * Math.sin(i * 7 + d.region!.length * 3 + d.device!.length + d.plan!.length);

describe('rootCauseOf', () => {
  const past = Array.from({ length: 10 }, (_, i) =>
    window(i * W, 'purchase', (d) => base(d) * jitter(i, d)),
  );

  it('names a two-dimension conjunction when no single value explains the drop', () => {
    const now = window(10 * W, 'purchase', (d) =>
      d.region === 'eu-west' && d.device === 'android' ? base(d) * 0.1 : base(d),
    );
    const cause = rootCauseOf(metric(), now, past)!;
    expect(cause.set).toEqual([{ device: 'android', region: 'eu-west' }]);
    expect(cause.sentence).toContain('eu-west');
    expect(cause.candidates[0]!.elements).toEqual({ device: 'android', region: 'eu-west' });
  });

  it('says the change is spread when every leaf moves in proportion', () => {
    const now = window(10 * W, 'purchase', (d) => base(d) * 0.7);
    expect(rootCauseOf(metric(), now, past)!.set).toEqual([]);
  });

  it('tells a rate change inside a slice for ratio metrics', () => {
    const sessions = past.map((w, i) =>
      window(i * W, 'session', (d) => base(d) * 10 * jitter(i + 3, d)),
    );
    const ratioPast = past.map((w, i) => [...w, ...sessions[i]!]);
    const now = [
      ...window(10 * W, 'purchase', (d) => (d.plan === 'pro' ? base(d) * 0.2 : base(d))),
      ...window(10 * W, 'session', (d) => base(d) * 10),
    ];
    const conversion = metric({
      kind: 'ratio',
      denominatorEventType: 'session',
      name: 'Conversion',
    });
    expect(rootCauseOf(conversion, now, ratioPast)!.set).toEqual([{ plan: 'pro' }]);
  });

  it("says the cause in plain words, with the values in the metric's unit", () => {
    const now = window(10 * W, 'purchase', (d) =>
      d.region === 'eu-west' && d.device === 'android' ? base(d) * 0.1 : base(d),
    );
    expect(rootCauseOf(metric(), now, past)!.sentence).toMatch(
      /^Purchases in device=android AND region=eu-west fell 90%, 30 instead of about 30\d: that is (all|9\d%) of the drop\.$/,
    );
  });

  it('tells rates and averages with their unit, and the change in points for a percent', () => {
    const sessions = past.map((w, i) =>
      window(i * W, 'session', (d) => base(d) * 10 * jitter(i + 3, d)),
    );
    const ratioPast = past.map((w, i) => [...w, ...sessions[i]!]);
    const now = [
      ...window(10 * W, 'purchase', (d) => (d.plan === 'pro' ? base(d) * 0.2 : base(d))),
      ...window(10 * W, 'session', (d) => base(d) * 10),
    ];
    const conversion = metric({
      kind: 'ratio',
      denominatorEventType: 'session',
      name: 'Conversion',
      unit: '%',
    });
    expect(rootCauseOf(conversion, now, ratioPast)!.sentence).toMatch(
      /^Conversion fell from 10\.\d\d% to \d\.\d\d% \(−\d\.\d\d percentage points\), mostly because it fell inside plan=pro \(2\.\d\d% instead of about 10\.\d\d%\), which makes up (all|\d+%) of the drop, not because the mix of session events changed\.$/,
    );

    // Latency: an average of a measure in ms; eu-west slows from 120 ms to 200 ms.
    const latency = (windowStart: number, mean: (d: Record<string, string>) => number) =>
      window(windowStart, 'request', () => 100).map((cell) => {
        const dims = JSON.parse(cell.leaf) as Record<string, string>;
        const m = mean(dims);
        return { ...cell, measure: 'latency', sum: m * cell.count, sumsq: m * m * cell.count };
      });
    const latencyPast = Array.from({ length: 10 }, (_, i) => latency(i * W, () => 120));
    const latencyNow = latency(10 * W, (d) => (d.region === 'eu-west' ? 200 : 120));
    const avg = metric({
      kind: 'avg',
      eventType: 'request',
      measure: 'latency',
      name: 'Latency',
      unit: 'ms',
    });
    expect(rootCauseOf(avg, latencyNow, latencyPast)!.sentence).toBe(
      'Latency rose from 120 ms to 147 ms (+27 ms), mostly because it rose inside region=eu-west (200 ms instead of about 120 ms), which makes up all of the rise, not because the mix of events changed.',
    );
  });

  it('is absent without leaves (history from before the leaf cube)', () => {
    expect(rootCauseOf(metric(), [], past)).toBeNull();
    expect(rootCauseOf(metric(), past[0]!, [])).toBeNull();
    expect(rootCauseOf(metric(), past[0]!, [[], []])).toBeNull();
  });

  it('leaves out baseline windows whose cells retention removed, instead of reading zero', () => {
    // A weekly baseline reaches past the leaf cube's retention: those windows have no cells.
    const now = window(10 * W, 'purchase', (d) => base(d) * 0.7);
    const expired = Array.from({ length: 10 }, () => [] as LeafDelta[]);
    const cause = rootCauseOf(metric(), now, [...expired, ...past])!;
    // Read as zero, they would halve the expected value, and a 30% drop would look like a rise.
    expect(cause).toEqual(rootCauseOf(metric(), now, past));
    expect(cause.set).toEqual([]);
  });
});

describe('leafValues', () => {
  it('keeps only leaves inside the metric filters, and counts extra event types', () => {
    const cells = [...window(0, 'purchase', () => 3), ...window(0, 'refund', () => 1)];
    const filtered = leafValues(
      metric({ filters: { region: ['eu-west'] }, extraEventTypes: ['refund'] }),
      cells,
    );
    expect(filtered.size).toBe(DEVICES.length * PLANS.length);
    for (const v of filtered.values()) expect(v).toEqual({ num: 4, den: 0 });
  });
});

describe('withDrift', () => {
  it('leads the sentence with how long the drift has been building', () => {
    expect(driftWords({ direction: 'up', windows: 9 })).toBe('drifting up for 9 windows');
    expect(driftWords({ direction: 'down', windows: 1 })).toBe('drifting down for 1 window');
    const explanation = { dimensions: {}, top: [], sentence: 'Latency in plan=pro rose 12%.' };
    expect(withDrift(explanation, { direction: 'up', windows: 9 })).toEqual({
      ...explanation,
      sentence: 'Drifting up for 9 windows. Latency in plan=pro rose 12%.',
    });
    expect(withDrift({ ...explanation, sentence: '' }, { direction: 'down', windows: 3 })).toEqual({
      ...explanation,
      sentence: 'Drifting down for 3 windows.',
    });
  });

  it('names the slice the slice drift test found, and makes it the root cause when none was named', () => {
    const explanation = {
      dimensions: {},
      top: [],
      sentence: 'Errors rose 4%.',
      rootCause: { set: [], candidates: [], sentence: 'No single cause.' },
    };
    const drift = { direction: 'up' as const, windows: 6, dim: 'region', value: 'us-west' };
    expect(driftWords(drift)).toBe('drifting up in region=us-west for 6 windows');
    const told = withDrift(explanation, drift);
    expect(told.sentence).toBe('Drifting up in region=us-west for 6 windows. Errors rose 4%.');
    expect(told.rootCause!.set).toEqual([{ region: 'us-west' }]);
    expect(told.rootCause!.sentence).toMatch(/^region=us-west has drifted up for 6 windows;/);
    expect(told.rootCause!.namedBy).toBe('slice-drift');
    // A root cause the search named stays.
    const named = { set: [{ device: 'ios' }], candidates: [], sentence: 'device=ios.' };
    expect(withDrift({ ...explanation, rootCause: named }, drift).rootCause).toEqual(named);
    // Without a root cause (no leaf cube), the slice becomes one too.
    const { rootCause: _none, ...bare } = explanation;
    expect(withDrift(bare, drift).rootCause!.set).toEqual([{ region: 'us-west' }]);
  });
});

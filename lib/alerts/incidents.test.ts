import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatChange, incidentTitle, type TitleEntry } from './incident-title';
import {
  DEFAULT_TOLERANCE_WINDOWS,
  causesOf,
  gapMs,
  groupAnomalies,
  incidentSeverity,
  incidentStatus,
  linkOf,
  nestedSlices,
  placeAnomaly,
  relatedMetrics,
  sharedCause,
  type GroupingRule,
  type IncidentAnomaly,
  type IncidentMetric,
  type Slice,
} from './incidents';

const W = 60_000;
const at = (i: number) => i * W;
const RULE: GroupingRule = { baseWindowMs: W, toleranceWindows: DEFAULT_TOLERANCE_WINDOWS };

const metric = (id: number, eventType: string, over: Partial<IncidentMetric> = {}) => ({
  id,
  eventType,
  extraEventTypes: [],
  filters: {},
  windowMultiple: 1,
  ...over,
});
const PURCHASES = metric(1, 'purchase');
const REVENUE = metric(2, 'purchase');
const CONVERSION = metric(3, 'purchase');
const LATENCY = metric(4, 'api_request');
const ERRORS = metric(5, 'error');

const EU: Slice = { region: 'eu-west' };
const EU_ANDROID: Slice = { region: 'eu-west', device: 'android' };
const US: Slice = { region: 'us-east' };

let nextId = 100;
function anomaly(
  m: IncidentMetric,
  first: number,
  last: number,
  causes: Slice[],
  over: Partial<IncidentAnomaly> = {},
): IncidentAnomaly {
  return {
    id: nextId++,
    metric: m,
    status: 'open',
    severity: 'critical',
    firstWindow: at(first),
    lastWindow: at(last),
    causes,
    ...over,
  };
}

/** Incident membership as sets of anomaly ids, for comparison. */
const membership = (anomalies: IncidentAnomaly[], rule = RULE) =>
  groupAnomalies(anomalies, rule).map((i) => i.anomalies.map((a) => a.id));

describe('the rule', () => {
  it('groups the eu-west purchase drop: purchases, revenue and conversion with one cause', () => {
    const p = anomaly(PURCHASES, 10, 14, [EU]);
    const r = anomaly(REVENUE, 10, 13, [EU]);
    const c = anomaly(CONVERSION, 11, 14, [EU]);
    expect(membership([p, r, c])).toEqual([[p.id, r.id, c.id]]);
  });

  it('keeps an unrelated anomaly at the same time apart (overlap without a shared cause)', () => {
    const p = anomaly(PURCHASES, 10, 14, [EU]);
    const l = anomaly(LATENCY, 10, 14, [{ device: 'ios' }]);
    expect(linkOf(p, l, RULE)).toBeNull();
    expect(membership([p, l])).toEqual([[p.id], [l.id]]);
  });

  it('joins unrelated metrics that share the cause (an eu-west outage)', () => {
    const p = anomaly(PURCHASES, 10, 14, [EU]);
    const l = anomaly(LATENCY, 11, 12, [EU]);
    expect(linkOf(p, l, RULE)).toBe('cause');
    expect(membership([p, l])).toEqual([[p.id, l.id]]);
  });

  it('joins a cause that is a sub-slice of another, in either order', () => {
    const wide = anomaly(PURCHASES, 10, 14, [EU]);
    const narrow = anomaly(LATENCY, 10, 14, [EU_ANDROID]);
    expect(nestedSlices(EU, EU_ANDROID)).toBe(true);
    expect(membership([wide, narrow])).toEqual([[wide.id, narrow.id]]);
    expect(membership([narrow, wide])).toEqual([[narrow.id, wide.id]]);
  });

  it('does not join slices that share one value but are not nested', () => {
    const a = anomaly(PURCHASES, 10, 14, [EU_ANDROID]);
    const b = anomaly(LATENCY, 10, 14, [{ region: 'eu-west', plan: 'free' }]);
    expect(linkOf(a, b, RULE)).toBeNull();
  });

  it('joins through any conjunction of a root-cause set with several', () => {
    const a = anomaly(LATENCY, 10, 14, [US, EU_ANDROID]);
    const b = anomaly(ERRORS, 10, 14, [EU]);
    expect(linkOf(a, b, RULE)).toBe('cause');
  });

  it('lets the causes decide when related metrics both name one', () => {
    const p = anomaly(PURCHASES, 10, 14, [EU]);
    const r = anomaly(REVENUE, 10, 14, [US]);
    expect(relatedMetrics(PURCHASES, REVENUE)).toBe(true);
    expect(linkOf(p, r, RULE)).toBeNull();
  });

  it('joins an anomaly without root cause by related metric definition only', () => {
    const p = anomaly(PURCHASES, 10, 14, [EU]);
    const c = anomaly(CONVERSION, 11, 14, []);
    const e = anomaly(ERRORS, 11, 14, []);
    expect(linkOf(p, c, RULE)).toBe('definition');
    expect(linkOf(p, e, RULE)).toBeNull();
    expect(membership([p, c, e])).toEqual([[p.id, c.id], [e.id]]);
  });

  it('gives an anomaly with no cause and no related metric an incident of its own', () => {
    const a = anomaly(LATENCY, 10, 14, []);
    const b = anomaly(ERRORS, 10, 14, []);
    expect(membership([a, b])).toEqual([[a.id], [b.id]]);
  });

  it('ignores empty conjunctions, which would match every slice', () => {
    expect(causesOf({})).toEqual([]);
    expect(
      causesOf({ rootCause: { set: [{}, EU], candidates: [], sentence: '' } }).map((s) => s),
    ).toEqual([EU]);
    expect(nestedSlices({}, EU)).toBe(false);
  });

  it('relates metrics by numerator event types and filters, not by a shared denominator', () => {
    expect(relatedMetrics(LATENCY, ERRORS)).toBe(false); // error rate = error / api_request
    expect(relatedMetrics(metric(6, 'signup', { extraEventTypes: ['purchase'] }), PURCHASES)).toBe(
      true,
    );
    const euOnly = metric(7, 'purchase', { filters: { region: ['eu-west'] } });
    const usOnly = metric(8, 'purchase', { filters: { region: ['us-east', 'us-west'] } });
    expect(relatedMetrics(euOnly, usOnly)).toBe(false);
    expect(relatedMetrics(euOnly, PURCHASES)).toBe(true);
    expect(relatedMetrics(euOnly, metric(9, 'purchase', { filters: { device: ['ios'] } }))).toBe(
      true,
    );
  });
});

describe('time: overlap with a tolerance', () => {
  it('measures the quiet time between spans (a span ends a window after its last window)', () => {
    const a = anomaly(PURCHASES, 10, 14, [EU]); // [10, 15)
    expect(gapMs(a, anomaly(REVENUE, 15, 16, [EU]), W)).toBe(0); // touches
    expect(gapMs(a, anomaly(REVENUE, 14, 16, [EU]), W)).toBe(-W); // overlaps
    expect(gapMs(a, anomaly(REVENUE, 17, 18, [EU]), W)).toBe(2 * W); // two quiet windows
  });

  it('with tolerance 0, spans that only touch are not near; with 1 they are', () => {
    const a = anomaly(PURCHASES, 10, 14, [EU]);
    const b = anomaly(REVENUE, 15, 16, [EU]);
    expect(linkOf(a, b, { ...RULE, toleranceWindows: 0 })).toBeNull();
    expect(linkOf(a, b, { ...RULE, toleranceWindows: 1 })).toBe('cause');
  });

  it('by default lets two quiet windows pass, not three', () => {
    const a = anomaly(PURCHASES, 10, 14, [EU]);
    expect(linkOf(a, anomaly(REVENUE, 17, 18, [EU]), RULE)).toBe('cause');
    expect(linkOf(a, anomaly(REVENUE, 18, 19, [EU]), RULE)).toBeNull();
    expect(linkOf(anomaly(REVENUE, 1, 7, [EU]), a, RULE)).toBe('cause'); // 8 and 9 quiet, before
    expect(linkOf(anomaly(REVENUE, 1, 6, [EU]), a, RULE)).toBeNull();
  });

  it('counts tolerance in the longer metric window', () => {
    const slow = metric(10, 'purchase', { windowMultiple: 5 });
    const a = anomaly(slow, 0, 0, [EU]); // [0, 5)
    expect(linkOf(a, anomaly(REVENUE, 19, 19, [EU]), RULE)).toBe('cause'); // gap 14 < 15
    expect(linkOf(a, anomaly(REVENUE, 20, 20, [EU]), RULE)).toBeNull();
  });

  it('keeps a metric that re-opens soon after resolving in its incident, later not', () => {
    const first = anomaly(PURCHASES, 10, 14, [EU], { status: 'resolved' });
    const again = anomaly(PURCHASES, 17, 19, [EU]); // hysteresis: two normal windows resolved it
    const much = anomaly(PURCHASES, 40, 42, [EU]);
    expect(membership([first, again, much])).toEqual([[first.id, again.id], [much.id]]);
    // Re-opening without a cause joins by definition (same metric), with another cause it does not.
    expect(linkOf(first, anomaly(PURCHASES, 16, 17, []), RULE)).toBe('definition');
    expect(linkOf(first, anomaly(PURCHASES, 16, 17, [US]), RULE)).toBeNull();
  });
});

describe('incremental use', () => {
  it('grows a new metric later while the incident is open', () => {
    const p = anomaly(PURCHASES, 10, 30, [EU]);
    const incidents = [{ id: 1, anomalies: [p] }];
    const later = anomaly(LATENCY, 25, 26, [EU_ANDROID]);
    expect(placeAnomaly(later, incidents, RULE)).toEqual({
      kind: 'join',
      incidentId: 1,
      via: p.id,
      link: 'cause',
    });
  });

  it('keeps a member where it is when it changes (sticky), even to another cause', () => {
    const p = anomaly(PURCHASES, 10, 14, [EU]);
    const r = anomaly(REVENUE, 10, 14, [EU]);
    const incidents = [{ id: 7, anomalies: [p, r] }];
    const changed = { ...r, lastWindow: at(20), causes: [US], status: 'resolved' as const };
    expect(placeAnomaly(changed, incidents, RULE)).toEqual({ kind: 'member', incidentId: 7 });
  });

  it('never merges incidents: a bridging anomaly joins one of them', () => {
    const a = anomaly(PURCHASES, 10, 14, [EU]);
    const b = anomaly(LATENCY, 10, 14, [{ device: 'android' }]);
    const bridge = anomaly(ERRORS, 11, 13, [EU_ANDROID]);
    const groups = membership([a, b, bridge]);
    expect(groups).toEqual([[a.id, bridge.id], [b.id]]);
  });

  it('prefers a cause link to a definition link, then the nearest, then the older incident', () => {
    const p = anomaly(PURCHASES, 10, 14, []); // definition only
    const l = anomaly(LATENCY, 10, 14, [EU]); // cause
    const c = anomaly(CONVERSION, 12, 14, [EU]);
    expect(
      placeAnomaly(
        c,
        [
          { id: 1, anomalies: [p] },
          { id: 2, anomalies: [l] },
        ],
        RULE,
      ),
    ).toMatchObject({
      incidentId: 2,
      link: 'cause',
    });
    const far = anomaly(LATENCY, 1, 9, [EU]);
    const close = anomaly(ERRORS, 11, 14, [EU]);
    expect(
      placeAnomaly(
        c,
        [
          { id: 1, anomalies: [far] },
          { id: 2, anomalies: [close] },
        ],
        RULE,
      ),
    ).toMatchObject({ incidentId: 2 });
    const twin = anomaly(ERRORS, 10, 14, [EU]);
    expect(
      placeAnomaly(
        c,
        [
          { id: 5, anomalies: [l] },
          { id: 3, anomalies: [twin] },
        ],
        RULE,
      ),
    ).toMatchObject({ incidentId: 3 });
  });

  it('links nothing to a withdrawn anomaly', () => {
    const gone = anomaly(PURCHASES, 10, 14, [EU], { status: 'withdrawn' });
    const r = anomaly(REVENUE, 10, 14, [EU]);
    expect(linkOf(gone, r, RULE)).toBeNull();
    expect(membership([gone, r])).toEqual([[gone.id], [r.id]]);
  });

  it('updates a member in place when the batch sees its id again', () => {
    const p = anomaly(PURCHASES, 10, 12, [EU]);
    const grouped = groupAnomalies([p, { ...p, lastWindow: at(20), status: 'resolved' }], RULE);
    expect(grouped).toHaveLength(1);
    expect(grouped[0]!.anomalies).toEqual([{ ...p, lastWindow: at(20), status: 'resolved' }]);
  });
});

describe('derived status, severity and cause', () => {
  it('resolves when its last anomaly resolves, and opens again when one re-opens', () => {
    const p = anomaly(PURCHASES, 10, 14, [EU], { status: 'resolved' });
    const r = anomaly(REVENUE, 10, 16, [EU]);
    expect(incidentStatus([p, r])).toBe('open');
    expect(incidentStatus([p, { ...r, status: 'resolved' }])).toBe('resolved');
    expect(incidentStatus([p, { ...r, status: 'withdrawn' }])).toBe('resolved');
    expect(incidentStatus([{ ...p, status: 'withdrawn' }])).toBe('withdrawn');
  });

  it('takes the highest severity of the anomalies not withdrawn', () => {
    const warn = anomaly(PURCHASES, 10, 14, [EU], { severity: 'warn' });
    const crit = anomaly(REVENUE, 10, 14, [EU], { status: 'withdrawn' });
    expect(incidentSeverity([warn, crit])).toBe('warn');
    expect(incidentSeverity([warn, { ...crit, status: 'resolved' }])).toBe('critical');
    expect(incidentSeverity([crit])).toBeNull();
  });

  it('names the wider of nested causes, the most shared first', () => {
    const p = anomaly(PURCHASES, 10, 14, [EU_ANDROID]);
    const r = anomaly(REVENUE, 10, 14, [EU]);
    expect(sharedCause([p, r])).toEqual(EU);
    const c = anomaly(CONVERSION, 10, 14, [US, EU_ANDROID]);
    expect(sharedCause([p, c])).toEqual(EU_ANDROID);
    expect(sharedCause([anomaly(CONVERSION, 10, 14, [])])).toBeNull();
  });
});

describe('title', () => {
  const def = (id: number, name: string, kind: 'count' | 'sum' | 'avg' | 'ratio', unit = '') => ({
    id,
    name,
    kind,
    unit,
  });
  const entries: TitleEntry[] = [
    { metric: def(1, 'Purchases', 'count'), value: 42, expected: 100 },
    { metric: def(2, 'Revenue', 'sum', '$'), value: 380, expected: 1000 },
    { metric: def(3, 'Conversion', 'ratio', '%'), value: 0.04, expected: 0.12 },
  ];

  it('says the shared cause, then each change in its unit', () => {
    expect(incidentTitle(EU, entries)).toBe(
      'region=eu-west: Purchases −58%, Revenue −62%, Conversion −8 pts',
    );
    expect(incidentTitle(null, entries.slice(0, 1))).toBe('Purchases −58%');
    expect(incidentTitle(EU_ANDROID, [])).toBe('region=eu-west ∧ device=android');
  });

  it('formats changes: percent for counts, sums and averages, points for % ratios', () => {
    expect(formatChange(def(4, 'API latency', 'avg', 'ms'), 330, 150)).toBe('+120%');
    expect(formatChange(def(1, 'Purchases', 'count'), 95.5, 100)).toBe('−4.5%');
    expect(formatChange(def(1, 'Purchases', 'count'), 100, 100)).toBe('0%');
    expect(formatChange(def(5, 'Error rate', 'ratio', '%'), 0.0316, 0.01)).toBe('+2.2 pts');
    expect(formatChange(def(1, 'Purchases', 'count'), 5, 0)).toBe('+5');
    expect(formatChange(def(6, 'Per user', 'ratio', ''), 1.5, 2)).toBe('−0.5');
    expect(formatChange(def(1, 'Purchases', 'count'), Number.NaN, 2)).toBe('—');
  });

  it('names a metric once (its latest anomaly), leaves withdrawn ones out, caps the list', () => {
    const p = entries[0]!;
    const again = { ...p, value: 20 };
    expect(incidentTitle(null, [p, entries[1]!, again])).toBe('Purchases −80%, Revenue −62%');
    expect(incidentTitle(null, [{ ...p, status: 'withdrawn' }, entries[1]!])).toBe('Revenue −62%');
    const many = [1, 2, 3, 4, 5, 6].map((id) => ({
      metric: def(id, `M${id}`, 'count' as const),
      value: 2,
      expected: 1,
    }));
    expect(incidentTitle(null, many)).toBe('M1 +100%, M2 +100%, M3 +100%, M4 +100%, and 2 more');
  });
});

describe('properties', () => {
  const METRICS = [PURCHASES, REVENUE, CONVERSION, LATENCY, ERRORS];
  const SLICES: Slice[] = [EU, EU_ANDROID, US, { device: 'android' }, { plan: 'free' }];
  const arbAnomaly = fc.record({
    metric: fc.constantFrom(...METRICS),
    first: fc.integer({ min: 0, max: 200 }),
    length: fc.integer({ min: 0, max: 10 }),
    causes: fc.subarray(SLICES, { maxLength: 2 }),
    status: fc.constantFrom('open' as const, 'resolved' as const, 'withdrawn' as const),
  });
  const arbBatch = fc
    .array(arbAnomaly, { maxLength: 25 })
    .map((xs) =>
      xs.map((x, i) =>
        anomaly(x.metric, x.first, x.first + x.length, x.causes, { id: i + 1, status: x.status }),
      ),
    );
  const arbRule = fc.integer({ min: 0, max: 5 }).map((t) => ({ ...RULE, toleranceWindows: t }));

  it('puts every anomaly in exactly one incident', () => {
    fc.assert(
      fc.property(arbBatch, arbRule, (batch, rule) => {
        const ids = groupAnomalies(batch, rule).flatMap((i) => i.anomalies.map((a) => a.id));
        expect(ids.sort((a, b) => a - b)).toEqual(batch.map((a) => a.id));
      }),
    );
  });

  it('joins an anomaly only to an incident holding an earlier anomaly linked to it', () => {
    fc.assert(
      fc.property(arbBatch, arbRule, (batch, rule) => {
        for (const incident of groupAnomalies(batch, rule)) {
          incident.anomalies.forEach((a, k) => {
            if (k === 0) return;
            const earlier = incident.anomalies.slice(0, k);
            expect(earlier.some((b) => linkOf(a, b, rule) !== null)).toBe(true);
          });
        }
      }),
    );
  });

  it('never joins anomalies whose windows are far apart', () => {
    fc.assert(
      fc.property(arbBatch, arbRule, (batch, rule) => {
        // Spread the batch out: each anomaly far after the previous one.
        const spread = batch.map((a, i) => ({
          ...a,
          firstWindow: a.firstWindow + i * 1000 * W,
          lastWindow: a.lastWindow + i * 1000 * W,
        }));
        expect(groupAnomalies(spread, rule)).toHaveLength(spread.length);
      }),
    );
  });

  it('is deterministic, and the order of the candidate incidents does not matter', () => {
    fc.assert(
      fc.property(arbBatch, arbAnomaly, arbRule, (batch, x, rule) => {
        const incidents = groupAnomalies(batch, rule);
        const next = anomaly(x.metric, x.first, x.first + x.length, x.causes, { id: 999 });
        const placed = placeAnomaly(next, incidents, rule);
        expect(placeAnomaly(next, [...incidents].reverse(), rule)).toEqual(placed);
        expect(groupAnomalies(batch, rule)).toEqual(incidents);
      }),
    );
  });

  it('never merges: incidents only grow, in the order anomalies arrive', () => {
    fc.assert(
      fc.property(arbBatch, arbRule, (batch, rule) => {
        for (let n = 1; n <= batch.length; n++) {
          const before = groupAnomalies(batch.slice(0, n - 1), rule);
          const after = groupAnomalies(batch.slice(0, n), rule);
          expect(after.length - before.length).toBeLessThanOrEqual(1);
          before.forEach((inc, k) =>
            expect(after[k]!.anomalies.slice(0, inc.anomalies.length)).toEqual(inc.anomalies),
          );
        }
      }),
    );
  });

  it('with no causes, groups only related metrics, and never unrelated ones', () => {
    fc.assert(
      fc.property(arbBatch, arbRule, (batch, rule) => {
        const bare = batch.map((a) => ({ ...a, causes: [] }));
        for (const incident of groupAnomalies(bare, rule)) {
          const [head, ...rest] = incident.anomalies;
          for (const a of rest) expect(relatedMetrics(head!.metric, a.metric)).toBe(true);
        }
      }),
    );
  });
});

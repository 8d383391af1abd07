import { describe, expect, it } from 'vitest';
import {
  f1,
  falseAlertsPerMetricDay,
  matchIncidents,
  median,
  overlaps,
  rcaVerdict,
  sameConjunction,
  summarize,
  type EvalAnomaly,
  type EvalIncident,
} from './scoring';

const W = 60_000;
const at = (i: number) => i * W;

function incident(id: string, over: Partial<EvalIncident> = {}): EvalIncident {
  return {
    id,
    stream: 's',
    family: 'drop',
    dims: 1,
    magnitude: 4,
    noise: 'normal',
    metric: 'purchases',
    alsoMoves: ['revenue'],
    cause: { region: 'eu-west' },
    startsAt: at(10),
    endsAt: at(15),
    slotStart: at(0),
    slotEnd: at(30),
    feasible: true,
    ...over,
  };
}

let nextId = 1;
function anomaly(first: number, last: number, over: Partial<EvalAnomaly> = {}): EvalAnomaly {
  return {
    stream: 's',
    id: nextId++,
    metric: 'purchases',
    firstWindow: at(first),
    lastWindow: at(last),
    openedAt: at(first),
    rootCause: { set: [{ region: 'eu-west' }], candidates: [{ region: 'eu-west' }] },
    ...over,
  };
}

describe('sameConjunction', () => {
  it('compares dimension values as sets of pairs', () => {
    expect(sameConjunction({ a: '1', b: '2' }, { b: '2', a: '1' })).toBe(true);
    expect(sameConjunction({ a: '1' }, { a: '1', b: '2' })).toBe(false);
    expect(sameConjunction({ a: '1', b: '2' }, { a: '1' })).toBe(false);
    expect(sameConjunction({ a: '1' }, { a: '2' })).toBe(false);
    expect(sameConjunction({ a: '1' }, { b: '1' })).toBe(false);
    expect(sameConjunction({}, {})).toBe(true);
  });
});

describe('overlaps', () => {
  const inc = { startsAt: at(10), endsAt: at(15) };
  it('treats windows as half-open intervals', () => {
    expect(overlaps({ firstWindow: at(9), lastWindow: at(9) }, inc, W)).toBe(false);
    expect(overlaps({ firstWindow: at(9), lastWindow: at(10) }, inc, W)).toBe(true);
    expect(overlaps({ firstWindow: at(14), lastWindow: at(20) }, inc, W)).toBe(true);
    expect(overlaps({ firstWindow: at(15), lastWindow: at(15) }, inc, W)).toBe(false);
    expect(overlaps({ firstWindow: at(5), lastWindow: at(20) }, inc, W)).toBe(true);
  });
});

describe('f1 and median', () => {
  it('handles the edge cases', () => {
    expect(f1(1, 1)).toBe(1);
    expect(f1(0.5, 1)).toBeCloseTo(2 / 3);
    expect(f1(0, 0)).toBe(0);
    expect(f1(null, 0)).toBe(0); // nothing alerted, nothing detected
    expect(f1(1, null)).toBeNull(); // no incidents
    expect(f1(null, null)).toBeNull();
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('counts false alerts per metric per day', () => {
    expect(falseAlertsPerMetricDay(3, 1440, W)).toBe(3);
    expect(falseAlertsPerMetricDay(1, 2880, W)).toBe(0.5);
    expect(falseAlertsPerMetricDay(0, 0, W)).toBeNull();
  });
});

describe('matchIncidents and summarize', () => {
  it('detects by an overlapping anomaly on the incident metric, with time to detect and root cause', () => {
    const incidents = [incident('a')];
    const anomalies = [anomaly(11, 14, { openedAt: at(12) })];
    const m = matchIncidents(incidents, anomalies, W);
    expect(m.incidents[0]).toMatchObject({ ttdWindows: 3, rcaTop1: true, rcaTop3: true });
    expect(summarize(m, incidents)).toMatchObject({
      incidents: 1,
      detected: 1,
      truePositives: 1,
      falsePositives: 0,
      precision: 1,
      recall: 1,
      f1: 1,
      medianTtdWindows: 3,
      rcaTop1: 1,
      rcaTop3: 1,
    });
  });

  it('times detection in seconds from when the anomaly opened; a withdrawn interim alert is false', () => {
    const incidents = [incident('a')];
    // An interim alert withdrawn by its window's final score, then one confirmed 15 s into the
    // next window, then the time of a final opening (end of its window) when none is given.
    const withdrawn = anomaly(10, 10, {
      interim: true,
      withdrawn: true,
      detectedAt: at(10) + 5_000,
    });
    const early = anomaly(11, 13, { interim: true, detectedAt: at(11) + 15_000 });
    const m = matchIncidents(incidents, [withdrawn, early], W);
    expect(m.incidents[0]).toMatchObject({ ttdWindows: 2, ttdSeconds: 75 });
    expect(m.incidents[0]!.detectedBy?.id).toBe(early.id);
    expect(m.anomalies.map((a) => a.truePositive)).toEqual([false, true]);
    expect(summarize(m, incidents)).toMatchObject({
      truePositives: 1,
      falsePositives: 1,
      withdrawn: 1,
      medianTtdSeconds: 75,
    });
    const final = matchIncidents(incidents, [anomaly(10, 12)], W);
    expect(final.incidents[0]).toMatchObject({ ttdWindows: 1, ttdSeconds: 60 });
  });

  it('counts an undetected incident against recall and an alert outside it as a false positive', () => {
    const incidents = [
      incident('a'),
      incident('b', { startsAt: at(40), endsAt: at(45), slotStart: at(30), slotEnd: at(60) }),
    ];
    const anomalies = [anomaly(10, 10), anomaly(20, 21), anomaly(50, 50)];
    const m = matchIncidents(incidents, anomalies, W);
    expect(m.anomalies.map((a) => [a.truePositive, a.slotOf])).toEqual([
      [true, 'a'],
      [false, 'a'],
      [false, 'b'],
    ]);
    const s = summarize(m, incidents);
    expect(s).toMatchObject({ detected: 1, truePositives: 1, falsePositives: 2, recall: 0.5 });
    expect(s.precision).toBeCloseTo(1 / 3);
    expect(s.f1).toBeCloseTo((2 * (1 / 3) * 0.5) / (1 / 3 + 0.5));
    // A subset has its own slots: b alone has one false alert and nothing detected.
    expect(summarize(m, incidents, (i) => i.id === 'b')).toMatchObject({
      incidents: 1,
      detected: 0,
      truePositives: 0,
      falsePositives: 1,
      precision: 0,
      recall: 0,
      f1: 0,
      medianTtdWindows: null,
      rcaTop1: null,
    });
  });

  it('counts several anomalies in one incident as true alerts and the incident once', () => {
    const incidents = [incident('a')];
    const anomalies = [anomaly(10, 11), anomaly(13, 14)];
    const s = summarize(matchIncidents(incidents, anomalies, W), incidents);
    expect(s).toMatchObject({
      detected: 1,
      truePositives: 2,
      falsePositives: 0,
      precision: 1,
      recall: 1,
    });
  });

  it('takes alerts on metrics the effect also moves as true, but only the incident metric detects it', () => {
    const incidents = [incident('a')];
    const m = matchIncidents(incidents, [anomaly(11, 11, { metric: 'revenue' })], W);
    expect(m.anomalies[0]).toMatchObject({ truePositive: true, watched: true });
    expect(m.incidents[0]!.detectedBy).toBeNull();
    expect(summarize(m, incidents)).toMatchObject({
      detected: 0,
      truePositives: 1,
      recall: 0,
      precision: 1,
      f1: 0,
    });
  });

  it('keeps alerts on metrics the incident does not move apart from precision', () => {
    const incidents = [incident('a')];
    const m = matchIncidents(
      incidents,
      [anomaly(11, 11, { metric: 'error_rate' }), anomaly(11, 12)],
      W,
    );
    expect(m.anomalies[0]).toMatchObject({ truePositive: false, watched: false, slotOf: 'a' });
    expect(summarize(m, incidents)).toMatchObject({
      truePositives: 1,
      falsePositives: 0,
      otherAlerts: 1,
      precision: 1,
    });
  });

  it('without any alert: precision undefined, recall and F1 zero', () => {
    const incidents = [incident('a')];
    expect(summarize(matchIncidents(incidents, [], W), incidents)).toMatchObject({
      precision: null,
      recall: 0,
      f1: 0,
      detected: 0,
      rcaEvaluated: 0,
      rcaTop1: null,
    });
    expect(summarize(matchIncidents([], [], W), [])).toMatchObject({
      precision: null,
      recall: null,
      f1: null,
    });
  });

  it('judges the root cause as an exact set (top-1) and among the first three candidates (top-3)', () => {
    const cause = { region: 'eu-west', device: 'android' };
    const incidents = [
      incident('a', { cause }),
      incident('b', {
        cause,
        startsAt: at(40),
        endsAt: at(45),
        slotStart: at(30),
        slotEnd: at(60),
      }),
      incident('c', {
        cause,
        startsAt: at(70),
        endsAt: at(75),
        slotStart: at(60),
        slotEnd: at(90),
      }),
    ];
    const anomalies = [
      // Exactly the cause.
      anomaly(10, 10, {
        rootCause: { set: [{ device: 'android', region: 'eu-west' }], candidates: [cause] },
      }),
      // A superset of the cause: the set is wrong; the cause is the third candidate.
      anomaly(40, 40, {
        rootCause: {
          set: [cause, { plan: 'free' }],
          candidates: [{ plan: 'free' }, { region: 'eu-west' }, cause, { device: 'android' }],
        },
      }),
      // One of its values only, and the cause is fourth.
      anomaly(70, 70, {
        rootCause: {
          set: [{ region: 'eu-west' }],
          candidates: [{ region: 'eu-west' }, { device: 'android' }, { plan: 'free' }, cause],
        },
      }),
    ];
    const m = matchIncidents(incidents, anomalies, W);
    expect(m.incidents.map((o) => [o.rcaTop1, o.rcaTop3])).toEqual([
      [true, true],
      [false, true],
      [false, false],
    ]);
    const s = summarize(m, incidents);
    expect(s.rcaTop1).toBeCloseTo(1 / 3);
    expect(s.rcaTop3).toBeCloseTo(2 / 3);
  });

  it('prefers an anomaly opened during the incident, clamps time to detect at 1, and keeps streams apart', () => {
    const incidents = [incident('a')];
    const early = anomaly(8, 11); // opened before the incident, still open in it
    const inside = anomaly(12, 13, { openedAt: at(12) });
    const other = anomaly(10, 14, { stream: 'other' });
    const m = matchIncidents(incidents, [early, inside, other], W);
    expect(m.incidents[0]!.detectedBy).toBe(inside);
    expect(m.anomalies[2]).toMatchObject({ truePositive: false, slotOf: null });
    expect(matchIncidents(incidents, [early], W).incidents[0]!.ttdWindows).toBe(1);
  });

  it('leaves infeasible incidents out of recall, counts them, and their alerts as false', () => {
    const incidents = [incident('a', { feasible: false })];
    const m = matchIncidents(incidents, [anomaly(11, 11)], W);
    expect(m.incidents).toEqual([]);
    expect(m.anomalies[0]).toMatchObject({ truePositive: false, watched: false, slotOf: 'a' });
    expect(summarize(m, incidents)).toMatchObject({
      incidents: 0,
      infeasible: 1,
      recall: null,
      otherAlerts: 1,
    });
  });
});

describe('rcaVerdict', () => {
  it('says how a root-cause set differs from the cause', () => {
    const cause = { region: 'eu-west', device: 'android' };
    expect(rcaVerdict([{ device: 'android', region: 'eu-west' }], cause)).toBe('exact');
    expect(rcaVerdict([], cause)).toBe('none');
    expect(rcaVerdict([{ ...cause, plan: 'free' }], cause)).toBe('more specific');
    expect(rcaVerdict([{ region: 'eu-west' }], cause)).toBe('less specific');
    expect(rcaVerdict([cause, { plan: 'free' }], cause)).toBe('several');
    expect(rcaVerdict([{ region: 'eu-west', plan: 'free' }], cause)).toBe('other');
    expect(rcaVerdict([{ feature: 'search' }], cause)).toBe('other');
  });
});

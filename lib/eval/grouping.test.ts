import { describe, expect, it } from 'vitest';
import { groupEvalAnomalies, groupingFigures } from './grouping';
import type { EvalAnomaly, EvalIncident } from './scoring';

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
    alsoMoves: ['conversion', 'revenue'],
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
function anomaly(
  metric: string,
  first: number,
  last: number,
  set: Record<string, string>[],
  over: Partial<EvalAnomaly> = {},
): EvalAnomaly {
  return {
    stream: 's',
    id: nextId++,
    metric,
    firstWindow: at(first),
    lastWindow: at(last),
    openedAt: at(first + 1),
    rootCause: { set, candidates: set },
    ...over,
  };
}

const EU = { region: 'eu-west' };
const IOS = { device: 'ios' };

describe('grouping on the evaluation', () => {
  it('turns the three anomalies of a purchase drop into one notification', () => {
    const incidents = [incident('s#1')];
    const anomalies = [
      anomaly('purchases', 10, 14, [EU]),
      anomaly('revenue', 10, 13, [EU]),
      anomaly('conversion', 11, 14, []),
    ];
    const f = groupingFigures(incidents, anomalies, W);
    expect(f.perIncident[0]).toMatchObject({ before: 3, after: 1, mergedWith: [] });
    expect(f).toMatchObject({ notified: 1, oneNotification: 1, oneShare: 1, mergedPairs: 0 });
  });

  it('keeps two injected incidents at the same time apart, and counts a merge when not', () => {
    const incidents = [
      incident('s#1'),
      incident('s#1b', { metric: 'api_latency', alsoMoves: [], cause: IOS }),
    ];
    const apart = [anomaly('purchases', 10, 14, [EU]), anomaly('api_latency', 10, 14, [IOS])];
    expect(groupingFigures(incidents, apart, W)).toMatchObject({ oneShare: 1, mergedPairs: 0 });
    // The latency anomaly's root cause named eu-west: it joins the purchases incident.
    const merged = [anomaly('purchases', 10, 14, [EU]), anomaly('api_latency', 10, 14, [EU])];
    const f = groupingFigures(incidents, merged, W);
    expect(f.mergedPairs).toBe(1);
    expect(f.perIncident.map((o) => o.mergedWith)).toEqual([['s#1b'], ['s#1']]);
  });

  it('sees earlier anomalies as they were when a later one opened', () => {
    // The purchases anomaly ends up long, but when revenue opened at 30 it had last window 12.
    const p = anomaly('purchases', 10, 40, [EU], { openedAt: at(10) });
    const r = anomaly('revenue', 29, 30, [EU], { openedAt: at(30) });
    const groups = groupEvalAnomalies([r, p], W);
    expect(groups.get(`s#${r.id}`)).toBe(`s#${p.id}`); // 30 is within its span then: clipped to 30
    const late = anomaly('revenue', 50, 51, [EU], { openedAt: at(51) });
    expect(groupEvalAnomalies([p, late], W).get(`s#${late.id}`)).toBe(`s#${late.id}`);
  });

  it('groups streams apart and counts quiet traffic on its own', () => {
    const a = anomaly('purchases', 10, 12, [EU], { stream: 'quiet' });
    const b = anomaly('revenue', 11, 12, [EU], { stream: 'quiet' });
    const c = anomaly('revenue', 11, 12, [EU], { stream: 'other' });
    const f = groupingFigures([incident('s#1')], [a, b, c], W);
    expect(f.quiet).toEqual({ anomalies: 3, incidents: 2 });
    expect(f.notified).toBe(0);
    expect(f.oneShare).toBeNull();
  });

  it('skips infeasible incidents', () => {
    const f = groupingFigures([incident('s#1', { feasible: false })], [], W);
    expect(f.perIncident).toEqual([]);
  });
});

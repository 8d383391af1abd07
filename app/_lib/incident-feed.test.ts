import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE } from '@/lib/types';
import type { AnomalySummary, Board, IncidentSummary } from '@/lib/views';
import { boardReducer, initBoardState } from './board-state';
import {
  feedItems,
  incidentActions,
  leadAnomaly,
  mergeIncidents,
  newCriticalIncidents,
  openCriticalCount,
  titleWithCount,
} from './incident-feed';

const T = Date.UTC(2026, 0, 15, 12);

const anomaly = (id: number, over: Partial<AnomalySummary> = {}): AnomalySummary => ({
  id,
  metricId: id,
  metricKey: `m${id}`,
  metricName: `Metric ${id}`,
  unit: '',
  status: 'open',
  severity: 'warn',
  direction: 'down',
  firstWindow: T,
  lastWindow: T,
  peakWindow: T,
  value: 1,
  expected: 2,
  z: -5,
  sentence: 's',
  updatedAt: 1,
  revisions: 0,
  acknowledged: null,
  snoozedUntil: null,
  verdict: null,
  resolvedBy: null,
  incidentId: null,
  ...over,
});

const incident = (id: number, over: Partial<IncidentSummary> = {}): IncidentSummary => ({
  id,
  title: `Incident ${id}`,
  status: 'open',
  severity: 'warn',
  cause: null,
  openedAt: T,
  firstWindow: T + id * 60_000,
  lastWindow: T + id * 60_000,
  acknowledged: null,
  snoozedUntil: null,
  resolvedAt: null,
  silenced: false,
  silencedUntil: null,
  updatedAt: 1,
  anomalies: [],
  ...over,
});

describe('mergeIncidents', () => {
  it('upserts by id, newest first, and never lets an older copy replace a newer one', () => {
    const merged = mergeIncidents(
      [incident(1, { updatedAt: 10, status: 'resolved' })],
      [incident(1, { updatedAt: 5, status: 'open' }), incident(2)],
    );
    expect(merged.map((i) => i.id)).toEqual([2, 1]);
    expect(merged[1]!.status).toBe('resolved');
    const newer = mergeIncidents(merged, [incident(1, { updatedAt: 11, severity: 'critical' })]);
    expect(newer.find((i) => i.id === 1)!.severity).toBe('critical');
  });

  it('is idempotent and trims to the newest', () => {
    const once = mergeIncidents([], [incident(1), incident(2), incident(3)], 2);
    expect(once.map((i) => i.id)).toEqual([3, 2]);
    expect(mergeIncidents(once, once, 2)).toEqual(once);
  });
});

describe('feedItems', () => {
  it('lists incidents with their anomalies and the anomalies no incident holds, newest first', () => {
    const a1 = anomaly(1, { incidentId: 7, firstWindow: T + 60_000 });
    const a2 = anomaly(2, { incidentId: 7, firstWindow: T + 60_000 });
    const lone = anomaly(3, { firstWindow: T + 3 * 60_000 });
    const waiting = anomaly(4, { incidentId: 8, firstWindow: T + 4 * 60_000 });
    const items = feedItems(
      [incident(7, { firstWindow: T + 60_000, anomalies: [a1, a2] })],
      [waiting, lone, a2, a1],
    );
    expect(items.map((i) => (i.kind === 'incident' ? `i${i.incident.id}` : `a${i.anomaly.id}`)))
      // 4 waits for its incident's event; 3 belongs to none.
      .toEqual(['a3', 'i7']);
    const first = items[1]!;
    expect(first.kind === 'incident' && first.anomalies.map((a) => a.id)).toEqual([1, 2]);
  });

  it("shows an incident's anomaly as the socket pushed it when that copy is newer", () => {
    const stale = anomaly(1, { incidentId: 7, updatedAt: 1 });
    const pushed = anomaly(1, {
      incidentId: 7,
      updatedAt: 2,
      acknowledged: { by: 'alice', at: T },
    });
    const [item] = feedItems([incident(7, { anomalies: [stale] })], [pushed]);
    expect(item!.kind === 'incident' && item!.anomalies[0]!.acknowledged?.by).toBe('alice');
    const [older] = feedItems([incident(7, { anomalies: [pushed] })], [stale]);
    expect(older!.kind === 'incident' && older!.anomalies[0]!.updatedAt).toBe(2);
  });
});

describe('incidentActions', () => {
  it('offers what some anomaly allows', () => {
    const acked = anomaly(1, { acknowledged: { by: 'a', at: T } });
    const fresh = anomaly(2);
    expect(incidentActions([acked, fresh], T)).toEqual([
      'acknowledge',
      'unacknowledge',
      'resolve',
      'snooze',
    ]);
    expect(incidentActions([acked], T)).toEqual(['unacknowledge', 'resolve', 'snooze']);
    const resolved = anomaly(3, { status: 'resolved' });
    expect(incidentActions([resolved], T)).toEqual(['reopen']);
    expect(incidentActions([anomaly(4, { snoozedUntil: T + 1000 })], T)).toContain('unsnooze');
    expect(incidentActions([anomaly(5, { status: 'withdrawn' })], T)).toEqual([]);
    expect(incidentActions([], T)).toEqual([]);
  });
});

describe('the tab title', () => {
  it('counts open critical incidents', () => {
    expect(
      openCriticalCount([
        incident(1, { severity: 'critical' }),
        incident(2, { severity: 'critical', status: 'resolved' }),
        incident(3),
        incident(4, { severity: 'critical' }),
      ]),
    ).toBe(2);
  });

  it('puts the count in front, replacing an earlier one, and none for 0', () => {
    expect(titleWithCount('Live board · Pulse', 2)).toBe('(2) Live board · Pulse');
    expect(titleWithCount('(2) Live board · Pulse', 3)).toBe('(3) Live board · Pulse');
    expect(titleWithCount('(3) Live board · Pulse', 0)).toBe('Live board · Pulse');
    expect(titleWithCount('(beta) Pulse', 0)).toBe('(beta) Pulse');
  });
});

describe('newCriticalIncidents', () => {
  it('announces each open critical incident once, escalations included, nothing seen before', () => {
    const seen = new Set<number>();
    expect(
      newCriticalIncidents([incident(1, { severity: 'critical' }), incident(2)], seen),
    ).toEqual([incident(1, { severity: 'critical' })]);
    expect(newCriticalIncidents([incident(1, { severity: 'critical' })], seen)).toEqual([]);
    // Incident 2 escalates to critical: news.
    expect(
      newCriticalIncidents([incident(2, { severity: 'critical' })], seen).map((i) => i.id),
    ).toEqual([2]);
    expect(
      newCriticalIncidents([incident(3, { severity: 'critical', status: 'resolved' })], seen),
    ).toEqual([]);
  });
});

describe('leadAnomaly', () => {
  it('picks open before resolved before withdrawn, then critical, then the first', () => {
    const list = [
      anomaly(1, { status: 'resolved', severity: 'critical' }),
      anomaly(2, { severity: 'warn' }),
      anomaly(3, { severity: 'critical' }),
      anomaly(4, { severity: 'critical' }),
    ];
    expect(leadAnomaly({ anomalies: list })!.id).toBe(3);
    expect(leadAnomaly({ anomalies: list.slice(0, 2) })!.id).toBe(2);
    expect(
      leadAnomaly({
        anomalies: [anomaly(5, { status: 'withdrawn' }), anomaly(6, { status: 'resolved' })],
      })!.id,
    ).toBe(6);
    expect(leadAnomaly({ anomalies: [] })).toBeNull();
  });
});

describe('the board state with incidents', () => {
  const board: Board = {
    windowMs: 60_000,
    metrics: [
      {
        id: 1,
        key: 'm1',
        name: 'M',
        kind: 'count',
        unit: '',
        enabled: true,
        rule: DEFAULT_RULE,
        points: [],
        series: null,
      },
    ],
    anomalies: [],
    lastAnomalyId: 0,
  };

  it('starts with the page’s incidents and keeps the catch-up cursor at the latest change', () => {
    const state = initBoardState(board, [
      incident(1, { updatedAt: 50 }),
      incident(2, { updatedAt: 40 }),
    ]);
    expect(state.incidents.map((i) => i.id)).toEqual([2, 1]);
    expect(state.lastIncidentUpdate).toBe(50);
    const next = boardReducer(state, {
      type: 'incidents',
      incidents: [incident(2, { updatedAt: 60, status: 'resolved' })],
    });
    expect(next.lastIncidentUpdate).toBe(60);
    expect(next.incidents.find((i) => i.id === 2)!.status).toBe('resolved');
    // A REST answer older than the socket's copy changes nothing.
    const stale = boardReducer(next, {
      type: 'incidents',
      incidents: [incident(2, { updatedAt: 45 })],
    });
    expect(stale.incidents.find((i) => i.id === 2)!.status).toBe('resolved');
    expect(stale.lastIncidentUpdate).toBe(60);
  });
});

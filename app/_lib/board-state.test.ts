import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE } from '@/lib/types';
import type { AnomalySummary, Board, BoardMetric, BoardPoint } from '@/lib/views';
import {
  boardReducer,
  hasUnknownMetric,
  initBoardState,
  mergeAnomalies,
  mergePoints,
} from './board-state';

const W = 60_000;

const point = (
  windowStart: number,
  value = 1,
  status: BoardPoint['status'] = 'ok',
): BoardPoint => ({
  windowStart,
  value,
  expected: 1,
  sigma: 0.1,
  z: 0,
  volume: 100,
  status,
  anomalyId: null,
});

const metric = (id: number, points: BoardPoint[] = []): BoardMetric => ({
  id,
  key: `m${id}`,
  name: `Metric ${id}`,
  kind: 'count',
  unit: '',
  enabled: true,
  rule: DEFAULT_RULE,
  points,
  series: null,
});

const anomaly = (
  id: number,
  updatedAt = id,
  status: 'open' | 'resolved' = 'open',
): AnomalySummary => ({
  id,
  metricId: 1,
  metricKey: 'm1',
  metricName: 'Metric 1',
  unit: '',
  status,
  severity: 'warn',
  direction: 'up',
  firstWindow: 0,
  lastWindow: 0,
  peakWindow: 0,
  value: 2,
  expected: 1,
  z: 4,
  sentence: 's',
  updatedAt,
  revisions: 0,
  acknowledged: null,
  snoozedUntil: null,
  verdict: null,
  resolvedBy: null,
  incidentId: null,
});

const board = (over: Partial<Board> = {}): Board => ({
  windowMs: W,
  metrics: [metric(1, [point(0), point(W)]), metric(2)],
  anomalies: [anomaly(3), anomaly(5)],
  lastAnomalyId: 5,
  ...over,
});

describe('mergePoints', () => {
  it('upserts by window start, keeps order, and trims old windows', () => {
    const merged = mergePoints([point(0, 1), point(W, 2)], [point(W, 9), point(2 * W, 3)], W, 2);
    expect(merged.map((p) => [p.windowStart, p.value])).toEqual([
      [W, 9],
      [2 * W, 3],
    ]);
  });

  it('is idempotent', () => {
    const once = mergePoints([point(0)], [point(W)], W);
    expect(mergePoints(once, [point(W)], W)).toEqual(once);
  });
});

describe('mergeAnomalies', () => {
  it('sorts newest id first and never replaces a newer copy with an older one', () => {
    const merged = mergeAnomalies(
      [anomaly(1, 10, 'resolved')],
      [anomaly(1, 5, 'open'), anomaly(2)],
    );
    expect(merged.map((a) => a.id)).toEqual([2, 1]);
    expect(merged[1]?.status).toBe('resolved');
  });
});

describe('boardReducer', () => {
  it('starts from the server board', () => {
    const state = initBoardState(board());
    expect(state.lastAnomalyId).toBe(5);
    expect(state.lastWindowStart).toBe(W);
    expect(state.anomalies.map((a) => a.id)).toEqual([5, 3]);
  });

  it('appends live points per metric and remembers the newest window', () => {
    const state = boardReducer(initBoardState(board()), {
      type: 'points',
      windowStart: 2 * W,
      points: [{ ...point(2 * W, 7, 'critical'), metricId: 2 }],
      receivedAt: 123,
    });
    expect(state.metrics[1]?.points.map((p) => p.value)).toEqual([7]);
    expect(state.metrics[0]?.points).toHaveLength(2);
    expect(state.lastWindowStart).toBe(2 * W);
    expect(state.lastScoredAt).toBe(123);
  });

  it('keeps live points a slower REST catch-up does not have yet', () => {
    let state = boardReducer(initBoardState(board()), {
      type: 'points',
      windowStart: 2 * W,
      points: [{ ...point(2 * W), metricId: 1 }],
      receivedAt: 1,
    });
    state = boardReducer(state, { type: 'board', board: board() });
    expect(state.metrics[0]?.points.map((p) => p.windowStart)).toEqual([0, W, 2 * W]);
    expect(state.lastWindowStart).toBe(2 * W);
    expect(state.lastScoredAt).toBe(1);
  });

  it('forgets the receipt time when a catch-up brings a newer window', () => {
    let state = boardReducer(initBoardState(board()), {
      type: 'points',
      windowStart: W,
      points: [{ ...point(W), metricId: 1 }],
      receivedAt: 1,
    });
    state = boardReducer(state, {
      type: 'board',
      board: board({ metrics: [metric(1, [point(W), point(3 * W)])] }),
    });
    expect(state.lastWindowStart).toBe(3 * W);
    expect(state.lastScoredAt).toBeNull();
  });

  it('upserts anomalies and tracks the largest id for catch-up', () => {
    let state = initBoardState(board());
    state = boardReducer(state, {
      type: 'anomalies',
      anomalies: [anomaly(9), anomaly(3, 50, 'resolved')],
    });
    expect(state.lastAnomalyId).toBe(9);
    expect(state.anomalies.map((a) => a.id)).toEqual([9, 5, 3]);
    expect(state.anomalies.find((a) => a.id === 3)?.status).toBe('resolved');
  });

  it('applies rule changes', () => {
    const rule = { ...DEFAULT_RULE, warnZ: 2 };
    const state = boardReducer(initBoardState(board()), { type: 'rule', metricId: 2, rule });
    expect(state.metrics[1]?.rule.warnZ).toBe(2);
    expect(state.metrics[0]?.rule.warnZ).toBe(DEFAULT_RULE.warnZ);
  });

  it('spots points of metrics it does not know', () => {
    const state = initBoardState(board());
    expect(hasUnknownMetric(state, [1, 2])).toBe(false);
    expect(hasUnknownMetric(state, [1, 3])).toBe(true);
  });
});

describe('boardReducer: metric', () => {
  it('replaces a changed metric, keeping the points it already had', () => {
    const state = initBoardState(board());
    const renamed = { ...metric(1, [point(2 * W)]), name: 'Renamed', enabled: false };
    const next = boardReducer(state, { type: 'metric', metric: renamed });
    const changed = next.metrics.find((m) => m.id === 1);
    expect(changed).toMatchObject({ name: 'Renamed', enabled: false });
    expect(changed?.points.map((p) => p.windowStart)).toEqual([0, W, 2 * W]);
    expect(next.metrics.map((m) => m.id)).toEqual([1, 2]);
  });

  it('adds a new metric in id order', () => {
    const state = initBoardState(board({ metrics: [metric(1), metric(3)] }));
    const next = boardReducer(state, { type: 'metric', metric: metric(2) });
    expect(next.metrics.map((m) => m.id)).toEqual([1, 2, 3]);
  });

  it('drops a removed metric (a series its split no longer has), and ignores an unknown one', () => {
    const state = initBoardState(board({ metrics: [metric(1), metric(2), metric(3)] }));
    const next = boardReducer(state, { type: 'metric-removed', metricId: 2 });
    expect(next.metrics.map((m) => m.id)).toEqual([1, 3]);
    expect(boardReducer(next, { type: 'metric-removed', metricId: 9 }).metrics).toHaveLength(2);
  });
});

describe('boardReducer: a board showing a range', () => {
  const live = (windowStart: number) => ({
    type: 'points' as const,
    windowStart,
    points: [{ ...point(windowStart, 9), metricId: 1 }],
    receivedAt: windowStart,
  });

  it('keeps the whole range on a card as live windows arrive, not the last 60', () => {
    const long = Array.from({ length: 200 }, (_, i) => point(i * W));
    let state = initBoardState(board({ metrics: [metric(1, long)] }), [], { rangeMs: 240 * W });
    state = boardReducer(state, live(200 * W));
    expect(state.metrics[0]?.points).toHaveLength(201);
    // Past the range's length, the oldest windows leave.
    for (let i = 201; i < 260; i++) state = boardReducer(state, live(i * W));
    expect(state.metrics[0]?.points[0]?.windowStart).toBe(20 * W);
  });

  it('leaves the cards of a range that ended alone, but still tracks the newest window', () => {
    const state = boardReducer(
      initBoardState(board(), [], { rangeMs: 10 * W, frozen: true }),
      live(50 * W),
    );
    expect(state.metrics[0]?.points.map((p) => p.windowStart)).toEqual([0, W]);
    expect(state.lastWindowStart).toBe(50 * W);
  });

  it('does not put a changed metric’s latest windows on a range that ended', () => {
    const state = boardReducer(initBoardState(board(), [], { rangeMs: 10 * W, frozen: true }), {
      type: 'metric',
      metric: { ...metric(1, [point(90 * W)]), name: 'Renamed' },
    });
    expect(state.metrics[0]?.name).toBe('Renamed');
    expect(state.metrics[0]?.points.map((p) => p.windowStart)).toEqual([0, W]);
  });
});

/**
 * Reads of the latest points before a window bound themselves to the recent partitions when
 * the windows there were all scored, and give the same answer as an unbounded read after gaps.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricPoints, metrics } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  baselineHistory,
  pointsBetween,
  previewPoints,
  recentDriftPoints,
  seasonalHistory,
  upsertPoint,
} from './points';
import {
  baselineHistories,
  pointsAt,
  recentPointsOf,
  seasonalHistories,
  upsertPoints,
} from './points-batched';

const W = 60_000;
const START = Date.UTC(2026, 10, 1);
let t: TestDatabase;
let metricId: number;
/** A metric without a point. */
let emptyId: number;
/** A metric with points every 5th window only, some with z and an anomaly. */
let sparseId: number;

beforeAll(async () => {
  t = await createTestDatabase();
  const [row] = await t.db
    .insert(metrics)
    .values({ key: 'm', name: 'M', kind: 'count', eventType: 'purchase' })
    .returning({ id: metrics.id });
  metricId = row!.id;
  // Three days of windows with gaps (a detector down for an hour, a few missing windows), some
  // alerting, some without a value.
  const rows: (typeof metricPoints.$inferInsert)[] = [];
  for (let i = 0; i < 3 * 1440; i++) {
    if ((i >= 1500 && i < 1560) || i % 97 === 5) continue;
    rows.push({
      metricId,
      windowStart: new Date(START + i * W),
      value: i % 53 === 0 ? null : i,
      status: i % 41 === 0 ? ('critical' as const) : ('ok' as const),
      volume: 10,
    });
  }
  for (let at = 0; at < rows.length; at += 1000)
    await t.db.insert(metricPoints).values(rows.slice(at, at + 1000));
  const more = await t.db
    .insert(metrics)
    .values([
      { key: 'empty', name: 'Empty', kind: 'count', eventType: 'purchase' },
      { key: 'sparse', name: 'Sparse', kind: 'count', eventType: 'purchase' },
    ])
    .returning({ id: metrics.id });
  emptyId = more[0]!.id;
  sparseId = more[1]!.id;
  const sparse: (typeof metricPoints.$inferInsert)[] = [];
  for (let i = 0; i < 3 * 1440; i += 5) {
    sparse.push({
      metricId: sparseId,
      windowStart: new Date(START + i * W),
      value: i,
      z: i % 3 === 0 ? null : (i % 17) - 8,
      status: i % 35 === 0 ? ('warn' as const) : ('learning' as const),
      anomalyId: i % 35 === 0 ? 1 : null,
      volume: 5,
    });
  }
  for (let at = 0; at < sparse.length; at += 1000)
    await t.db.insert(metricPoints).values(sparse.slice(at, at + 1000));
});
afterAll(() => t.drop());

describe('latest points before a window', () => {
  it('property: the bounded read answers as the unbounded one, gaps or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 * 1440 + 10 }),
        fc.integer({ min: 1, max: 200 }),
        async (i, limit) => {
          const before = START + i * W;
          expect(await baselineHistory(t.db, metricId, before, limit, W)).toEqual(
            await baselineHistory(t.db, metricId, before, limit),
          );
          const range = { from: before, to: before + 10 * W };
          const reads = { before: limit, seasonal: [] };
          expect(await previewPoints(t.db, metricId, range, reads, W)).toEqual(
            await previewPoints(t.db, metricId, range, reads),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('the points the drift test replays', () => {
  it('are those of the last `limit` windows before the window, oldest first, gaps left out', async () => {
    const before = START + 1565 * W;
    const points = await recentDriftPoints(t.db, metricId, before, 10, W);
    // Windows 1555–1564; 1555–1559 fall in the hour the detector was down.
    expect(points.map((p) => (p.windowStart - START) / W)).toEqual([1560, 1561, 1562, 1563, 1564]);
    expect(points[0]).toEqual({ windowStart: START + 1560 * W, z: null, status: 'ok' });
  });
});

describe('the reads of many metrics at once', () => {
  it('property: each metric gets what its own read gets (baseline, seasonal, recent points, point at a window)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            which: fc.constantFrom(0, 1, 2),
            i: fc.integer({ min: 0, max: 3 * 1440 + 10 }),
            limit: fc.integer({ min: 0, max: 90 }),
            span: fc.constantFrom(W, 2 * W, 5 * W),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        async (raw) => {
          // One ask per metric, as a window's metrics ask.
          const ids = [metricId, emptyId, sparseId];
          const seen = new Set<number>();
          const asks = raw
            .map((r) => ({ ...r, metricId: ids[r.which]!, before: START + r.i * W }))
            .filter((a) => !seen.has(a.metricId) && seen.add(a.metricId));
          const history = await baselineHistories(
            t.db,
            asks.map((a) => ({ ...a, spanMs: a.span })),
          );
          const seasonal = await seasonalHistories(
            t.db,
            asks.map((a) => ({ metricId: a.metricId, windowStart: a.before, season: 'day', k: 3 })),
          );
          const recent = await recentPointsOf(
            t.db,
            asks.map((a) => ({
              metricId: a.metricId,
              from: a.before - a.limit * a.span,
              to: a.before,
            })),
          );
          const at = await pointsAt(
            t.db,
            asks.map((a) => ({ metricId: a.metricId, windowStart: a.before })),
          );
          for (const a of asks) {
            expect(history.get(a.metricId)).toEqual(
              await baselineHistory(t.db, a.metricId, a.before, a.limit),
            );
            expect(seasonal.get(a.metricId)).toEqual(
              await seasonalHistory(t.db, a.metricId, a.before, 'day', 3),
            );
            const mine = recent.get(a.metricId)!;
            expect(mine.map(({ anomalyId: _a, ...p }) => p)).toEqual(
              await recentDriftPoints(t.db, a.metricId, a.before, a.limit, a.span),
            );
            const from = a.before - a.limit * a.span;
            const rows =
              a.limit > 0 ? await pointsBetween(t.db, a.metricId, from, a.before - 1) : [];
            expect(mine).toEqual(
              rows.map((r) => ({
                windowStart: r.windowStart.getTime(),
                z: r.z,
                status: r.status,
                anomalyId: r.anomalyId,
              })),
            );
            const [one] = await pointsBetween(t.db, a.metricId, a.before, a.before);
            expect(at.get(a.metricId)).toEqual(one);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes many points as upsertPoint writes each, and overwrites as it does', async () => {
    const [row] = await t.db
      .insert(metrics)
      .values([
        { key: 'w1', name: 'W1', kind: 'count', eventType: 'purchase' },
        { key: 'w2', name: 'W2', kind: 'count', eventType: 'purchase' },
      ])
      .returning({ id: metrics.id });
    const one = row!.id;
    const many = one + 1;
    const score = (i: number) => ({
      value: i === 2 ? Number.NaN : i * 1.1,
      expected: i === 3 ? Number.POSITIVE_INFINITY : 0.1 + i / 3,
      sigma: 0.7,
      z: i === 4 ? Number.NaN : i / 7,
      severity: null,
      direction: null,
      baselineUsed: 'rolling',
      status: i === 1 ? ('learning' as const) : ('ok' as const),
    });
    for (const round of [0, 1]) {
      for (let i = 0; i < 6; i++) {
        await upsertPoint(t.db, one, START + i * W, score(i + round), 3 + round, null);
      }
      await upsertPoints(
        t.db,
        Array.from({ length: 6 }, (_, i) => ({
          metricId: many,
          windowStart: START + i * W,
          score: score(i + round),
          volume: 3 + round,
          anomalyId: null,
        })),
      );
      const a = await pointsBetween(t.db, one, START, START + 10 * W);
      const b = await pointsBetween(t.db, many, START, START + 10 * W);
      expect(b.map((p) => ({ ...p, metricId: one }))).toEqual(a);
      expect(a).toHaveLength(6);
    }
  });
});

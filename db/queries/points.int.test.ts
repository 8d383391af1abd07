/**
 * Reads of the latest points before a window bound themselves to the recent partitions when
 * the windows there were all scored, and give the same answer as an unbounded read after gaps.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricPoints, metrics } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { baselineHistory, previewPoints, recentDriftPoints } from './points';

const W = 60_000;
const START = Date.UTC(2026, 10, 1);
let t: TestDatabase;
let metricId: number;

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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTAL, type RollupDelta } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '../test-db';
import { globalWatermark, partitionStats, readRollups, writeFlush } from './stream';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const W = Date.UTC(2026, 10, 22, 12, 0);
const cell = (over: Partial<RollupDelta>): RollupDelta => ({
  windowStart: W,
  eventType: 'purchase',
  dim: TOTAL,
  value: TOTAL,
  measure: '',
  count: 1,
  sum: 0,
  sumsq: 0,
  min: 0,
  max: 0,
  ...over,
});

describe('writeFlush', () => {
  it('merges deltas additively: count, sum, sumsq add up; min and max combine', async () => {
    const progress = (offset: number, folded: number, quarantined: number, watermark: number) => ({
      source: 's',
      partition: 0,
      watermark,
      nextOffset: offset,
      received: folded + quarantined,
      folded,
      quarantined,
    });
    await writeFlush(t.sql, {
      deltas: [
        cell({ count: 2 }),
        cell({ measure: 'revenue', count: 2, sum: 30, sumsq: 500, min: 10, max: 20 }),
      ],
      quarantined: [],
      progress: [progress(2, 2, 0, W + 5000)],
    });
    await writeFlush(t.sql, {
      deltas: [
        cell({ count: 3 }),
        cell({ measure: 'revenue', count: 1, sum: 5, sumsq: 25, min: 5, max: 5 }),
      ],
      quarantined: [
        { reason: 'schema', detail: 'type: required', raw: '{}', rawSize: 2, source: 's' },
      ],
      progress: [progress(5, 2, 1, W + 1000)],
    });
    const rows = await readRollups(t.db, [W], ['purchase']);
    const count = rows.find((r) => r.measure === '');
    const revenue = rows.find((r) => r.measure === 'revenue');
    expect(count?.count).toBe(5);
    expect(revenue).toMatchObject({ count: 3, sum: 35, sumsq: 525, min: 5, max: 20 });

    const [stats] = await partitionStats(t.db);
    // Counters accumulate; the watermark never moves back.
    expect(stats).toMatchObject({ received: 5, folded: 4, quarantined: 1, nextOffset: 5 });
    expect(stats?.watermark?.getTime()).toBe(W + 5000);
    expect(await globalWatermark(t.db, 60_000)).toBe(W + 5000);
  });

  it('is all or nothing: a failing statement leaves no rollups behind', async () => {
    const bad = cell({ windowStart: W + 60_000, count: 1 });
    await expect(
      writeFlush(t.sql, {
        deltas: [bad],
        quarantined: [],
        // partition must be an integer: this row fails after the rollups were written
        progress: [
          {
            source: 's',
            partition: 1.5,
            watermark: W,
            nextOffset: 0,
            received: 1,
            folded: 1,
            quarantined: 0,
          },
        ],
      }),
    ).rejects.toThrow();
    expect(await readRollups(t.db, [W + 60_000], ['purchase'])).toEqual([]);
  });
});

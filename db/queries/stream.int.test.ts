import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTAL, type LeafDelta, type RollupDelta } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  claimPartitions,
  globalWatermark,
  partitionStats,
  readLeaves,
  readRollups,
  upsertLeafRollups,
  writeFencedFlush,
  writeFlush,
  type FencedPart,
} from './stream';

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
const leafCell = (over: Partial<LeafDelta>): LeafDelta => ({
  windowStart: W,
  eventType: 'purchase',
  leaf: '{"device":"ios","region":"eu-west"}',
  measure: '',
  count: 1,
  sum: 0,
  sumsq: 0,
  ...over,
});
const byLeaf = (rows: LeafDelta[]) =>
  Object.fromEntries(rows.map((r) => [`${r.leaf} ${r.measure}`, [r.count, r.sum, r.sumsq]]));

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
      leaves: [
        leafCell({ count: 2 }),
        leafCell({ measure: 'revenue', count: 2, sum: 30, sumsq: 500 }),
      ],
      quarantined: [],
      progress: [progress(2, 2, 0, W + 5000)],
    });
    await writeFlush(t.sql, {
      deltas: [
        cell({ count: 3 }),
        cell({ measure: 'revenue', count: 1, sum: 5, sumsq: 25, min: 5, max: 5 }),
      ],
      leaves: [
        leafCell({ count: 2 }),
        leafCell({ leaf: '{"region":"eu-west"}' }),
        leafCell({ measure: 'revenue', count: 1, sum: 5, sumsq: 25 }),
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
    // Leaf cells add up across flushes like rollups.
    expect(byLeaf(await readLeaves(t.db, [W], ['purchase']))).toEqual({
      '{"device":"ios","region":"eu-west"} ': [4, 0, 0],
      '{"device":"ios","region":"eu-west"} revenue': [3, 35, 525],
      '{"region":"eu-west"} ': [1, 0, 0],
    });
    expect(await readLeaves(t.db, [W], ['other'])).toEqual([]);
    expect(await readLeaves(t.db, [], ['purchase'])).toEqual([]);

    const [stats] = await partitionStats(t.db);
    // Counters accumulate; the watermark never moves back.
    expect(stats).toMatchObject({ received: 5, folded: 4, quarantined: 1, nextOffset: 5 });
    expect(stats?.watermark?.getTime()).toBe(W + 5000);
    expect(await globalWatermark(t.sql, 60_000)).toBe(W + 5000);
  });

  it('is all or nothing: a failing statement leaves no rollups and no leaves behind', async () => {
    const bad = cell({ windowStart: W + 60_000, count: 1 });
    await expect(
      writeFlush(t.sql, {
        deltas: [bad],
        leaves: [leafCell({ windowStart: W + 60_000 })],
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
    expect(await readLeaves(t.db, [W + 60_000], ['purchase'])).toEqual([]);
  });

  it('writes the leaves in the same transaction as the rollups', async () => {
    // A leaf cell that fails (count is bigint): the rollups of the flush do not land either.
    const w = W + 2 * 60_000;
    await expect(
      writeFlush(t.sql, {
        deltas: [cell({ windowStart: w })],
        leaves: [
          leafCell({ windowStart: w }),
          leafCell({ windowStart: w, leaf: '{}', count: 0.5 }),
        ],
        quarantined: [],
        progress: [],
      }),
    ).rejects.toThrow(/bigint/);
    expect(await readRollups(t.db, [w], ['purchase'])).toEqual([]);
    expect(await readLeaves(t.db, [w], ['purchase'])).toEqual([]);
  });
});

describe('upsertLeafRollups', () => {
  it('stores any leaf: huge sums, lone surrogates, through a pool with json serialisers on', async () => {
    const plain = postgres(t.url, { max: 1, onnotice: () => undefined });
    try {
      await upsertLeafRollups(plain, [
        {
          windowStart: W + 5 * 60_000,
          eventType: 'odd\ud800',
          leaf: '{"region":"\udc00x"}',
          measure: 'ms',
          count: 1,
          sum: 2.5e304,
          sumsq: Infinity,
        },
      ]);
      const [row] = await readLeaves(t.db, [W + 5 * 60_000], ['odd\ufffd']);
      expect(row).toMatchObject({ leaf: '{"region":"\ufffdx"}', sum: 2.5e304, sumsq: Infinity });
    } finally {
      await plain.end();
    }
  });
});

describe('claimPartitions and writeFencedFlush', () => {
  const SOURCE = 'kafka:fencing';
  const W2 = W + 10 * 60_000;
  const part = (
    partition: number,
    generation: number,
    fromOffset: number,
    nextOffset: number,
    count: number,
  ): FencedPart => ({
    generation,
    fromOffset,
    deltas: [cell({ windowStart: W2, count })],
    // Every partition writes the same leaf cell: merged within a flush, added across flushes.
    leaves: [leafCell({ windowStart: W2, count }), leafCell({ windowStart: W2, leaf: '{}' })],
    quarantined: [],
    progress: {
      source: SOURCE,
      partition,
      watermark: W2 + nextOffset,
      nextOffset,
      received: count,
      folded: count,
      quarantined: 0,
    },
  });
  const total = async () => {
    const rollups = (await readRollups(t.db, [W2], ['purchase'])).find((r) => r.measure === '');
    const leaves = await readLeaves(t.db, [W2], ['purchase']);
    const leaf = leaves.find((r) => r.leaf !== '{}')?.count ?? 0;
    // The leaves of every part that landed, and of no other.
    expect(leaf).toBe(rollups?.count ?? 0);
    return leaf;
  };
  const emptyLeaf = async () =>
    (await readLeaves(t.db, [W2], ['purchase'])).find((r) => r.leaf === '{}')?.count ?? 0;

  it('creates rows on the first claim and bumps the generation on every claim', async () => {
    const first = await claimPartitions(t.sql, { source: SOURCE, owner: 'a', partitions: [1, 0] });
    expect(first).toEqual([
      { partition: 0, generation: 1, nextOffset: 0, watermark: null },
      { partition: 1, generation: 1, nextOffset: 0, watermark: null },
    ]);
    const again = await claimPartitions(t.sql, { source: SOURCE, owner: 'a', partitions: [0] });
    expect(again).toEqual([{ partition: 0, generation: 2, nextOffset: 0, watermark: null }]);
  });

  it('writes owned partitions, drops fenced ones, acknowledges repeats', async () => {
    // Worker A holds partition 0 at generation 2 and partition 1 at generation 1.
    expect(await writeFencedFlush(t.sql, [part(0, 2, 0, 10, 10), part(1, 1, 0, 5, 5)])).toEqual([
      'written',
      'written',
    ]);
    expect(await total()).toBe(15);
    expect(await emptyLeaf()).toBe(2);

    // Worker B takes partition 1 over: it resumes at A's offset and fences A.
    const [claimed] = await claimPartitions(t.sql, { source: SOURCE, owner: 'b', partitions: [1] });
    expect(claimed).toMatchObject({ partition: 1, generation: 2, nextOffset: 5 });
    expect(claimed?.watermark).toBe(W2 + 5);

    // A's next flush: partition 0 still lands, partition 1 is refused.
    expect(await writeFencedFlush(t.sql, [part(0, 2, 10, 12, 2), part(1, 1, 5, 9, 4)])).toEqual([
      'written',
      'fenced',
    ]);
    expect(await total()).toBe(17);
    expect(await emptyLeaf()).toBe(3); // the fenced part wrote no leaf

    // B writes partition 1 from offset 5; the same flush again (its reply lost) is not re-applied.
    const b = part(1, 2, 5, 9, 4);
    expect(await writeFencedFlush(t.sql, [b])).toEqual(['written']);
    expect(await writeFencedFlush(t.sql, [b])).toEqual(['already']);
    expect(await total()).toBe(21);

    // A flush that does not continue from the stored offset is refused (compare-and-set).
    expect(await writeFencedFlush(t.sql, [part(0, 2, 11, 15, 3)])).toEqual(['fenced']);
    expect(await total()).toBe(21);
    expect(await emptyLeaf()).toBe(4);

    const stats = (await partitionStats(t.db)).filter((r) => r.source === SOURCE);
    expect(stats.map((r) => [r.partition, r.nextOffset, r.received, r.owner])).toEqual([
      [0, 12, 12, 'a'],
      [1, 9, 9, 'b'],
    ]);
  });

  it('orders a claim after a flush in progress (row lock)', async () => {
    const [c] = await claimPartitions(t.sql, { source: SOURCE, owner: 'a', partitions: [2] });
    const gen = c!.generation;
    // Hold the flush's transaction open after its lock, and claim meanwhile.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const flushing = t.sql.begin(async (tx) => {
      await tx`select 1 from source_partitions where source = ${SOURCE} and partition = 2 for update`;
      await tx`update source_partitions set next_offset = 3 where source = ${SOURCE} and partition = 2 and generation = ${gen}`;
      await gate;
    });
    const claiming = claimPartitions(t.sql, { source: SOURCE, owner: 'b', partitions: [2] });
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await flushing;
    expect(await claiming).toEqual([
      { partition: 2, generation: gen + 1, nextOffset: 3, watermark: null },
    ]);
  });
});

/**
 * A claimed source partition's flushes are fenced: a worker that lost its claim writes nothing,
 * and a restarted worker continues the stored position.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import { TOTAL } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { partitionStats, readRollups } from '@/db/queries/stream';
import { SourcePartition } from './partition';

const log = createLogger('test', 'silent');
const W = 60_000;
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

async function openWorker(owner: string) {
  const partition = await SourcePartition.claim(
    { sql: t.sql, log },
    {
      source: 'sim',
      partition: 0,
      owner,
      windowMs: W,
      outOfOrderMs: 1000,
      allowedLatenessMs: 0,
      maxValuesPerDim: 50,
    },
  );
  return { pipeline: partition.pipeline, partition };
}

const now = Date.now();
const start = Math.floor(now / W) * W - 10 * W;
const line = (i: number) =>
  JSON.stringify({ ts: start + i * 10, type: 'purchase', dims: { region: 'eu' }, measures: {} });

async function purchases(): Promise<number> {
  const rows = await readRollups(t.db, [start], ['purchase']);
  return rows.find((r) => r.dim === TOTAL && r.measure === '')?.count ?? 0;
}

describe('fenced flushes of a claimed source partition', () => {
  it('a worker whose partition was claimed by another writes nothing', async () => {
    const a = await openWorker('a');
    for (let i = 0; i < 100; i++) a.pipeline.ingestLine(line(i), now);
    expect(await a.partition.flush()).toBe('ok');

    const b = await openWorker('b'); // fences a
    for (let i = 100; i < 150; i++) a.pipeline.ingestLine(line(i), now);
    expect(await a.partition.flush()).toBe('fenced');
    expect(await purchases()).toBe(100);

    // b continues from the stored position: offsets and counts add up.
    for (let i = 100; i < 130; i++) b.pipeline.ingestLine(line(i), now);
    expect(await b.partition.flush()).toBe('ok');
    expect(await purchases()).toBe(130);
    const [stats] = await partitionStats(t.db);
    expect(stats).toMatchObject({ nextOffset: 130, received: 130, folded: 130, quarantined: 0 });
  });
});

describe('dimension overflow', () => {
  it("warns once per dimension whose values overflowed into '(other)', for every source", async () => {
    const warnings = createLogger('test', 'silent');
    const warn = vi.spyOn(warnings, 'warn');
    const partition = await SourcePartition.claim(
      { sql: t.sql, log: warnings },
      {
        source: 'overflow',
        partition: 0,
        owner: 'o',
        windowMs: W,
        outOfOrderMs: 1000,
        allowedLatenessMs: 0,
        maxValuesPerDim: 2,
      },
    );
    const event = (region: string) =>
      JSON.stringify({ ts: start, type: 'purchase', dims: { region }, measures: {} });
    for (const region of ['a', 'b', 'c', 'd']) partition.pipeline.ingestLine(event(region), now);
    expect(await partition.flush()).toBe('ok');
    partition.pipeline.ingestLine(event('e'), now);
    expect(await partition.flush()).toBe('ok');
    const overflow = warn.mock.calls.filter(([, message]) => String(message).includes('(other)'));
    expect(overflow).toHaveLength(1);
    expect(overflow[0]![0]).toMatchObject({ dim: 'region', limit: 2, source: 'overflow' });
  });
});

describe('the per-flush cap on leaf rows', () => {
  it("folds the rarest combinations into '(other)', keeps totals, and counts the events", async () => {
    const partition = await SourcePartition.claim(
      { sql: t.sql, log },
      {
        source: 'wide',
        partition: 0,
        owner: 'w',
        windowMs: W,
        outOfOrderMs: 1000,
        allowedLatenessMs: 0,
        maxValuesPerDim: 200,
        maxLeafRows: 10,
      },
    );
    // 40 users, user i sending i + 1 events: 820 events in 40 leaves.
    let n = 0;
    for (let u = 0; u < 40; u++) {
      for (let i = 0; i <= u; i++) {
        partition.pipeline.ingestLine(
          JSON.stringify({ ts: start + n++, type: 'tap', dims: { user: `u${u}` }, measures: {} }),
          now,
        );
      }
    }
    expect(await partition.flush()).toBe('ok');
    const leaves = await t.sql<{ leaf: string; count: number }[]>`
      select leaf, count::int from leaf_rollups where event_type = 'tap' order by count desc`;
    expect(leaves).toHaveLength(10);
    expect(leaves.reduce((s, l) => s + l.count, 0)).toBe(820);
    const other = leaves.find((l) => l.leaf === '{"user":"(other)"}');
    // Nine busiest users (40 … 32 events) keep theirs; the other 31 users' 496 events fold.
    expect(other?.count).toBe(496);
    const [row] = await t.sql<{ folded: number; leafEventsFolded: number }[]>`
      select folded::int, leaf_events_folded::int as "leafEventsFolded"
      from source_partitions where source = 'wide'`;
    expect(row).toEqual({ folded: 820, leafEventsFolded: 496 });
    const rows = await readRollups(t.db, [start], ['tap']);
    expect(rows.find((r) => r.dim === TOTAL && r.measure === '')?.count).toBe(820);
    expect(rows.filter((r) => r.dim === 'user')).toHaveLength(40);
  });
});

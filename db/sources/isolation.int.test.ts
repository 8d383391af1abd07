/**
 * A flush PostgreSQL refuses for its data does not stall its partition: the refused events are
 * isolated and quarantined as `unwritable`, the rest lands once, and accounting balances. The
 * refusals are made with CHECK constraints on this test's own database: validation lets no
 * known poison through any more, and these stand for whatever it may not know of yet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import type { PulseEvent } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { storedFoldProblems } from '@/db/testing/rollups';
import { partitionStats } from '@/db/queries/stream';
import { SourcePartition, writePartitions } from './partition';

const log = createLogger('test', 'silent');
const W = 60_000;
const now = Date.now();
const start = Math.floor(now / W) * W - 5 * W;
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  // A dimension value, a leaf and a value that only fails in numbers (class 23514 each).
  await t.sql`alter table rollups add constraint test_poison_value check (value <> 'poison')`;
  await t.sql`alter table leaf_rollups add constraint test_poison_leaf
    check (leaf not like '%leafpoison%')`;
  await t.sql`alter table rollups add constraint test_crowd check (value <> 'crowd' or count < 5)`;
});
afterAll(() => t.drop());

const spec = (source: string, partition = 0) => ({
  source,
  partition,
  owner: 'test',
  windowMs: W,
  outOfOrderMs: 1000,
  allowedLatenessMs: 0,
  maxValuesPerDim: 50,
});

function event(i: number, region: string, device = 'ios'): PulseEvent {
  return {
    ts: start + i * 37,
    type: 'purchase',
    dims: { region, device },
    measures: { amount: (i % 7) + 0.5 },
  };
}
const line = (e: PulseEvent) => JSON.stringify(e);

async function quarantineOf(source: string) {
  return t.sql<{ reason: string; detail: string; raw: string; source_offset: string }[]>`
    select reason, detail, raw, source_offset from quarantine where source = ${source}
    order by source_offset`;
}

async function statsOf(source: string) {
  return (await partitionStats(t.db)).filter((s) => s.source === source);
}

describe('isolating events PostgreSQL refuses', () => {
  it('quarantines the refused events as unwritable, writes the rest once, and goes on', async () => {
    const partition = await SourcePartition.claim({ sql: t.sql, log }, spec('iso'));
    const events: PulseEvent[] = [];
    for (let i = 0; i < 200; i++) {
      const region = i % 61 === 5 ? 'poison' : 'eu-west';
      events.push(event(i, region, i % 53 === 7 ? 'leafpoison' : 'ios'));
    }
    for (const e of events) partition.pipeline.ingestLine(line(e), now);
    expect(await partition.flush()).toBe('ok');
    expect(partition.backlogged).toBe(false);

    const refused = events
      .map((e, offset) => ({ e, offset }))
      .filter(({ e }) => e.dims.region === 'poison' || e.dims.device === 'leafpoison');
    expect(refused.length).toBe(8);
    const stored = await quarantineOf('iso');
    expect(stored.map((q) => Number(q.source_offset))).toEqual(refused.map((r) => r.offset));
    for (const [i, q] of stored.entries()) {
      expect(q.reason).toBe('unwritable');
      expect(q.raw).toBe(line(refused[i]!.e));
      expect(q.detail).toMatch(/^PostgreSQL refused to store it: .*check constraint "test_poison/);
    }
    const valid = events.filter((e) => !refused.some((r) => r.e === e));
    expect(await storedFoldProblems(t.db, valid, W)).toEqual([]);
    expect(await statsOf('iso')).toMatchObject([
      { nextOffset: 200, received: 200, folded: 192, quarantined: 8 },
    ]);

    // Nothing is stuck: the next clean event lands with the next flush.
    partition.pipeline.ingestLine(line(event(300, 'us-east')), now);
    expect(await partition.flush()).toBe('ok');
    expect(await storedFoldProblems(t.db, [...valid, event(300, 'us-east')], W)).toEqual([]);
    await t.sql`truncate rollups, leaf_rollups`;
  });

  it('isolates events that are refused only together, keeping as many as fit', async () => {
    // count < 5 for value "crowd": the first four events of a window land, later ones cannot.
    const partition = await SourcePartition.claim({ sql: t.sql, log }, spec('crowd'));
    const events = Array.from({ length: 7 }, (_, i) => event(i, 'crowd'));
    for (const e of events) partition.pipeline.ingestLine(line(e), now);
    expect(await partition.flush()).toBe('ok');
    const stored = await quarantineOf('crowd');
    expect(stored.map((q) => Number(q.source_offset))).toEqual([4, 5, 6]);
    expect(await storedFoldProblems(t.db, events.slice(0, 4), W)).toEqual([]);
    expect(await statsOf('crowd')).toMatchObject([{ received: 7, folded: 4, quarantined: 3 }]);
    await t.sql`truncate rollups, leaf_rollups`;
  });

  it('isolates within each partition of a multi-partition flush (Kafka)', async () => {
    const a = await SourcePartition.claim({ sql: t.sql, log }, spec('multi', 0));
    const b = await SourcePartition.claim({ sql: t.sql, log }, spec('multi', 1));
    const good = [event(1, 'eu-west'), event(2, 'us-east'), event(3, 'eu-west')];
    a.pipeline.ingestLine(line(good[0]!), now, 10);
    a.pipeline.ingestLine(line(event(4, 'poison')), now, 11);
    b.pipeline.ingestLine(line(good[1]!), now, 20);
    b.pipeline.ingestLine(line(good[2]!), now, 21);
    expect(a.prepare() && b.prepare()).toBe(true);
    expect(await writePartitions({ sql: t.sql }, [a, b])).toEqual(['written', 'written']);
    expect(await storedFoldProblems(t.db, good, W)).toEqual([]);
    expect((await quarantineOf('multi')).map((q) => Number(q.source_offset))).toEqual([11]);
    expect(await statsOf('multi')).toMatchObject([
      { partition: 0, nextOffset: 12, received: 2, folded: 1, quarantined: 1 },
      { partition: 1, nextOffset: 22, received: 2, folded: 2, quarantined: 0 },
    ]);
    await t.sql`truncate rollups, leaf_rollups`;
  });

  it('isolates inside a caller’s transaction too (re-ingest writes with writeIn)', async () => {
    const events = [event(1, 'eu-west'), event(2, 'poison'), event(3, 'us-east')];
    await t.sql.begin(async (tx) => {
      const partition = await SourcePartition.lockIn(tx, { sql: t.sql, log }, spec('in'));
      for (const e of events) partition.pipeline.ingestLine(line(e), now);
      const drained = await partition.writeIn(tx);
      expect(drained.folded).toBe(2);
      expect(drained.quarantined.map((q) => q.reason)).toEqual(['unwritable']);
    });
    expect(await storedFoldProblems(t.db, [events[0]!, events[2]!], W)).toEqual([]);
    expect(await statsOf('in')).toMatchObject([{ received: 3, folded: 2, quarantined: 1 }]);
    await t.sql`truncate rollups, leaf_rollups`;
  });

  it('keeps holding and retrying a batch when the failure is not the data (lock timeout)', async () => {
    const partition = await SourcePartition.claim({ sql: t.sql, log }, spec('held'));
    partition.pipeline.ingestLine(line(event(1, 'eu-west')), now);
    // Another transaction holds the partition's progress row: the flush times out on its lock.
    let release!: () => void;
    const holding = t.sql.begin(async (tx) => {
      await tx`select 1 from source_partitions where source = 'held' for update`;
      await new Promise<void>((resolve) => (release = resolve));
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(await partition.flush()).toBe('failed');
    expect(partition.backlogged).toBe(true);
    expect(await quarantineOf('held')).toEqual([]);
    release();
    await holding;
    expect(await partition.flush()).toBe('ok');
    expect(await statsOf('held')).toMatchObject([{ received: 1, folded: 1, quarantined: 0 }]);
  }, 20_000);
});

/**
 * The stdin/simulator path's flushes are fenced like the Kafka path's: a worker that lost its
 * claim writes nothing, and a restarted worker continues the stored position.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import { Pipeline } from '@/lib/stream/pipeline';
import { TOTAL } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { claimPartitions, partitionStats, readRollups } from '@/db/queries/stream';
import { Flusher } from './flusher';

const log = createLogger('test', 'silent');
const W = 60_000;
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

async function openWorker(owner: string) {
  const [claim] = await claimPartitions(t.sql, { source: 'sim', owner, partitions: [0] });
  const pipeline = new Pipeline({
    source: 'sim',
    partition: 0,
    windowMs: W,
    outOfOrderMs: 1000,
    allowedLatenessMs: 0,
    maxValuesPerDim: 50,
    resumeFrom: { nextOffset: claim!.nextOffset, watermark: claim!.watermark },
  });
  return { pipeline, flusher: new Flusher(t.sql, { source: 'sim', ...claim! }, log) };
}

const now = Date.now();
const start = Math.floor(now / W) * W - 10 * W;
const line = (i: number) =>
  JSON.stringify({ ts: start + i * 10, type: 'purchase', dims: { region: 'eu' }, measures: {} });

async function purchases(): Promise<number> {
  const rows = await readRollups(t.db, [start], ['purchase']);
  return rows.find((r) => r.dim === TOTAL && r.measure === '')?.count ?? 0;
}

describe('fenced flushes on the stdin path', () => {
  it('a worker whose partition was claimed by another writes nothing', async () => {
    const a = await openWorker('a');
    for (let i = 0; i < 100; i++) a.pipeline.ingestLine(line(i), now);
    expect(await a.flusher.flush(a.pipeline)).toBe('ok');

    const b = await openWorker('b'); // fences a
    for (let i = 100; i < 150; i++) a.pipeline.ingestLine(line(i), now);
    expect(await a.flusher.flush(a.pipeline)).toBe('fenced');
    expect(await purchases()).toBe(100);

    // b continues from the stored position: offsets and counts add up.
    for (let i = 100; i < 130; i++) b.pipeline.ingestLine(line(i), now);
    expect(await b.flusher.flush(b.pipeline)).toBe('ok');
    expect(await purchases()).toBe(130);
    const [stats] = await partitionStats(t.db);
    expect(stats).toMatchObject({ nextOffset: 130, received: 130, folded: 130, quarantined: 0 });
  });
});

/**
 * Re-ingest of quarantined events against a real PostgreSQL: exactly once (the same ids twice,
 * or two requests at once, fold each event once), accounting balances, truncated payloads are
 * refused, and late events are folded into their (already scored) window, which is queued for
 * re-scoring.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTAL, type QuarantinedEvent } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { createUser } from '@/db/queries/auth';
import { REINGEST_SOURCE, reingestQuarantined, type ReingestRequest } from './reingest';
import { partitionStats, readRollups, writeFlush } from '@/db/queries/stream';

const W = 60_000;
const NOW = Date.now();
const RECENT = Math.floor(NOW / W) * W - 5 * W;
/** Far past any lateness: the pipeline would quarantine it as `late` without the bypass. */
const OLD = RECENT - 24 * 60 * W;

let t: TestDatabase;
let adminId: number;
beforeAll(async () => {
  t = await createTestDatabase();
  adminId = (await createUser(t.db, { username: 'root', passwordHash: 'x', role: 'admin' })).id;
});
afterAll(() => t.drop());

const event = (ts: number, region = 'eu') =>
  JSON.stringify({ ts, type: 'purchase', dims: { region }, measures: { amount: 10 } });

/** Stores quarantine rows (as a worker's flush would) and returns their ids, in order. */
async function quarantineRows(rows: Partial<QuarantinedEvent>[]): Promise<number[]> {
  const events: QuarantinedEvent[] = rows.map((r) => ({
    reason: 'schema',
    detail: 'stored for the test',
    raw: '',
    source: 'kafka:events',
    partition: 3,
    offset: 99,
    ...r,
    rawSize: r.rawSize ?? Buffer.byteLength(r.raw ?? ''),
  }));
  await writeFlush(t.sql, { deltas: [], quarantined: events, progress: [] });
  const stored = await t.sql<{ id: string }[]>`
    select id from quarantine order by id desc limit ${events.length}`;
  return stored.map((r) => Number(r.id)).reverse();
}

const request = (ids: number[]): ReingestRequest => ({
  ids,
  userId: adminId,
  windowMs: W,
  outOfOrderMs: 1000,
  maxValuesPerDim: 50,
  now: NOW,
});

async function purchases(windowStart: number): Promise<number> {
  const rows = await readRollups(t.db, [windowStart], ['purchase']);
  return rows.find((r) => r.dim === TOTAL && r.measure === '')?.count ?? 0;
}

async function reingestProgress() {
  return (await partitionStats(t.db)).find((p) => p.source === REINGEST_SOURCE);
}

describe('reingestQuarantined', () => {
  it('folds fixed events once, re-quarantines invalid ones, refuses truncated ones', async () => {
    const ids = await quarantineRows([
      { raw: event(RECENT + 1000) }, // valid now (the fix)
      { raw: event(RECENT + 2000, 'us') },
      { raw: '{"ts": nope', reason: 'malformed_json' }, // still broken
      { raw: event(RECENT).slice(0, 20), rawSize: 5000, reason: 'too_large' }, // truncated
    ]);
    const [a, b, broken, truncated] = ids as [number, number, number, number];

    const first = await reingestQuarantined(t.sql, request([b, a, broken, truncated, 999_999]));
    expect(first).toMatchObject({
      requested: 5,
      reingested: 3,
      folded: 2,
      quarantined: 1,
      quarantinedByReason: { malformed_json: 1 },
      alreadyReingested: [],
      missing: [999_999],
    });
    expect(first.refused).toEqual([
      expect.objectContaining({ id: truncated, reason: 'truncated' }),
    ]);
    expect(first.refused[0]!.message).toMatch(/truncated.*cannot be re-ingested/);
    expect(first.rows).toBeGreaterThan(0);
    expect(await purchases(RECENT)).toBe(2);

    // Accounting of the reingest partition: received = folded + quarantined; no watermark.
    expect(await reingestProgress()).toMatchObject({
      partition: 0,
      received: 3,
      folded: 2,
      quarantined: 1,
      nextOffset: 3,
      watermark: null,
    });

    // The still-broken event is quarantined again, as the reingest source, pointing back.
    const [again] = await t.sql<{ source: string; reason: string; detail: string }[]>`
      select source, reason, detail from quarantine where source = ${REINGEST_SOURCE}`;
    expect(again).toMatchObject({ source: REINGEST_SOURCE, reason: 'malformed_json' });
    expect(again!.detail).toContain(`re-ingest of #${broken}`);

    // Originals are marked with who and when; the truncated one is not.
    const marks = await t.sql<{ id: string; reingested_by: number | null; at: boolean }[]>`
      select id, reingested_by, reingested_at is not null as at from quarantine
      where id = any(${`{${ids.join(',')}}`}::bigint[]) order by id`;
    expect(marks.map((m) => [Number(m.id), m.reingested_by, m.at])).toEqual([
      [a, adminId, true],
      [b, adminId, true],
      [broken, adminId, true],
      [truncated, null, false],
    ]);

    // The same ids again: nothing folds twice, nothing is counted twice.
    const second = await reingestQuarantined(t.sql, request(ids));
    expect(second).toMatchObject({
      reingested: 0,
      folded: 0,
      quarantined: 0,
      alreadyReingested: [a, b, broken],
    });
    expect(second.refused.map((r) => r.id)).toEqual([truncated]);
    expect(await purchases(RECENT)).toBe(2);
    expect(await reingestProgress()).toMatchObject({ received: 3, folded: 2, quarantined: 1 });
  });

  it('two requests for the same rows at once fold each event exactly once', async () => {
    const ids = await quarantineRows(
      Array.from({ length: 20 }, (_, i) => ({ raw: event(RECENT + W + i * 100) })),
    );
    const results = await Promise.all([
      reingestQuarantined(t.sql, request(ids)),
      reingestQuarantined(t.sql, request([...ids].reverse())),
    ]);
    expect(results.map((r) => r.folded).sort()).toEqual([0, 20]);
    expect(results.map((r) => r.alreadyReingested.length).sort()).toEqual([0, 20]);
    expect(await purchases(RECENT + W)).toBe(20);
    const progress = await reingestProgress();
    expect(progress!.received).toBe(progress!.folded + progress!.quarantined);
    expect(progress).toMatchObject({ received: 23, nextOffset: 23 });
  });

  it('folds a late event into its old window, which is queued for re-scoring', async () => {
    // The detector has scored every window up to now.
    await t.sql`
      insert into detector_progress (id, scored_through, window_ms)
      values (1, ${new Date(RECENT).toISOString()}::timestamptz, ${W})
      on conflict (id) do update set scored_through = excluded.scored_through`;
    const [late] = await quarantineRows([{ raw: event(OLD + 500), reason: 'late' }]);
    const result = await reingestQuarantined(t.sql, request([late!]));
    expect(result).toMatchObject({ reingested: 1, folded: 1, quarantined: 0 });
    expect(await purchases(OLD)).toBe(1);
    const queued = await t.sql<{ revision: boolean }[]>`
      select revision from scoring_queue
      where window_start = ${new Date(OLD).toISOString()}::timestamptz`;
    expect(queued).toEqual([{ revision: true }]);
  });

  it('an empty or unknown selection writes nothing', async () => {
    const before = await reingestProgress();
    expect(await reingestQuarantined(t.sql, request([]))).toMatchObject({
      requested: 0,
      reingested: 0,
    });
    expect(await reingestQuarantined(t.sql, request([123_456_789]))).toMatchObject({
      missing: [123_456_789],
      reingested: 0,
    });
    expect(await reingestProgress()).toEqual(before);
  });
});

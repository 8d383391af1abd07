import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORED_TABLES } from '@/lib/retention/policy';
import { QUARANTINE_REASONS, type QuarantinedEvent } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { loadHealth } from './health';
import { writeFlush } from './stream';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const W = Date.UTC(2026, 10, 22, 12, 0);

const bad = (reason: QuarantinedEvent['reason'], n: number, source = 'http'): QuarantinedEvent => ({
  reason,
  detail: `${reason} #${n}`,
  raw: `{"n":${n}}`,
  rawSize: 1000 + n,
  source,
});

describe('loadHealth', () => {
  it('is empty on a fresh database, with every reason at zero', async () => {
    const health = await loadHealth(t.db);
    expect(health.partitions).toEqual([]);
    expect(health.totals).toEqual({
      partitions: 0,
      received: 0,
      folded: 0,
      quarantined: 0,
      leafEventsFolded: 0,
      balanced: true,
      idle: 0,
    });
    expect(health.reasons).toEqual(QUARANTINE_REASONS.map((reason) => ({ reason, count: 0 })));
    expect(health.latest).toEqual([]);
    expect(health.notifications).toEqual({
      windowMs: 24 * 3_600_000,
      outbox: { pending: 0, sending: 0, oldestDueMs: 0 },
      channels: [],
    });
  });

  it('counts quarantine by reason, flags balance, lists the newest first', async () => {
    await writeFlush(t.sql, {
      deltas: [],
      quarantined: [bad('schema', 1), bad('late', 2), bad('schema', 3)],
      progress: [
        {
          source: 'http',
          partition: 0,
          watermark: W,
          nextOffset: 10,
          received: 10,
          folded: 7,
          quarantined: 3,
        },
      ],
    });
    await writeFlush(t.sql, {
      deltas: [],
      quarantined: [bad('malformed_json', 4, 'simulator')],
      progress: [
        {
          source: 'http',
          partition: 0,
          watermark: W + 5000,
          nextOffset: 15,
          received: 5,
          folded: 5,
          quarantined: 0,
        },
        // A partition whose counters do not add up (what the page must expose).
        {
          source: 'simulator',
          partition: 1,
          watermark: null,
          nextOffset: 4,
          received: 4,
          folded: 2,
          quarantined: 1,
        },
      ],
    });

    const health = await loadHealth(t.db);

    expect(health.partitions.map((p) => [p.source, p.partition, p.balanced])).toEqual([
      ['http', 0, true],
      ['simulator', 1, false],
    ]);
    const http = health.partitions[0]!;
    expect(http).toMatchObject({
      received: 15,
      folded: 12,
      quarantined: 3,
      watermark: W + 5000,
      nextOffset: 15,
      owner: null,
      idle: false,
    });
    expect(Math.abs(http.updatedAt - Date.now())).toBeLessThan(60_000);
    expect(health.partitions[1]!.watermark).toBeNull();
    expect(health.totals).toEqual({
      partitions: 2,
      received: 19,
      folded: 14,
      quarantined: 4,
      leafEventsFolded: 0,
      balanced: false,
      idle: 0,
    });

    const counts = Object.fromEntries(health.reasons.map((r) => [r.reason, r.count]));
    expect(counts).toEqual({
      malformed_json: 1,
      schema: 2,
      too_large: 0,
      bad_timestamp: 0,
      future: 0,
      late: 1,
      unwritable: 0,
    });
    expect(health.reasons.map((r) => r.reason)).toEqual([...QUARANTINE_REASONS]);

    expect(health.latest.map((e) => e.detail)).toEqual([
      'malformed_json #4',
      'schema #3',
      'late #2',
      'schema #1',
    ]);
    const newest = health.latest[0]!;
    expect(newest).toMatchObject({
      source: 'simulator',
      reason: 'malformed_json',
      raw: '{"n":4}',
      rawSize: 1004,
    });
    expect(typeof newest.id).toBe('number');
    expect(typeof newest.receivedAt).toBe('number');
  });

  it('limits the latest list and marks partitions without recent updates as idle', async () => {
    await t.sql`update source_partitions set updated_at = now() - interval '2 minutes'
                where source = 'simulator'`;
    const health = await loadHealth(t.db, { latest: 2 });
    expect(health.latest.map((e) => e.detail)).toEqual(['malformed_json #4', 'schema #3']);
    expect(health.partitions.map((p) => p.idle)).toEqual([false, true]);
    expect(health.totals.idle).toBe(1);
  });

  it('weighs every stored table and finds the oldest data each keeps', async () => {
    const fresh = await loadHealth(t.db);
    expect(fresh.storage.map((s) => s.table)).toEqual([...STORED_TABLES]);
    const before = Object.fromEntries(fresh.storage.map((s) => [s.table, s]));
    expect(before.rollups).toMatchObject({ partitions: 0, oldest: null });
    await writeFlush(t.sql, {
      deltas: [W, W - 86_400_000].map((windowStart) => ({
        windowStart,
        eventType: 'purchase',
        dim: '*',
        value: '*',
        measure: '',
        count: 2,
        sum: 0,
        sumsq: 0,
        min: 0,
        max: 0,
      })),
      quarantined: [],
      progress: [],
    });
    const storage = Object.fromEntries((await loadHealth(t.db)).storage.map((s) => [s.table, s]));
    expect(storage.rollups).toMatchObject({ partitions: 0, oldest: W - 86_400_000 });
    // Everything so far sits in the default partition: no maintenance pass ran here.
    expect(storage.rollups!.bytes).toBe(storage.rollups!.defaultBytes);
    expect(storage.rollups!.bytes).toBeGreaterThan(0);
    const [first] = await t.sql<{ ms: number }[]>`
      select (extract(epoch from min(received_at)) * 1000)::float8 as ms from quarantine`;
    expect(storage.quarantine!.oldest).toBe(first!.ms);
    expect(storage.anomalies).toMatchObject({ partitions: 0, defaultBytes: null, oldest: null });
  });
});

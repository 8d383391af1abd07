import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import { DAY_MS, type RetentionPolicy } from '@/lib/retention/policy';
import { createDb } from '@/db/client';
import { listPartitions } from '@/db/queries/retention';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { createRetention, startRetention } from './retention';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const log = createLogger('test', 'silent');
const NOW = Date.UTC(2026, 11, 5, 19, 30);
const policy: RetentionPolicy = {
  rollupsMs: 90 * DAY_MS,
  leafCubeMs: 7 * DAY_MS,
  pointsMs: 90 * DAY_MS,
  quarantineMs: 14 * DAY_MS,
  workerMetricsMs: 600_000,
};

describe('the retention service', () => {
  it('runs a pass only while it holds the maintenance lock', async () => {
    const other = createDb(t.url, { max: 2 });
    const service = createRetention({ handle: t, log, policy, now: () => NOW });
    try {
      const conn = await other.sql.reserve();
      await conn`select pg_advisory_lock(${0x72657431})`; // another worker is in a pass
      expect(await service.runOnce()).toBeNull();
      expect((await listPartitions(t.db, 'rollups')).ranges).toEqual([]);
      await conn`select pg_advisory_unlock(${0x72657431})`;
      conn.release();

      const pass = await service.runOnce();
      // Four tables × (7 days back, as old as an event may be, today and 2 ahead).
      expect(pass?.partitions.created).toHaveLength(40);
      expect(pass?.retention.dropped).toEqual([]);
      const names = (await listPartitions(t.db, 'rollups')).ranges.map((r) => r.name);
      expect([names[0], names.at(-1), names.length]).toEqual([
        'rollups_p20261128',
        'rollups_p20261207',
        10,
      ]);
      // The lock is free again: another worker's pass finds nothing left to do.
      const second = createRetention({ handle: other, log, policy, now: () => NOW });
      expect((await second.runOnce())?.partitions.created).toEqual([]);
    } finally {
      await service.stop();
      await other.close();
    }
  });

  it('runs at start and then on its interval, and stops', async () => {
    let clock = NOW + 3 * DAY_MS;
    const loop = startRetention({ handle: t, log, policy, now: () => clock, intervalMs: 50 });
    const names = async () => (await listPartitions(t.db, 'quarantine')).ranges.map((r) => r.name);
    await expect.poll(names).toContain('quarantine_p20261210');
    clock += DAY_MS;
    await expect.poll(names).toContain('quarantine_p20261211');
    await loop.stop();
    expect(await loop.runOnce()).toBeNull();
  });
});

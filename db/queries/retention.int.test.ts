import { sql as dsql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PARTITIONED_TABLE_NAMES, partitionName } from '@/lib/retention/partitions';
import { DAY_MS, STORED_TABLES, type RetentionPolicy } from '@/lib/retention/policy';
import { TOTAL } from '@/lib/types';
import { createDb } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  OLDEST_DATA,
  applyRetention,
  ensurePartitions,
  listPartitions,
  tableStorage,
} from './retention';
import { writeFlush } from './stream';

let t: TestDatabase;
let metricId: number;
beforeAll(async () => {
  t = await createTestDatabase();
  const [m] = await t.sql<{ id: number }[]>`
    insert into metrics (key, name, kind, event_type) values ('views', 'Views', 'count', 'page_view')
    returning id`;
  metricId = m!.id;
});
afterAll(() => t.drop());

const NOW = Date.UTC(2026, 11, 5, 19, 30);
const TODAY = Date.UTC(2026, 11, 5);
const days = (n: number) => n * DAY_MS;
const POLICY: RetentionPolicy = {
  rollupsMs: days(90),
  leafCubeMs: days(7),
  pointsMs: days(90),
  quarantineMs: days(14),
  workerMetricsMs: 600_000,
};
const iso = (ms: number) => new Date(ms).toISOString();
/** Today and the days ahead only: these tests place rows in days before today themselves. */
const NEAR = { daysBack: 0 };

/** One row in each partitioned table at `ms` (distinct by `n`). */
async function insertRows(ms: number, n = 1): Promise<void> {
  await t.sql`
    insert into rollups (window_start, event_type, dim, value, measure, count, sum, sumsq, min, max)
    values (${iso(ms)}::timestamptz, 'page_view', ${TOTAL}, ${TOTAL}, '', ${n}, ${n}, ${n * n}, 0, ${n})`;
  await t.sql`
    insert into leaf_rollups (window_start, event_type, leaf, measure, count, sum, sumsq)
    values (${iso(ms)}::timestamptz, 'page_view', '{"n":"' || ${n} || '"}', '', ${n}, 0, 0)`;
  await t.sql`
    insert into metric_points (metric_id, window_start, value, volume, status)
    values (${metricId}, ${iso(ms)}::timestamptz, ${n}, ${n}, 'ok')
    on conflict do nothing`;
  await t.sql`
    insert into quarantine (received_at, source, reason, detail, raw, raw_size)
    values (${iso(ms)}::timestamptz, 'test', 'schema', 'x', '{}', 2)`;
}

/** Rows of `table` per partition it sits in. */
async function placement(table: string): Promise<Record<string, number>> {
  const rows = await t.sql<{ part: string; n: number }[]>`
    select tableoid::regclass::text as part, count(*)::int as n
    from ${t.sql(table)} group by 1 order by 1`;
  return Object.fromEntries(rows.map((r) => [r.part, r.n]));
}

async function dropDayPartitions(): Promise<void> {
  for (const table of PARTITIONED_TABLE_NAMES) {
    for (const p of (await listPartitions(t.db, table)).ranges) {
      await t.sql.unsafe(`drop table "${p.name}"`);
    }
    await t.sql.unsafe(`truncate "${table}"`);
  }
}

beforeEach(dropDayPartitions);

describe('the partitioned tables', () => {
  it('start with a default partition only, which takes a row for any day', async () => {
    for (const table of PARTITIONED_TABLE_NAMES) {
      expect(await listPartitions(t.db, table)).toEqual({
        ranges: [],
        defaultPartition: `${table}_default`,
      });
    }
    // Through the flush the stream uses, for a day no partition covers.
    await writeFlush(t.sql, {
      deltas: [
        {
          windowStart: Date.UTC(2031, 0, 1),
          eventType: 'page_view',
          dim: TOTAL,
          value: TOTAL,
          measure: '',
          count: 3,
          sum: 0,
          sumsq: 0,
          min: 0,
          max: 0,
        },
      ],
      quarantined: [{ reason: 'schema', detail: 'd', raw: '{}', rawSize: 2, source: 'test' }],
      progress: [],
    });
    expect(await placement('rollups')).toEqual({ rollups_default: 1 });
    expect(await placement('quarantine')).toEqual({ quarantine_default: 1 });
  });
});

describe('ensurePartitions', () => {
  it('creates today and two days ahead for every table, and is idempotent', async () => {
    const report = await ensurePartitions(t.db, NOW, POLICY, NEAR);
    expect(report.skipped).toEqual([]);
    expect(report.created).toHaveLength(12);
    for (const table of PARTITIONED_TABLE_NAMES) {
      const { ranges } = await listPartitions(t.db, table);
      expect(ranges).toEqual(
        [0, 1, 2].map((k) => ({
          name: partitionName(table, TODAY + days(k)),
          from: TODAY + days(k),
          to: TODAY + days(k + 1),
        })),
      );
    }
    expect(await ensurePartitions(t.db, NOW, POLICY, NEAR)).toEqual({ created: [], skipped: [] });
    // A day later, one more day each.
    const next = await ensurePartitions(t.db, NOW + DAY_MS, POLICY, NEAR);
    expect(next.created.map((c) => c.partition)).toEqual(
      PARTITIONED_TABLE_NAMES.map((table) => partitionName(table, TODAY + days(3))),
    );
    // New rows land in their day.
    await insertRows(NOW);
    expect(await placement('rollups')).toEqual({ rollups_p20261205: 1 });
    expect(await placement('quarantine')).toEqual({ quarantine_p20261205: 1 });
  });

  it('by default also makes the days an event may still be of: 7 before today', async () => {
    const report = await ensurePartitions(t.db, NOW, POLICY);
    expect(report.created).toHaveLength(4 * 10);
    const { ranges } = await listPartitions(t.db, 'leaf_rollups');
    expect(ranges.map((r) => r.name)).toEqual(
      Array.from({ length: 10 }, (_, k) => partitionName('leaf_rollups', TODAY + days(k - 7))),
    );
    // An event a week old lands in its day, not in the default partition.
    await insertRows(NOW - days(7) + 60_000);
    expect(await placement('leaf_rollups')).toEqual({ leaf_rollups_p20261128: 1 });
  });

  it('moves the default partition’s rows into a day partition made over them', async () => {
    const past = TODAY - days(3) + 3_600_000;
    for (let n = 1; n <= 5; n++) await insertRows(past + n * 60_000, n);
    await insertRows(TODAY - days(60)); // past the leaf cube's and quarantine's retention only
    expect(await placement('rollups')).toEqual({ rollups_default: 6 });

    const report = await ensurePartitions(t.db, NOW, POLICY, NEAR);
    const moved = Object.fromEntries(report.created.map((c) => [c.partition, c.movedRows]));
    expect(moved).toMatchObject({
      rollups_p20261202: 5,
      rollups_p20261006: 1,
      leaf_rollups_p20261202: 5,
      metric_points_p20261202: 5,
      metric_points_p20261006: 1,
      quarantine_p20261202: 5,
      rollups_p20261205: 0,
    });
    expect(moved).not.toHaveProperty('leaf_rollups_p20261006'); // past 7 days: left to retention
    expect(moved).not.toHaveProperty('quarantine_p20261006');
    expect(await placement('rollups')).toEqual({ rollups_p20261006: 1, rollups_p20261202: 5 });
    expect(await placement('leaf_rollups')).toEqual({
      leaf_rollups_default: 1,
      leaf_rollups_p20261202: 5,
    });
    const [sums] = await t.sql<{ count: number; sumsq: number }[]>`
      select sum(count)::int as count, sum(sumsq)::float8 as sumsq from rollups`;
    expect(sums).toEqual({ count: 1 + 15, sumsq: 1 + 55 });
    // Keys still hold across the moved rows: an upsert adds to the moved cell.
    await t.sql`
      insert into rollups (window_start, event_type, dim, value, measure, count, sum, sumsq, min, max)
      values (${iso(past + 60_000)}::timestamptz, 'page_view', ${TOTAL}, ${TOTAL}, '', 10, 0, 0, 0, 0)
      on conflict (window_start, event_type, dim, value, measure)
      do update set count = rollups.count + excluded.count`;
    const [cell] = await t.sql<{ count: number }[]>`
      select count::int from rollups where window_start = ${iso(past + 60_000)}::timestamptz`;
    expect(cell!.count).toBe(11);
  });

  it('lets two connections run it at once: each day made once, neither fails', async () => {
    await insertRows(TODAY - days(1));
    const a = createDb(t.url, { max: 2 });
    const b = createDb(t.url, { max: 2 });
    try {
      const reports = await Promise.all([
        ensurePartitions(a.db, NOW, POLICY, NEAR),
        ensurePartitions(b.db, NOW, POLICY, NEAR),
        ensurePartitions(a.db, NOW, POLICY, NEAR),
      ]);
      const created = reports.flatMap((r) => r.created.map((c) => c.partition));
      expect(new Set(created).size).toBe(created.length);
      expect(created).toHaveLength(16); // 4 tables × (yesterday + today + 2 ahead)
      expect(reports.flatMap((r) => r.skipped)).toEqual([]);
      expect(await placement('rollups')).toEqual({ rollups_p20261204: 1 });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('keeps the stream writing while it moves rows: no insert fails or is lost', async () => {
    const day = TODAY - days(2);
    let stop = false;
    let written = 0;
    const writer = createDb(t.url, { max: 3 });
    const flushes = [0, 1, 2].map(async (lane) => {
      while (!stop) {
        const n = written++;
        await writeFlush(writer.sql, {
          deltas: [
            {
              windowStart: day + (n % 1440) * 60_000,
              eventType: `lane${lane}`,
              dim: TOTAL,
              value: TOTAL,
              measure: '',
              count: 1,
              sum: 0,
              sumsq: 0,
              min: 0,
              max: 0,
            },
          ],
          quarantined: [],
          progress: [],
        });
      }
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const report = await ensurePartitions(t.db, NOW, POLICY, { ...NEAR, lockTimeoutMs: 5000 });
      expect(report.created.map((c) => c.partition)).toContain('rollups_p20261203');
      await new Promise((resolve) => setTimeout(resolve, 150));
    } finally {
      stop = true;
      await Promise.all(flushes);
      await writer.close();
    }
    const [total] = await t.sql<{ n: number }[]>`select sum(count)::int as n from rollups`;
    expect(total!.n).toBe(written);
    expect(Object.keys(await placement('rollups'))).toEqual(['rollups_p20261203']);
  });

  it('gives up on a partition whose locks are held too long, and tries again next time', async () => {
    const holder = createDb(t.url, { max: 1 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // A long read of the default partition (say, a re-score) blocks the attach.
    const reader = holder.sql.begin(async (tx) => {
      await tx`lock table rollups_default in access share mode`;
      locked();
      await held;
    });
    try {
      await isLocked;
      const report = await ensurePartitions(t.db, NOW, POLICY, { ...NEAR, lockTimeoutMs: 100 });
      expect(report.skipped).toEqual(
        [0, 1, 2].map((k) => ({
          table: 'rollups',
          partition: partitionName('rollups', TODAY + days(k)),
          step: 'create',
        })),
      );
      expect(report.created.filter((c) => c.table === 'rollups')).toEqual([]);
      expect(report.created).toHaveLength(9); // the other tables went ahead
      // Writes still land meanwhile (in the default partition).
      await insertRows(NOW);
    } finally {
      release();
      await reader;
      await holder.close();
    }
    const again = await ensurePartitions(t.db, NOW, POLICY, { ...NEAR, lockTimeoutMs: 100 });
    expect(again.created.map((c) => [c.partition, c.movedRows])).toEqual([
      ['rollups_p20261205', 1],
      ['rollups_p20261206', 0],
      ['rollups_p20261207', 0],
    ]);
  });
});

describe('applyRetention', () => {
  it('drops expired day partitions, deletes expired default rows, keeps the rest', async () => {
    // History over 100 days: a partition for each of these days, and some rows in default.
    const history = [-100, -91, -89, -30, -15, -13, -8, -6, -1, 0];
    for (const k of history) {
      await ensurePartitions(t.db, TODAY + days(k) + 1000, POLICY, { ...NEAR, daysAhead: 0 });
      await insertRows(TODAY + days(k) + 3_600_000);
    }
    // Default rows: no partition for these days (made after their days were ensured).
    await t.sql.unsafe(`drop table if exists rollups_p20261205`);
    await insertRows(TODAY + 1000, 7); // today, in default where there is no partition
    const oldDefault = TODAY - days(200);
    await t.sql`
      insert into rollups_default (window_start, event_type, dim, value, measure, count, sum, sumsq, min, max)
      values (${iso(oldDefault)}::timestamptz, 'x', ${TOTAL}, ${TOTAL}, '', 1, 0, 0, 0, 0)`;

    // Sessions, worker snapshots and an anomaly with its audit trail.
    const [user] = await t.sql<{ id: number }[]>`
      insert into users (username, password_hash, role) values ('ana', 'x', 'viewer') returning id`;
    await t.sql`
      insert into sessions (token_hash, user_id, expires_at) values
        ('expired', ${user!.id}, ${iso(NOW - 1000)}::timestamptz),
        ('live', ${user!.id}, ${iso(NOW + days(1))}::timestamptz)`;
    await t.sql`
      insert into worker_metrics (worker, updated_at, metrics) values
        ('gone:1', ${iso(NOW - 3_600_000)}::timestamptz, '[]'::jsonb),
        ('live:2', ${iso(NOW - 5000)}::timestamptz, '[]'::jsonb)`;
    const [anomaly] = await t.sql<{ id: number }[]>`
      insert into anomalies (metric_id, severity, direction, first_window, last_window, peak_window,
        value, expected, sigma, z, explanation, sentence)
      values (${metricId}, 'warn', 'up', ${iso(TODAY - days(100))}::timestamptz,
        ${iso(TODAY - days(100))}::timestamptz, ${iso(TODAY - days(100))}::timestamptz,
        1, 0, 1, 4, '{}'::jsonb, 'old') returning id`;
    await t.sql`insert into anomaly_events (anomaly_id, at, action)
      values (${anomaly!.id}, ${iso(TODAY - days(99))}::timestamptz, 'acknowledge')`;

    const report = await applyRetention(t.db, NOW, POLICY);

    const dropped = (table: string) =>
      report.dropped.filter((d) => d.table === table).map((d) => d.partition);
    // Cutoffs: 90 days → 2026-09-06 19:30, 7 → 11-28 19:30, 14 → 11-21 19:30. A day goes
    // once it has ended before its cutoff.
    expect(dropped('rollups')).toEqual(['rollups_p20260827', 'rollups_p20260905']);
    expect(dropped('metric_points')).toEqual([
      'metric_points_p20260827',
      'metric_points_p20260905',
    ]);
    expect(dropped('leaf_rollups')).toEqual([
      'leaf_rollups_p20260827',
      'leaf_rollups_p20260905',
      'leaf_rollups_p20260907',
      'leaf_rollups_p20261105',
      'leaf_rollups_p20261120',
      'leaf_rollups_p20261122',
      'leaf_rollups_p20261127',
    ]);
    expect(dropped('quarantine')).toEqual([
      'quarantine_p20260827',
      'quarantine_p20260905',
      'quarantine_p20260907',
      'quarantine_p20261105',
      'quarantine_p20261120',
    ]);
    expect(report.skipped).toEqual([]);
    expect(report.deletedFromDefault).toEqual({
      rollups: 1,
      leaf_rollups: 0,
      metric_points: 0,
      quarantine: 0,
    });
    expect(report.workerMetricsDeleted).toBe(1);
    expect(report.sessionsDeleted).toBe(1);

    const kept = async (table: string) =>
      (await listPartitions(t.db, table as 'rollups')).ranges.map((r) => r.name);
    expect(await kept('rollups')).not.toContain('rollups_p20260905');
    expect(await kept('rollups')).toContain('rollups_p20260907'); // ends after the cutoff
    expect(await kept('leaf_rollups')).toEqual([
      'leaf_rollups_p20261129',
      'leaf_rollups_p20261204',
      'leaf_rollups_p20261205',
    ]);
    expect(await placement('rollups')).toMatchObject({ rollups_default: 1 }); // today's stays
    const [oldest] = await t.sql<
      { at: string }[]
    >`select min(window_start)::text as at from rollups`;
    expect(new Date(oldest!.at).getTime()).toBe(TODAY - days(89) + 3_600_000);

    expect(await t.sql`select token_hash from sessions`).toEqual([{ token_hash: 'live' }]);
    expect(await t.sql`select worker from worker_metrics`).toEqual([{ worker: 'live:2' }]);
    const [counts] = await t.sql<{ anomalies: number; events: number }[]>`
      select (select count(*) from anomalies)::int as anomalies,
             (select count(*) from anomaly_events)::int as events`;
    expect(counts).toEqual({ anomalies: 1, events: 1 });

    // Nothing more to do right after.
    const again = await applyRetention(t.db, NOW, POLICY);
    expect(again.dropped).toEqual([]);
    expect(Object.values(again.deletedFromDefault)).toEqual([0, 0, 0, 0]);
  });
});

describe('tableStorage', () => {
  it('sizes every table over its partitions and finds the oldest data through indexes', async () => {
    await ensurePartitions(t.db, NOW, POLICY, NEAR);
    for (let k = 0; k < 3; k++) await insertRows(TODAY - days(k) + 60_000 * k, k + 1);
    const storage = await tableStorage(t.db);
    expect(storage.map((s) => s.table)).toEqual([...STORED_TABLES]);
    const by = Object.fromEntries(storage.map((s) => [s.table, s]));
    const oldest = TODAY - days(2) + 120_000;
    for (const table of PARTITIONED_TABLE_NAMES) {
      expect(by[table]).toMatchObject({ partitions: 3, oldest });
      expect(by[table]!.bytes).toBeGreaterThan(by[table]!.defaultBytes!);
      expect(by[table]!.defaultBytes).toBeGreaterThan(0); // two days ago: in default, for now
    }
    expect(by.anomalies).toMatchObject({ partitions: 0, defaultBytes: null, oldest: null });
    expect(by.sessions!.bytes).toBeGreaterThan(0);

    // Cheap: no sequential scan of a partitioned table to find its oldest row.
    for (const [table, query] of Object.entries(OLDEST_DATA)) {
      await t.db.transaction(async (tx) => {
        await tx.execute(dsql`set local enable_seqscan = off`); // as on a big table
        const rows = await tx.execute<{ 'QUERY PLAN': string }>(dsql`explain ${query}`);
        const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(plan, table).toMatch(/Index (Only )?Scan/);
        expect(plan, table).not.toMatch(
          /Seq Scan on (rollups|leaf_rollups|metric_points|quarantine)/,
        );
        expect(plan, table).not.toMatch(/(^|->)\s*Sort\s+\(/m); // a Sort node, not Merge Append's key
      });
    }

    await dropDayPartitions();
    const empty = Object.fromEntries((await tableStorage(t.db)).map((s) => [s.table, s]));
    expect(empty.rollups).toMatchObject({ partitions: 0, oldest: null });
  });
});

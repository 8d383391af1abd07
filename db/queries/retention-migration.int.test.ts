/**
 * Migration 0005 turns the four history tables of a database in use into day-partitioned ones
 * without losing a row: a database migrated to 0004 only (the committed SQL files up to it,
 * through drizzle's own migrator and a journal cut there) is loaded with a day of history
 * across two UTC days, migrated on, and compared row for row.
 */

import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '@/lib/retention/policy';
import { TOTAL } from '@/lib/types';

import { runMigrations } from '@/db/migrate';
import { createTestDatabase, migrationCount, type TestDatabase } from '@/db/testing/test-db';
import { ensurePartitions, listPartitions } from './retention';
import { writeFlush } from './stream';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase({ upTo: '0004_rule_defaults_from_default_rule' });
});

afterAll(() => t.drop());

/** 24 hours of history from 12:00 on 30 November to 12:00 on 1 December (UTC). */
const FROM = Date.UTC(2026, 10, 30, 12);

async function loadHistory(sql: postgres.Sql): Promise<void> {
  const from = new Date(FROM).toISOString();
  await sql`
    insert into users (username, password_hash, role) values ('admin', 'x', 'admin')`;
  await sql`
    insert into metrics (key, name, kind, event_type)
    values ('views', 'Views', 'count', 'page_view'), ('buys', 'Buys', 'count', 'purchase')`;
  await sql`
    insert into rollups (window_start, event_type, dim, value, measure, count, sum, sumsq, min, max)
    select ${from}::timestamptz + m * interval '1 minute', t, d, v, '',
           m % 97 + 1, m * 0.5, m * m * 0.25, 0, m
    from generate_series(0, 1439) m,
         (values ('page_view'), ('purchase')) types(t),
         (values (${TOTAL}, ${TOTAL}), ('region', 'eu-west')) dims(d, v)`;
  await sql`
    insert into leaf_rollups (window_start, event_type, leaf, measure, count, sum, sumsq)
    select ${from}::timestamptz + m * interval '1 minute', 'page_view', l, '', m % 13 + 1, 0, 0
    from generate_series(0, 1439) m,
         (values ('{"region":"eu-west"}'), ('{"region":"us-east"}'), ('{"region":"ap"}')) leaves(l)`;
  await sql`
    insert into metric_points (metric_id, window_start, value, expected, sigma, z, volume, status)
    select id, ${from}::timestamptz + m * interval '1 minute', m, m - 1, 1, 1, m, 'ok'
    from generate_series(0, 1439) m, metrics`;
  // Quarantine ids follow arrival; every tenth was re-ingested by the admin.
  await sql`
    insert into quarantine (received_at, source, reason, detail, raw, raw_size, partition,
                            source_offset, reingested_at, reingested_by)
    select ${from}::timestamptz + q * interval '173 seconds', 'kafka:events', 'schema',
           'detail ' || q, '{"q":' || q || '}', 8, q % 4, q,
           case when q % 10 = 0 then ${from}::timestamptz + interval '1 day' end,
           case when q % 10 = 0 then (select id from users) end
    from generate_series(0, 499) q`;
}

interface TableFacts {
  rows: number;
  digest: string;
  days: Record<string, number>;
}

const KEYS = {
  rollups: 'window_start, event_type, dim, value, measure',
  leaf_rollups: 'window_start, event_type, leaf, measure',
  metric_points: 'metric_id, window_start',
  quarantine: 'id',
} as const;
const TIME = {
  rollups: 'window_start',
  leaf_rollups: 'window_start',
  metric_points: 'window_start',
  quarantine: 'received_at',
} as const;
type Table = keyof typeof KEYS;
const TABLES = Object.keys(KEYS) as Table[];

/** Every row's text, hashed in key order, the row count, and rows per UTC day. */
async function facts(sql: postgres.Sql, table: Table): Promise<TableFacts> {
  const [row] = await sql.unsafe<{ rows: number; digest: string }[]>(
    `select count(*)::int as rows, md5(string_agg(t::text, '|' order by ${KEYS[table]})) as digest
     from ${table} t`,
  );
  const days = await sql.unsafe<{ day: string; n: number }[]>(
    `select to_char(${TIME[table]} at time zone 'UTC', 'YYYYMMDD') as day, count(*)::int as n
     from ${table} group by 1 order by 1`,
  );
  return {
    rows: row!.rows,
    digest: row!.digest,
    days: Object.fromEntries(days.map((d) => [d.day, d.n])),
  };
}

describe('migration 0005 (partitioned history)', () => {
  it('keeps every row, puts them in day partitions, and the tables take writes after', async () => {
    const { sql, db } = t;
    await loadHistory(sql);
    const before = Object.fromEntries(
      await Promise.all(TABLES.map(async (t) => [t, await facts(sql, t)] as const)),
    );
    expect(before.rollups!.rows).toBe(1440 * 4);
    expect(before.quarantine!.days).toEqual({ '20261130': 250, '20261201': 250 });
    const [{ last } = { last: 0 }] = await sql<{ last: number }[]>`
      select max(id)::int as last from quarantine`;

    const started = Date.now();
    await runMigrations(db); // applies 0005 and every later one
    const took = Date.now() - started;

    const applied = await sql<{ n: number }[]>`
      select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(applied[0]!.n).toBe(await migrationCount());

    for (const table of TABLES) {
      // The same rows, byte for byte, on the same UTC days.
      expect(await facts(sql, table), table).toEqual(before[table]);
      const [kind] = await sql<{ relkind: string }[]>`
        select relkind from pg_class where oid = ${table}::regclass`;
      expect(kind!.relkind, table).toBe('p');
      // Partitions for the two days the data covers, and the default one; nothing in it.
      const { ranges, defaultPartition } = await listPartitions(db, table);
      expect(ranges.map((r) => [r.name, r.to - r.from])).toEqual([
        [`${table}_p20261130`, DAY_MS],
        [`${table}_p20261201`, DAY_MS],
      ]);
      expect(ranges[0]!.from).toBe(Date.UTC(2026, 10, 30));
      expect(defaultPartition).toBe(`${table}_default`);
      const placed = await sql.unsafe<{ part: string; n: number }[]>(
        `select tableoid::regclass::text as part, count(*)::int as n from ${table}
         group by 1 order by 1`,
      );
      expect(
        placed.map((p) => p.part),
        table,
      ).toEqual([`${table}_p20261130`, `${table}_p20261201`]);
    }
    expect(took).toBeLessThan(30_000);

    // Keys, indexes and foreign keys as drizzle's schema names them.
    const constraints = await sql<{ name: string; def: string }[]>`
      select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid in ('rollups'::regclass, 'leaf_rollups'::regclass,
                         'metric_points'::regclass, 'quarantine'::regclass)
        and contype in ('p', 'f')
      order by conname`;
    expect(constraints).toEqual([
      {
        name: 'leaf_rollups_window_start_event_type_leaf_measure_pk',
        def: 'PRIMARY KEY (window_start, event_type, leaf, measure)',
      },
      {
        name: 'metric_points_metric_id_metrics_id_fk',
        def: 'FOREIGN KEY (metric_id) REFERENCES metrics(id) ON DELETE CASCADE',
      },
      {
        name: 'metric_points_metric_id_window_start_pk',
        def: 'PRIMARY KEY (metric_id, window_start)',
      },
      { name: 'quarantine_id_received_at_pk', def: 'PRIMARY KEY (id, received_at)' },
      {
        name: 'quarantine_reingested_by_users_id_fk',
        def: 'FOREIGN KEY (reingested_by) REFERENCES users(id) ON DELETE SET NULL',
      },
      {
        name: 'rollups_window_start_event_type_dim_value_measure_pk',
        def: 'PRIMARY KEY (window_start, event_type, dim, value, measure)',
      },
    ]);
    const [index] = await sql<{ def: string }[]>`
      select pg_get_indexdef('quarantine_reason_idx'::regclass) as def`;
    expect(index!.def).toContain('(reason, received_at)');
    const [serial] = await sql<{ seq: string }[]>`
      select pg_get_serial_sequence('quarantine', 'id') as seq`;
    expect(serial!.seq).toBe('public.quarantine_id_seq');
    const leftovers = await sql`
      select relname from pg_class where relname like '%_unpartitioned%'`;
    expect(leftovers).toEqual([]);

    // Writes after: the stream's flush (into a migrated day, and a day with no partition),
    // and quarantine ids carry on from the sequence.
    await writeFlush(sql, {
      deltas: [
        {
          windowStart: FROM,
          eventType: 'page_view',
          dim: TOTAL,
          value: TOTAL,
          measure: '',
          count: 5,
          sum: 0,
          sumsq: 0,
          min: 0,
          max: 0,
        },
        {
          windowStart: Date.UTC(2026, 11, 24),
          eventType: 'page_view',
          dim: TOTAL,
          value: TOTAL,
          measure: '',
          count: 2,
          sum: 0,
          sumsq: 0,
          min: 0,
          max: 0,
        },
      ],
      quarantined: [{ reason: 'late', detail: 'd', raw: '{}', rawSize: 2, source: 'test' }],
      progress: [],
    });
    const [cell] = await sql<{ count: number }[]>`
      select count::int from rollups where window_start = ${new Date(FROM).toISOString()}::timestamptz
        and event_type = 'page_view' and dim = ${TOTAL}`;
    expect(cell!.count).toBe(1 + 5); // m = 0: count 1, plus the flush's 5
    const newest = await sql<{ id: number; part: string }[]>`
      select id::int, tableoid::regclass::text as part from quarantine where reason = 'late'`;
    expect(newest).toEqual([{ id: last + 1, part: 'quarantine_default' }]);
    const [christmas] = await sql<{ part: string }[]>`
      select tableoid::regclass::text as part from rollups
      where window_start = ${new Date(Date.UTC(2026, 11, 24)).toISOString()}::timestamptz`;
    expect(christmas!.part).toBe('rollups_default');
    // Deleting a metric still cascades to its points in every partition.
    await sql`delete from metrics where key = 'buys'`;
    const [points] = await sql<{ n: number }[]>`select count(*)::int as n from metric_points`;
    expect(points!.n).toBe(1440);

    // And the maintenance pass takes it from there.
    const now = Date.UTC(2026, 11, 5, 12);
    const report = await ensurePartitions(
      db,
      now,
      {
        rollupsMs: 90 * DAY_MS,
        leafCubeMs: 7 * DAY_MS,
        pointsMs: 90 * DAY_MS,
        quarantineMs: 14 * DAY_MS,
        workerMetricsMs: 600_000,
      },
      { daysBack: 0 }, // today and ahead: the migrated days are checked above
    );
    expect(report.skipped).toEqual([]);
    expect(report.created.filter((c) => c.table === 'rollups')).toEqual([
      { table: 'rollups', partition: 'rollups_p20261205', movedRows: 0 },
      { table: 'rollups', partition: 'rollups_p20261206', movedRows: 0 },
      { table: 'rollups', partition: 'rollups_p20261207', movedRows: 0 },
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '@/lib/retention/policy';
import { createTelemetry } from '@/lib/observability/telemetry';
import { ensurePartitions } from '@/db/queries/retention';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { liveMetrics, metricsText } from './metrics-endpoint';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('/metrics', () => {
  it('serves the size, day partitions and oldest data of each table, read at the scrape', async () => {
    const now = Date.now();
    await ensurePartitions(t.db, now, {
      rollupsMs: 90 * DAY_MS,
      leafCubeMs: 7 * DAY_MS,
      pointsMs: 90 * DAY_MS,
      quarantineMs: 14 * DAY_MS,
      workerMetricsMs: 600_000,
    });
    const oldest = Math.floor(now / 60_000) * 60_000 - 3 * DAY_MS;
    await t.sql`
      insert into rollups (window_start, event_type, dim, value, measure, count, sum, sumsq, min, max)
      values (${new Date(oldest).toISOString()}::timestamptz, 'page_view', '*', '*', '', 1, 0, 0, 0, 0)`;
    const web = createTelemetry();
    const { body } = await metricsText(t.sql, web);
    const value = (line: string) => Number(new RegExp(`^${line} (\\S+)$`, 'm').exec(body)?.[1]);
    expect(value('pulse_table_size_bytes\\{table="rollups"\\}')).toBeGreaterThan(0);
    expect(value('pulse_table_size_bytes\\{table="anomalies"\\}')).toBeGreaterThan(0);
    // 7 days back (as old as an event may be), today and 2 ahead.
    expect(value('pulse_table_partitions\\{table="rollups"\\}')).toBe(10);
    expect(value('pulse_table_partitions\\{table="quarantine"\\}')).toBe(10);
    expect(value('pulse_table_oldest_timestamp_seconds\\{table="rollups"\\}')).toBe(oldest / 1000);
    expect(body).not.toContain('pulse_table_oldest_timestamp_seconds{table="quarantine"}');
    expect(body).not.toMatch(/pulse_table_size_bytes\{[^}]*worker=/);
    // The health page's live figures do not read them (it has its own read model).
    expect(JSON.stringify(await liveMetrics(t.sql, createTelemetry()))).not.toContain('table');
  });
});

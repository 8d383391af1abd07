/**
 * Metrics round trip against a real PostgreSQL: workers publish their registries to
 * worker_metrics, the web process serves /metrics (over HTTP, as server.ts does) merged with
 * the fresh snapshots, one `worker` label per worker; stale and deleted snapshots drop out.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import { createTelemetry, METRIC_NAMES, type Telemetry } from '@/lib/observability/telemetry';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { freshWorkerSnapshots } from '@/db/queries/worker-metrics';
import { isMetricsRequest, liveMetrics, serveMetrics } from '@/app/_server/metrics-endpoint';
import { SourcePartition } from '@/db/sources/partition';
import { startTelemetryPublisher, type TelemetryPublisher } from './telemetry-publisher';

const log = createLogger('test', 'silent');
const W = 60_000;
let t: TestDatabase;
let server: Server;
let base: string;
const web = createTelemetry();

beforeAll(async () => {
  t = await createTestDatabase();
  server = createServer((req, res) => {
    if (isMetricsRequest(req)) void serveMetrics(req, res, t.sql, web);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.drop();
});

/** A stdin-path worker (a real claimed SourcePartition) instrumented like workers/stream.ts. */
async function stdinWorker(telemetry: Telemetry) {
  const partition = await SourcePartition.claim(
    { sql: t.sql, log, telemetry },
    {
      source: 'sim',
      partition: 0,
      owner: 'a',
      windowMs: W,
      outOfOrderMs: 1000,
      allowedLatenessMs: 0,
      maxValuesPerDim: 50,
    },
  );
  telemetry.addSource(() => partition.reading());
  return { pipeline: partition.pipeline, partition };
}

/** Samples of a Prometheus text exposition: name, labels, value. */
function samples(text: string) {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[k!] = v!;
      }
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

async function scrape(): Promise<string> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('worker snapshots → /metrics', () => {
  const a = createTelemetry();
  const b = createTelemetry();
  let pubA: TelemetryPublisher;
  let pubB: TelemetryPublisher;

  it('serves every Pulse metric, labelled by worker', async () => {
    const now = Date.now();
    const start = Math.floor(now / W) * W - 2 * W;
    const { pipeline, partition } = await stdinWorker(a);
    for (let i = 0; i < 50; i++) {
      pipeline.ingestLine(
        JSON.stringify({ ts: start + i * 10, type: 'purchase', dims: { r: 'eu' }, measures: {} }),
        now,
      );
    }
    pipeline.ingestLine('{"not json', now);
    pipeline.ingestLine(JSON.stringify({ ts: start, type: 42 }), now); // schema
    expect(await partition.flush()).toBe('ok');
    pipeline.ingestLine(JSON.stringify({ ts: start, type: 'x', dims: {}, measures: {} }), now);

    // Worker b: a Kafka consumer's view (lag per partition, a held flush).
    b.addSource(() => ({
      source: 'kafka:events',
      buffer: { events: 300, cells: 40, heldFlushes: 1 },
      partitions: [
        { partition: 0, consumerLag: 1200, watermark: now - 4000 },
        { partition: 1, consumerLag: 0, watermark: now - 2000 },
      ],
    }));
    b.countFlushPart('kafka:events', 'failed');
    b.observeFlush('kafka:events', 5.5);

    web.socketConnected();
    web.socketConnected();

    pubA = startTelemetryPublisher({ sql: t.sql, telemetry: a, worker: 'host:1', log });
    pubB = startTelemetryPublisher({ sql: t.sql, telemetry: b, worker: 'host:2', log });
    expect(await pubA.publish()).toBe(true);
    expect(await pubB.publish()).toBe(true);

    const text = await scrape();
    for (const name of Object.values(METRIC_NAMES)) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    // Label order is not significant in the exposition format (jsonb reorders keys).
    const value = (name: string, labels: Record<string, string>) =>
      samples(text).find(
        (x) =>
          x.name === name &&
          Object.keys(labels).length === Object.keys(x.labels).length &&
          Object.entries(labels).every(([k, v]) => x.labels[k] === v),
      )?.value;
    const w1 = { worker: 'host:1' };
    const w2 = { worker: 'host:2' };
    const sim = { source: 'sim', ...w1 };
    const kafka = { source: 'kafka:events', ...w2 };
    expect(value('pulse_events_total', { ...sim, outcome: 'folded' })).toBe(50);
    expect(value('pulse_events_total', { ...sim, outcome: 'quarantined' })).toBe(2);
    expect(value('pulse_quarantined_events_total', { ...sim, reason: 'malformed_json' })).toBe(1);
    expect(value('pulse_quarantined_events_total', { ...sim, reason: 'schema' })).toBe(1);
    expect(value('pulse_flush_duration_seconds_count', sim)).toBe(1);
    expect(value('pulse_flush_duration_seconds_bucket', { ...kafka, le: '10' })).toBe(1);
    expect(value('pulse_flush_duration_seconds_bucket', { ...kafka, le: '5' })).toBe(0);
    expect(value('pulse_flushes_total', { ...sim, outcome: 'written' })).toBe(1);
    expect(value('pulse_flushes_total', { ...kafka, outcome: 'failed' })).toBe(1);
    expect(value('pulse_rollup_rows_written_total', sim)).toBeGreaterThan(0);
    expect(value('pulse_consumer_lag_messages', { ...kafka, partition: '0' })).toBe(1200);
    expect(value('pulse_consumer_lag_messages', { ...kafka, partition: '1' })).toBe(0);
    expect(value('pulse_watermark_lag_seconds', { ...kafka, partition: '0' })).toBeCloseTo(4, 0);
    expect(value('pulse_watermark_lag_seconds', { ...sim, partition: '0' })).toBeGreaterThan(0);
    expect(value('pulse_buffer_depth', { ...sim, kind: 'events' })).toBe(1);
    expect(value('pulse_buffer_depth', { ...kafka, kind: 'held_flushes' })).toBe(1);
    expect(value('pulse_socket_connections', {})).toBe(2);
    // Workers do not publish the web's gauges: no worker-labelled socket series.
    expect(text).not.toMatch(/pulse_socket_connections\{/);

    // HEAD answers without a body; other paths are not /metrics.
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/metrics/purchases`)).status).toBe(404);
  });

  it('sums the same figures up for the health page', async () => {
    const live = await liveMetrics(t.sql, web);
    expect(live.workers.map((w) => w.worker)).toEqual(['host:1', 'host:2']);
    expect(live.events).toEqual({ folded: 50, quarantined: 2 });
    expect(live.flush.count).toBe(2);
    expect(live.flush.failed).toBe(1);
    expect(live.flush.p99).toBeGreaterThan(2.5);
    expect(live.sockets).toBe(2);
    expect(live.partitions).toEqual([
      expect.objectContaining({ source: 'kafka:events', partition: 0, consumerLag: 1200 }),
      expect.objectContaining({ source: 'kafka:events', partition: 1, consumerLag: 0 }),
      expect.objectContaining({ source: 'sim', partition: 0, consumerLag: null, worker: 'host:1' }),
    ]);
    expect(live.buffers).toEqual([
      { worker: 'host:2', source: 'kafka:events', events: 300, cells: 40, heldFlushes: 1 },
      expect.objectContaining({ worker: 'host:1', source: 'sim', events: 1 }),
    ]);
    expect(live.quarantine).toEqual([
      { reason: 'malformed_json', count: 1 },
      { reason: 'schema', count: 1 },
    ]);
  });

  it('drops stale snapshots and unreadable rows, and a clean stop deletes the row', async () => {
    await t.sql`update worker_metrics set updated_at = now() - interval '45 seconds'
                where worker = 'host:2'`;
    await t.sql`insert into worker_metrics (worker, metrics)
                values ('garbage', '{"not": "a snapshot"}'::jsonb)`;
    let text = await scrape();
    expect(text).not.toContain('worker="host:2"');
    expect(text).not.toContain('worker="garbage"');
    expect(text).toContain('worker="host:1"');

    await pubA.stop();
    await pubB.stop();
    const rows = await t.sql<{ worker: string }[]>`select worker from worker_metrics`;
    expect(rows.map((r) => r.worker)).toEqual(['garbage']);
    text = await scrape();
    expect(text).not.toContain('worker="host:1"');
    expect(await pubA.publish()).toBe(false); // stopped: publishes nothing more
    expect((await freshWorkerSnapshots(t.sql)).map((s) => s.worker)).toEqual(['garbage']);
  });

  it('answers 503 without details when PostgreSQL cannot be read', async () => {
    const broken = createServer((req, res) => {
      const sql = Object.assign(() => Promise.reject(new Error('password=secret down')), {});
      void serveMetrics(req, res, sql as unknown as typeof t.sql, web);
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    const port = (broken.address() as AddressInfo).port;
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('metrics unavailable\n');
    await new Promise((resolve) => broken.close(resolve));
  });
});

import { describe, expect, it } from 'vitest';
import { createTelemetry, METRIC_NAMES, type SourceReading } from './telemetry';
import { histogramQuantile, summarize } from './live-figures';
import {
  labelWorker,
  mergeSnapshots,
  parseSnapshot,
  workerSnapshot,
  type MetricJson,
} from './snapshots';

const T0 = Date.UTC(2026, 10, 22, 12, 0);

function clock(start = T0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

async function json(telemetry: ReturnType<typeof createTelemetry>): Promise<MetricJson[]> {
  return (await telemetry.registry.getMetricsAsJSON()) as unknown as MetricJson[];
}

const valuesOf = (metrics: MetricJson[], name: string) =>
  metrics.find((m) => m.name === name)?.values ?? [];

describe('createTelemetry', () => {
  it('registers every Pulse metric, and a fresh registry reports no labelled series', async () => {
    const text = await createTelemetry().registry.metrics();
    for (const name of Object.values(METRIC_NAMES)) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    // Only the unlabelled socket gauge has a value before anything happened.
    expect(text).toMatch(/^pulse_socket_connections 0$/m);
    expect(text).not.toMatch(/^pulse_events_total\{/m);
  });

  it('counts notification deliveries by channel and outcome, with their latency', async () => {
    const t = createTelemetry();
    t.countDelivery('pager', 'retry', 0.2);
    t.countDelivery('pager', 'delivered', 0.04);
    t.countDelivery('team', 'failed', 10);
    t.countDelivery('gone', 'failed'); // refused: nothing sent, nothing timed
    const m = await json(t);
    expect(
      valuesOf(m, METRIC_NAMES.notificationDeliveries).map((v) => [
        v.labels.channel,
        v.labels.outcome,
        v.value,
      ]),
    ).toEqual([
      ['pager', 'retry', 1],
      ['pager', 'delivered', 1],
      ['team', 'failed', 1],
      ['gone', 'failed', 1],
    ]);
    const counts = valuesOf(m, METRIC_NAMES.notificationDeliveryDuration).filter((v) =>
      v.metricName?.endsWith('_count'),
    );
    expect(counts.map((v) => [v.labels.channel, v.value])).toEqual([
      ['pager', 2],
      ['team', 1],
    ]);
    // Workers publish it: it is in their snapshot, which the web merges into /metrics.
    const snapshot = await workerSnapshot(t);
    expect(snapshot.map((s) => s.name)).toContain(METRIC_NAMES.notificationDeliveries);
  });

  it('counts events, reasons and rows only for parts that landed', async () => {
    const t = createTelemetry();
    const landed = { rows: 7, folded: 10, quarantinedReasons: ['schema', 'late', 'schema'] };
    t.countFlushPart('sim', 'written', landed);
    t.countFlushPart('sim', 'already', landed);
    t.countFlushPart('sim', 'failed', landed); // retried later: not counted now
    t.countFlushPart('sim', 'fenced', landed); // dropped: another worker re-reads them
    t.observeFlush('sim', 0.02);
    const m = await json(t);
    expect(valuesOf(m, METRIC_NAMES.events)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ value: 20, labels: { source: 'sim', outcome: 'folded' } }),
        expect.objectContaining({ value: 6, labels: { source: 'sim', outcome: 'quarantined' } }),
      ]),
    );
    const reasons = Object.fromEntries(
      valuesOf(m, METRIC_NAMES.quarantined).map((v) => [v.labels.reason, v.value]),
    );
    expect(reasons).toEqual({ schema: 4, late: 2 });
    expect(valuesOf(m, METRIC_NAMES.rowsWritten)).toEqual([
      expect.objectContaining({ value: 14, labels: { source: 'sim' } }),
    ]);
    const flushes = Object.fromEntries(
      valuesOf(m, METRIC_NAMES.flushes).map((v) => [v.labels.outcome, v.value]),
    );
    expect(flushes).toEqual({ written: 1, already: 1, failed: 1, fenced: 1 });
    const count = valuesOf(m, METRIC_NAMES.flushDuration).find((v) =>
      v.metricName?.endsWith('_count'),
    );
    expect(count?.value).toBe(1);
  });

  it('reads sources at collection time: lags, buffers; a removed source disappears', async () => {
    const c = clock();
    const t = createTelemetry({ now: c.now });
    let reading: SourceReading = {
      source: 'kafka:events',
      buffer: { events: 120, cells: 30, heldFlushes: 1 },
      partitions: [
        { partition: 0, consumerLag: 42, watermark: T0 - 5000 },
        { partition: 1, consumerLag: null, watermark: null },
      ],
    };
    const remove = t.addSource(() => reading);
    let m = await json(t);
    expect(valuesOf(m, METRIC_NAMES.consumerLag)).toEqual([
      expect.objectContaining({ value: 42, labels: { source: 'kafka:events', partition: 0 } }),
    ]);
    expect(valuesOf(m, METRIC_NAMES.watermarkLag)).toEqual([
      expect.objectContaining({ value: 5, labels: { source: 'kafka:events', partition: 0 } }),
    ]);
    const depth = Object.fromEntries(
      valuesOf(m, METRIC_NAMES.bufferDepth).map((v) => [v.labels.kind, v.value]),
    );
    expect(depth).toEqual({ events: 120, cells: 30, held_flushes: 1 });

    // A revoked partition is no longer reported.
    reading = { ...reading, partitions: [reading.partitions[1]!] };
    m = await json(t);
    expect(valuesOf(m, METRIC_NAMES.consumerLag)).toEqual([]);

    remove();
    m = await json(t);
    expect(valuesOf(m, METRIC_NAMES.bufferDepth)).toEqual([]);
  });

  it('samples throughput between collections at least a second apart', async () => {
    const c = clock();
    const t = createTelemetry({ now: c.now });
    const landed = (n: number) => ({ rows: 0, folded: n, quarantinedReasons: [] });
    t.countFlushPart('sim', 'written', landed(100));
    expect(valuesOf(await json(t), METRIC_NAMES.throughput)).toEqual([]); // first sample
    t.countFlushPart('sim', 'written', landed(1000));
    c.advance(5000);
    expect(valuesOf(await json(t), METRIC_NAMES.throughput)).toEqual([
      expect.objectContaining({ value: 200, labels: { source: 'sim' } }),
    ]);
    c.advance(100); // too soon: the last value stays
    expect(valuesOf(await json(t), METRIC_NAMES.throughput)[0]?.value).toBe(200);
  });

  it('counts socket connections and HTTP ingest answers', async () => {
    const t = createTelemetry();
    t.socketConnected();
    t.socketConnected();
    t.socketDisconnected();
    t.httpIngestRequest(202);
    t.httpIngestRequest(429);
    const text = await t.registry.metrics();
    expect(text).toMatch(/^pulse_socket_connections 1$/m);
    expect(text).toContain('pulse_http_ingest_requests_total{status="429"} 1');
  });
});

describe('storage gauges', () => {
  it('report each table’s size, day partitions and oldest data, replaced at every read', async () => {
    const t = createTelemetry();
    t.setStorage([
      { table: 'rollups', bytes: 5000, partitions: 3, defaultBytes: 8192, oldest: T0 },
      { table: 'quarantine', bytes: 100, partitions: 0, defaultBytes: 0, oldest: null },
      { table: 'sessions', bytes: 16_384, partitions: 0, defaultBytes: null, oldest: null },
    ]);
    let text = await t.registry.metrics();
    expect(text).toContain('pulse_table_size_bytes{table="rollups"} 5000');
    expect(text).toContain('pulse_table_size_bytes{table="sessions"} 16384');
    expect(text).toContain('pulse_table_partitions{table="rollups"} 3');
    expect(text).toContain('pulse_table_partitions{table="quarantine"} 0');
    expect(text).not.toContain('pulse_table_partitions{table="sessions"}'); // not partitioned
    expect(text).toContain(`pulse_table_oldest_timestamp_seconds{table="rollups"} ${T0 / 1000}`);
    expect(text).not.toContain('pulse_table_oldest_timestamp_seconds{table="quarantine"}');
    t.setStorage([{ table: 'rollups', bytes: 7000, partitions: 2, defaultBytes: 0, oldest: T0 }]);
    text = await t.registry.metrics();
    expect(text).toContain('pulse_table_size_bytes{table="rollups"} 7000');
    expect(text).not.toContain('table="sessions"');
    // Web-only: workers leave them out of their snapshots.
    const names = (await workerSnapshot(t)).map((m) => m.name);
    expect(names).not.toContain(METRIC_NAMES.tableSize);
    expect(names).not.toContain(METRIC_NAMES.tableOldest);
  });
});

describe('snapshots', () => {
  it('leave web-only metrics out, survive JSON, and reject malformed entries', async () => {
    const t = createTelemetry();
    t.countFlushPart('sim', 'written', { rows: 1, folded: 1, quarantinedReasons: [] });
    const snapshot = await workerSnapshot(t);
    expect(snapshot.map((m) => m.name)).not.toContain(METRIC_NAMES.socketConnections);
    const roundTrip = parseSnapshot(JSON.parse(JSON.stringify(snapshot)));
    expect(roundTrip).toEqual(snapshot);

    expect(parseSnapshot(null)).toEqual([]);
    expect(parseSnapshot({ name: 'x' })).toEqual([]);
    const parsed = parseSnapshot([
      { name: 'bad name!', help: '', type: 'gauge', values: [] },
      { name: 'ok', help: 'h', type: 'nonsense', values: [] },
      { name: 'pulse_x', help: 'h', type: 'gauge', values: [{ value: null, labels: {} }] },
    ]);
    expect(parsed).toEqual([{ name: 'pulse_x', help: 'h', type: 'gauge', values: [] }]);
  });

  it('merge labels each worker and keeps the web series unlabelled', async () => {
    const web = createTelemetry();
    web.socketConnected();
    const a = createTelemetry();
    const b = createTelemetry();
    a.countFlushPart('sim', 'written', { rows: 3, folded: 5, quarantinedReasons: ['late'] });
    b.countFlushPart('sim', 'written', { rows: 4, folded: 7, quarantinedReasons: [] });
    a.observeFlush('sim', 0.003);
    b.observeFlush('sim', 0.2);

    const merged = mergeSnapshots(await json(web), [
      { worker: 'h:1', updatedAt: T0, metrics: await workerSnapshot(a) },
      { worker: 'h:2', updatedAt: T0, metrics: await workerSnapshot(b) },
    ]);
    const text = await merged.metrics();
    expect(text).toContain('pulse_events_total{source="sim",outcome="folded",worker="h:1"} 5');
    expect(text).toContain('pulse_events_total{source="sim",outcome="folded",worker="h:2"} 7');
    expect(text).toMatch(/^pulse_socket_connections 1$/m);
    expect(text).toContain(
      'pulse_flush_duration_seconds_bucket{le="0.005",source="sim",worker="h:1"} 1',
    );
    expect(text).toContain('pulse_flush_duration_seconds_count{source="sim",worker="h:2"} 1');
    expect(text.match(/^# TYPE pulse_events_total counter$/gm)).toHaveLength(1);
  });

  it('merge drops a worker metric whose type disagrees instead of failing', async () => {
    const web = await json(createTelemetry());
    const odd: MetricJson = {
      name: METRIC_NAMES.events,
      help: 'old',
      type: 'gauge',
      values: [{ value: 1, labels: { source: 'x' } }],
    };
    const text = await mergeSnapshots(web, [
      { worker: 'old', updatedAt: T0, metrics: [odd] },
    ]).metrics();
    expect(text).toContain('# TYPE pulse_events_total counter');
    expect(text).not.toContain('worker="old"');
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket, like histogram_quantile', () => {
    const b = new Map([
      [0.01, 50],
      [0.1, 90],
      [1, 100],
      [Infinity, 100],
    ]);
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.7, b)).toBeCloseTo(0.01 + (0.09 * 20) / 40);
    expect(histogramQuantile(0.99, b)).toBeCloseTo(0.1 + 0.9 * 0.9);
  });

  it('is null without observations, and the top bound in the +Inf bucket', () => {
    expect(histogramQuantile(0.5, new Map([[Infinity, 0]]))).toBeNull();
    expect(
      histogramQuantile(
        0.99,
        new Map([
          [1, 1],
          [Infinity, 10],
        ]),
      ),
    ).toBe(1);
  });
});

describe('summarize', () => {
  it('sums workers up for the health page', async () => {
    const c = clock();
    const web = createTelemetry({ now: c.now });
    web.socketConnected();
    web.socketConnected();
    const a = createTelemetry({ now: c.now });
    a.addSource(() => ({
      source: 'kafka:events',
      buffer: { events: 10, cells: 4, heldFlushes: 0 },
      partitions: [{ partition: 1, consumerLag: 9, watermark: T0 - 3000 }],
    }));
    await workerSnapshot(a); // first throughput sample
    for (let i = 0; i < 100; i++) a.observeFlush('kafka:events', i < 98 ? 0.004 : 3);
    a.countFlushPart('kafka:events', 'written', {
      rows: 12,
      folded: 90,
      quarantinedReasons: ['schema', 'late', 'late'],
    });
    a.countFlushPart('kafka:events', 'failed');
    c.advance(3000);

    const merged = mergeSnapshots(await json(web), [
      { worker: 'h:1', updatedAt: T0, metrics: await workerSnapshot(a) },
    ]);
    const live = summarize(
      (await merged.getMetricsAsJSON()) as unknown as MetricJson[],
      [{ worker: 'h:1', updatedAt: T0 }],
      c.now(),
    );
    expect(live).toMatchObject({
      workers: [{ worker: 'h:1', updatedAt: T0 }],
      throughput: 31, // 93 events over 3 s
      events: { folded: 90, quarantined: 3 },
      rowsWritten: 12,
      partitions: [
        {
          source: 'kafka:events',
          partition: 1,
          worker: 'h:1',
          consumerLag: 9,
          watermarkLagSeconds: 6,
        },
      ],
      buffers: [{ worker: 'h:1', source: 'kafka:events', events: 10, cells: 4, heldFlushes: 0 }],
      quarantine: [
        { reason: 'late', count: 2 },
        { reason: 'schema', count: 1 },
      ],
      sockets: 2,
    });
    expect(live.flush.count).toBe(100);
    expect(live.flush.failed).toBe(1);
    expect(live.flush.p50).toBeGreaterThan(0);
    expect(live.flush.p50).toBeLessThanOrEqual(0.005);
    expect(live.flush.p99).toBeGreaterThan(2.5);
  });

  it('is empty and null-safe without any worker', () => {
    const live = summarize([], [], T0);
    expect(live).toEqual({
      generatedAt: T0,
      workers: [],
      throughput: 0,
      events: { folded: 0, quarantined: 0 },
      flush: { count: 0, p50: null, p99: null, failed: 0 },
      rowsWritten: 0,
      partitions: [],
      buffers: [],
      quarantine: [],
      sockets: 0,
    });
  });

  it('labelWorker does not touch its input', () => {
    const input: MetricJson[] = [
      { name: 'g', help: 'h', type: 'gauge', values: [{ value: 1, labels: { a: 'b' } }] },
    ];
    const out = labelWorker(input, 'w');
    expect(out[0]!.values[0]!.labels).toEqual({ a: 'b', worker: 'w' });
    expect(input[0]!.values[0]!.labels).toEqual({ a: 'b' });
  });
});

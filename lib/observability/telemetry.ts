/**
 * Pulse's Prometheus metrics: their definitions (one place), typed accessors for the code that
 * records them, and the pure functions that merge the snapshots of several processes and sum
 * them up for the health page.
 *
 * Every process keeps its own prom-client Registry (`createTelemetry`). Stream workers publish
 * `registry.getMetricsAsJSON()` to the `worker_metrics` table every few seconds
 * (workers/services/telemetry-publisher.ts); the web server serves `/metrics` as its own registry merged with the
 * fresh worker snapshots (`mergeSnapshots`).
 *
 * Merging adds a `worker` label to every series of a worker's snapshot instead of summing
 * workers together. Summing would turn a worker's exit into a drop of every summed counter
 * (Prometheus reads that as a counter reset and `rate()` spikes), and two workers briefly
 * reporting the same partition during a rebalance would double its lag. With the label each
 * worker's counters stay monotonic series that simply end when it goes, and PromQL sums them
 * (`sum by (source) (rate(pulse_events_total[1m]))`). Series of the web process itself carry
 * no `worker` label. Cardinality stays small: workers × partitions.
 */
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type PrometheusContentType,
} from 'prom-client';
import { z } from 'zod';

/** What became of one partition's part of a flush (see db/queries/stream.ts FencedOutcome). */
export type FlushOutcome = 'written' | 'already' | 'fenced' | 'failed';

export const FLUSH_OUTCOMES: readonly FlushOutcome[] = ['written', 'already', 'fenced', 'failed'];

/** Kinds of `pulse_buffer_depth`: what waits in memory for a flush. */
export type BufferKind = 'events' | 'cells' | 'held_flushes';

/** Flush latency buckets (seconds): a healthy flush takes milliseconds, a sick one seconds. */
export const FLUSH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Names of every Pulse metric, for tests and for the README. */
export const METRIC_NAMES = {
  events: 'pulse_events_total',
  quarantined: 'pulse_quarantined_events_total',
  flushDuration: 'pulse_flush_duration_seconds',
  flushes: 'pulse_flushes_total',
  rowsWritten: 'pulse_rollup_rows_written_total',
  consumerLag: 'pulse_consumer_lag_messages',
  watermarkLag: 'pulse_watermark_lag_seconds',
  bufferDepth: 'pulse_buffer_depth',
  throughput: 'pulse_events_per_second',
  socketConnections: 'pulse_socket_connections',
  httpIngestRequests: 'pulse_http_ingest_requests_total',
} as const;

/** Metrics only the web process records; workers leave them out of their snapshots. */
export const WEB_ONLY_METRICS: readonly string[] = [
  METRIC_NAMES.socketConnections,
  METRIC_NAMES.httpIngestRequests,
];

/**
 * What a source reports about itself at collection time: events and rollup cells waiting in
 * its pipelines, flushes held for a retry, and per partition its consumer lag (Kafka:
 * high watermark − next offset; null where the source has none) and event-time watermark.
 */
export interface SourceReading {
  source: string;
  buffer: { events: number; cells: number; heldFlushes: number };
  partitions: { partition: number; consumerLag: number | null; watermark: number | null }[];
}

/** What one landed flush part carried. */
export interface LandedPart {
  rows: number;
  folded: number;
  /** The reasons of its quarantined events, one entry per event. */
  quarantinedReasons: readonly string[];
}

export interface Telemetry {
  readonly registry: Registry<PrometheusContentType>;
  /** Observes the duration of one flush transaction (successful or not). */
  observeFlush(source: string, seconds: number): void;
  /**
   * Counts one partition's part of a flush. Events and rows are counted only for a part that
   * landed ('written', or 'already': an earlier attempt that looked failed did land), so a
   * retried flush is counted once.
   */
  countFlushPart(source: string, outcome: FlushOutcome, landed?: LandedPart): void;
  /** Registers a source's live reading (buffers, lag, watermark); returns the unregister. */
  addSource(read: () => SourceReading): () => void;
  /** Socket.io connections of this web process. */
  socketConnected(): void;
  socketDisconnected(): void;
  /** One answered `POST /api/ingest` (the hook for app/_server/http-ingest.ts). */
  httpIngestRequest(status: number): void;
}

interface Options {
  /** Clock for the lag gauges and the throughput sample (epoch ms); tests pass their own. */
  now?: () => number;
}

/** A Registry holding every Pulse metric, with the accessors that record them. */
export function createTelemetry(options: Options = {}): Telemetry {
  const now = options.now ?? Date.now;
  const registry = new Registry<PrometheusContentType>();
  const registers = [registry];
  const sources = new Set<() => SourceReading>();
  const readAll = (): SourceReading[] => {
    const readings: SourceReading[] = [];
    for (const read of sources) {
      try {
        readings.push(read());
      } catch {
        // A source that cannot report this time is left out of this scrape.
      }
    }
    return readings;
  };

  const events = new Counter({
    name: METRIC_NAMES.events,
    help: 'Events whose flush landed in PostgreSQL, by source and outcome (folded or quarantined).',
    labelNames: ['source', 'outcome'] as const,
    registers,
  });
  const quarantined = new Counter({
    name: METRIC_NAMES.quarantined,
    help: 'Quarantined events whose flush landed, by source and reason.',
    labelNames: ['source', 'reason'] as const,
    registers,
  });
  const flushDuration = new Histogram({
    name: METRIC_NAMES.flushDuration,
    help: 'Duration of one flush transaction to PostgreSQL (rollups, quarantine and offsets).',
    labelNames: ['source'] as const,
    buckets: FLUSH_BUCKETS,
    registers,
  });
  const flushes = new Counter({
    name: METRIC_NAMES.flushes,
    help: 'Flush parts per partition by outcome: written, already (an earlier attempt had landed), fenced (another worker owns the partition) or failed (retried).',
    labelNames: ['source', 'outcome'] as const,
    registers,
  });
  const rowsWritten = new Counter({
    name: METRIC_NAMES.rowsWritten,
    help: 'Rollup rows upserted by landed flushes.',
    labelNames: ['source'] as const,
    registers,
  });
  new Gauge({
    name: METRIC_NAMES.consumerLag,
    help: 'Kafka consumer lag per partition: high watermark minus the next offset to fold, as of the last batch.',
    labelNames: ['source', 'partition'] as const,
    registers,
    collect() {
      this.reset();
      for (const r of readAll()) {
        for (const p of r.partitions) {
          if (p.consumerLag !== null) {
            this.set({ source: r.source, partition: p.partition }, Math.max(0, p.consumerLag));
          }
        }
      }
    },
  });
  new Gauge({
    name: METRIC_NAMES.watermarkLag,
    help: 'Now minus the event-time watermark, per source partition.',
    labelNames: ['source', 'partition'] as const,
    registers,
    collect() {
      this.reset();
      const at = now();
      for (const r of readAll()) {
        for (const p of r.partitions) {
          if (p.watermark !== null) {
            this.set({ source: r.source, partition: p.partition }, (at - p.watermark) / 1000);
          }
        }
      }
    },
  });
  new Gauge({
    name: METRIC_NAMES.bufferDepth,
    help: 'What waits in memory for a flush: events and rollup cells in the pipelines, flushes held for a retry.',
    labelNames: ['source', 'kind'] as const,
    registers,
    collect() {
      this.reset();
      for (const r of readAll()) {
        this.inc({ source: r.source, kind: 'events' }, r.buffer.events);
        this.inc({ source: r.source, kind: 'cells' }, r.buffer.cells);
        this.inc({ source: r.source, kind: 'held_flushes' }, r.buffer.heldFlushes);
      }
    },
  });

  // Events per second since the previous collection (at least a second apart), per source.
  // Prometheus users take rate(pulse_events_total[…]) instead; the health page reads this.
  let previous: { at: number; totals: Map<string, number> } | null = null;
  new Gauge({
    name: METRIC_NAMES.throughput,
    help: 'Events per second whose flush landed, over the interval between the last two collections (use rate(pulse_events_total) in PromQL).',
    labelNames: ['source'] as const,
    registers,
    async collect() {
      const at = now();
      if (previous && at - previous.at < 1000) return; // keep the last value
      const totals = new Map<string, number>();
      for (const v of (await events.get()).values) {
        const source = String(v.labels.source ?? '');
        totals.set(source, (totals.get(source) ?? 0) + v.value);
      }
      if (previous) {
        this.reset();
        const seconds = (at - previous.at) / 1000;
        for (const [source, total] of totals) {
          const delta = total - (previous.totals.get(source) ?? 0);
          this.set({ source }, Math.max(0, delta) / seconds);
        }
      }
      previous = { at, totals };
    },
  });

  const sockets = new Gauge({
    name: METRIC_NAMES.socketConnections,
    help: 'Authenticated socket.io connections open on this web process.',
    registers,
  });
  const httpIngest = new Counter({
    name: METRIC_NAMES.httpIngestRequests,
    help: 'Answered POST /api/ingest requests by HTTP status.',
    labelNames: ['status'] as const,
    registers,
  });

  return {
    registry,
    observeFlush(source, seconds) {
      flushDuration.observe({ source }, seconds);
    },
    countFlushPart(source, outcome, landed) {
      flushes.inc({ source, outcome });
      if (!landed || (outcome !== 'written' && outcome !== 'already')) return;
      if (landed.rows > 0) rowsWritten.inc({ source }, landed.rows);
      // Created at zero on the first landed flush, so rate() sees the series start.
      events.inc({ source, outcome: 'folded' }, landed.folded);
      events.inc({ source, outcome: 'quarantined' }, landed.quarantinedReasons.length);
      const byReason = new Map<string, number>();
      for (const reason of landed.quarantinedReasons) {
        byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
      }
      for (const [reason, n] of byReason) quarantined.inc({ source, reason }, n);
    },
    addSource(read) {
      sources.add(read);
      return () => sources.delete(read);
    },
    socketConnected() {
      sockets.inc();
    },
    socketDisconnected() {
      sockets.dec();
    },
    httpIngestRequest(status) {
      httpIngest.inc({ status: String(status) });
    },
  };
}

// ── snapshots and merging ──────────────────────────────────────────────────────────────────

/** One metric of `registry.getMetricsAsJSON()`, as stored in `worker_metrics.metrics`. */
export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator?: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/** A worker's published snapshot. */
export interface WorkerSnapshot {
  worker: string;
  /** When it was written (epoch ms, database clock). */
  updatedAt: number;
  metrics: MetricJson[];
}

const metricJsonSchema = z.object({
  name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
  help: z.string(),
  type: z.enum(['counter', 'gauge', 'histogram', 'summary']),
  aggregator: z.enum(['sum', 'first', 'min', 'max', 'average', 'omit']).optional(),
  values: z.array(
    z.object({
      value: z.number(),
      labels: z.record(z.string(), z.union([z.string(), z.number()])),
      metricName: z.string().optional(),
    }),
  ),
});

/**
 * Reads a stored snapshot (jsonb) back: well-formed metrics are kept, anything else dropped,
 * so one bad row cannot break /metrics. Values that are not numbers (NaN became null in JSON)
 * are dropped too.
 */
export function parseSnapshot(json: unknown): MetricJson[] {
  if (!Array.isArray(json)) return [];
  const out: MetricJson[] = [];
  for (const item of json) {
    if (item && typeof item === 'object' && Array.isArray((item as { values?: unknown }).values)) {
      const values = (item as { values: unknown[] }).values.filter(
        (v) =>
          v !== null &&
          typeof v === 'object' &&
          typeof (v as { value?: unknown }).value === 'number',
      );
      const parsed = metricJsonSchema.safeParse({ ...item, values });
      if (parsed.success) out.push(parsed.data);
    }
  }
  return out;
}

/** What a worker publishes: its registry as JSON, without the web-only metrics. */
export async function workerSnapshot(telemetry: Telemetry): Promise<MetricJson[]> {
  const metrics = (await telemetry.registry.getMetricsAsJSON()) as unknown as MetricJson[];
  return metrics
    .filter((m) => !WEB_ONLY_METRICS.includes(m.name))
    .map(({ name, help, type, aggregator, values }) => ({
      name,
      help,
      type: String(type),
      ...(aggregator ? { aggregator } : {}),
      values: values.map(({ value, labels, metricName }) => ({
        value,
        labels,
        ...(metricName ? { metricName } : {}),
      })),
    }));
}

/** Adds `worker` to the labels of every series of a snapshot. */
export function labelWorker(metrics: MetricJson[], worker: string): MetricJson[] {
  return metrics.map((m) => ({
    ...m,
    values: m.values.map((v) => ({ ...v, labels: { ...v.labels, worker } })),
  }));
}

/**
 * One registry with the web process's own metrics and every worker snapshot, each worker's
 * series labelled `worker` (see the module comment for why it does not sum them). Metrics of
 * the same name must agree on type; a snapshot whose type disagrees (an older worker version)
 * loses that metric rather than breaking the output.
 */
export function mergeSnapshots(
  own: MetricJson[],
  workers: WorkerSnapshot[],
): Registry<PrometheusContentType> {
  const types = new Map(own.map((m) => [m.name, m.type]));
  const lists = [own];
  for (const w of workers) {
    const agreeing = w.metrics.filter((m) => {
      const known = types.get(m.name);
      if (known === undefined) types.set(m.name, m.type);
      return known === undefined || known === m.type;
    });
    lists.push(labelWorker(agreeing, w.worker));
  }
  return AggregatorRegistry.aggregate<PrometheusContentType>(
    lists.map((list) => list.map((m) => ({ ...m, aggregator: m.aggregator ?? 'sum' }))),
  );
}

// ── the health page's summary ──────────────────────────────────────────────────────────────

export interface LivePartition {
  source: string;
  partition: number;
  worker: string;
  consumerLag: number | null;
  watermarkLagSeconds: number | null;
}

export interface LiveBuffer {
  worker: string;
  source: string;
  events: number;
  cells: number;
  heldFlushes: number;
}

/** The live figures of the health page, read from the merged metrics. */
export interface LiveMetrics {
  /** Server time of the read (epoch ms). */
  generatedAt: number;
  /** Workers with a fresh snapshot, and when each was written. */
  workers: { worker: string; updatedAt: number }[];
  /** Events per second over the last publish interval, all sources. */
  throughput: number;
  /** Since each process started: events folded and quarantined whose flush landed. */
  events: { folded: number; quarantined: number };
  /** Flush latency quantiles (seconds) from the histogram, since each process started. */
  flush: { count: number; p50: number | null; p99: number | null; failed: number };
  rowsWritten: number;
  partitions: LivePartition[];
  buffers: LiveBuffer[];
  /** Quarantined since each process started, by reason (largest first). */
  quarantine: { reason: string; count: number }[];
  sockets: number;
}

const WEB = 'web';

function valuesOf(metrics: MetricJson[], name: string): MetricJson['values'] {
  return metrics.find((m) => m.name === name)?.values ?? [];
}

const sum = (values: MetricJson['values']) => values.reduce((n, v) => n + v.value, 0);

/**
 * The quantile `q` of a Prometheus histogram from its cumulative buckets (`le` → count),
 * interpolated linearly inside the bucket like PromQL's histogram_quantile. Null without
 * observations; the highest finite bound when the quantile lies in the +Inf bucket.
 */
export function histogramQuantile(q: number, buckets: Map<number, number>): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  if (total <= 0 || bounds.length === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound)!;
    if (count >= rank) {
      if (bound === Infinity) return lower;
      const inBucket = count - below;
      return inBucket <= 0 ? bound : lower + ((bound - lower) * (rank - below)) / inBucket;
    }
    lower = bound;
    below = count;
  }
  return lower;
}

/** Sums up merged metrics (`mergeSnapshots(...).getMetricsAsJSON()`) for the health page. */
export function summarize(
  metrics: MetricJson[],
  workers: { worker: string; updatedAt: number }[],
  generatedAt: number,
): LiveMetrics {
  const workerOf = (labels: Record<string, string | number>) => String(labels.worker ?? WEB);

  const events = valuesOf(metrics, METRIC_NAMES.events);
  const byOutcome = (outcome: string) => sum(events.filter((v) => v.labels.outcome === outcome));

  const buckets = new Map<number, number>();
  let flushCount = 0;
  for (const v of valuesOf(metrics, METRIC_NAMES.flushDuration)) {
    if (v.metricName?.endsWith('_bucket')) {
      const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
      if (!Number.isNaN(le)) buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    } else if (v.metricName?.endsWith('_count')) flushCount += v.value;
  }

  const partitions = new Map<string, LivePartition>();
  const partitionOf = (labels: Record<string, string | number>): LivePartition => {
    const source = String(labels.source ?? '');
    const partition = Number(labels.partition ?? 0);
    const worker = workerOf(labels);
    const key = `${worker}\0${source}\0${partition}`;
    let row = partitions.get(key);
    if (!row) {
      row = { source, partition, worker, consumerLag: null, watermarkLagSeconds: null };
      partitions.set(key, row);
    }
    return row;
  };
  for (const v of valuesOf(metrics, METRIC_NAMES.consumerLag)) {
    partitionOf(v.labels).consumerLag = v.value;
  }
  for (const v of valuesOf(metrics, METRIC_NAMES.watermarkLag)) {
    partitionOf(v.labels).watermarkLagSeconds = v.value;
  }

  const buffers = new Map<string, LiveBuffer>();
  for (const v of valuesOf(metrics, METRIC_NAMES.bufferDepth)) {
    const worker = workerOf(v.labels);
    const source = String(v.labels.source ?? '');
    const key = `${worker}\0${source}`;
    let row = buffers.get(key);
    if (!row) {
      row = { worker, source, events: 0, cells: 0, heldFlushes: 0 };
      buffers.set(key, row);
    }
    if (v.labels.kind === 'events') row.events += v.value;
    else if (v.labels.kind === 'cells') row.cells += v.value;
    else if (v.labels.kind === 'held_flushes') row.heldFlushes += v.value;
  }

  const reasons = new Map<string, number>();
  for (const v of valuesOf(metrics, METRIC_NAMES.quarantined)) {
    const reason = String(v.labels.reason ?? '');
    reasons.set(reason, (reasons.get(reason) ?? 0) + v.value);
  }

  const order = (a: { source: string; partition?: number; worker: string }, b: typeof a) =>
    a.source.localeCompare(b.source) ||
    (a.partition ?? 0) - (b.partition ?? 0) ||
    a.worker.localeCompare(b.worker);

  return {
    generatedAt,
    workers: [...workers].sort((a, b) => a.worker.localeCompare(b.worker)),
    throughput: sum(valuesOf(metrics, METRIC_NAMES.throughput)),
    events: { folded: byOutcome('folded'), quarantined: byOutcome('quarantined') },
    flush: {
      count: flushCount,
      p50: histogramQuantile(0.5, buckets),
      p99: histogramQuantile(0.99, buckets),
      failed: sum(
        valuesOf(metrics, METRIC_NAMES.flushes).filter((v) => v.labels.outcome === 'failed'),
      ),
    },
    rowsWritten: sum(valuesOf(metrics, METRIC_NAMES.rowsWritten)),
    partitions: [...partitions.values()].sort(order),
    buffers: [...buffers.values()].sort(order),
    quarantine: [...reasons]
      .map(([reason, count]) => ({ reason, count }))
      .filter((r) => r.count > 0)
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    sockets: sum(valuesOf(metrics, METRIC_NAMES.socketConnections)),
  };
}

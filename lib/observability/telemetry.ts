/**
 * Pulse's Prometheus metrics: their definitions (one place) and typed accessors for the code that
 * records them. Merging the snapshots of several processes is ./snapshots.ts; the health page's
 * summary of them is ./live-figures.ts.
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
import { Counter, Gauge, Histogram, Registry, type PrometheusContentType } from 'prom-client';
import type { TableStorage } from '@/lib/retention/policy';

/** What became of one partition's part of a flush (see db/queries/stream.ts FencedOutcome). */
export type FlushOutcome = 'written' | 'already' | 'fenced' | 'failed';

export const FLUSH_OUTCOMES: readonly FlushOutcome[] = ['written', 'already', 'fenced', 'failed'];

/** Kinds of `pulse_buffer_depth`: what waits in memory for a flush. */
export type BufferKind = 'events' | 'cells' | 'held_flushes';

/** Flush latency buckets (seconds): a healthy flush takes milliseconds, a sick one seconds. */
export const FLUSH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What became of one delivery attempt (lib/alerts/notify/retry.ts `nextStep`). */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

/**
 * Delivery attempt latency buckets (seconds): a receiver answers in milliseconds to a second,
 * a sick one runs into the attempt timeout (10 s by default).
 */
export const DELIVERY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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
  tableSize: 'pulse_table_size_bytes',
  tablePartitions: 'pulse_table_partitions',
  tableOldest: 'pulse_table_oldest_timestamp_seconds',
  notificationDeliveries: 'pulse_notification_deliveries_total',
  notificationDeliveryDuration: 'pulse_notification_delivery_duration_seconds',
} as const;

/** Metrics only the web process records; workers leave them out of their snapshots. */
export const WEB_ONLY_METRICS: readonly string[] = [
  METRIC_NAMES.socketConnections,
  METRIC_NAMES.httpIngestRequests,
  METRIC_NAMES.tableSize,
  METRIC_NAMES.tablePartitions,
  METRIC_NAMES.tableOldest,
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
  /**
   * The size, day partitions and oldest data of each stored table, as read for a scrape (the
   * web process reads them from PostgreSQL's catalog; see app/_server/metrics-endpoint.ts).
   */
  setStorage(tables: readonly TableStorage[]): void;
  /**
   * One notification delivery attempt to `channel` (a channel id), by what it led to, and how
   * long it took (the notifier, workers/services/notifier/). Without `seconds` nothing was sent
   * (the channel was deleted or disabled): counted, not timed.
   */
  countDelivery(channel: string, outcome: DeliveryOutcome, seconds?: number): void;
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

  const tableSize = new Gauge({
    name: METRIC_NAMES.tableSize,
    help: 'Size on disk of a table, indexes and TOAST included, summed over its partitions.',
    labelNames: ['table'] as const,
    registers,
  });
  const tablePartitions = new Gauge({
    name: METRIC_NAMES.tablePartitions,
    help: 'Day partitions of a time-partitioned table (its default partition not counted).',
    labelNames: ['table'] as const,
    registers,
  });
  const tableOldest = new Gauge({
    name: METRIC_NAMES.tableOldest,
    help: 'Start of the oldest data a table keeps (Unix seconds); absent while it is empty.',
    labelNames: ['table'] as const,
    registers,
  });

  // Labelled by channel id: a handful of channels, so the cardinality stays small.
  const deliveries = new Counter({
    name: METRIC_NAMES.notificationDeliveries,
    help: 'Notification delivery attempts by channel and outcome: delivered, retry (scheduled again) or failed (given up: the receiver said never, or the retry budget is spent).',
    labelNames: ['channel', 'outcome'] as const,
    registers,
  });
  const deliveryDuration = new Histogram({
    name: METRIC_NAMES.notificationDeliveryDuration,
    help: 'Duration of one notification delivery attempt, until the receiver answered, failed or timed out.',
    labelNames: ['channel'] as const,
    buckets: DELIVERY_BUCKETS,
    registers,
  });

  return {
    registry,
    countDelivery(channel, outcome, seconds) {
      deliveries.inc({ channel, outcome });
      if (seconds !== undefined) deliveryDuration.observe({ channel }, seconds);
    },
    setStorage(tables) {
      tableSize.reset();
      tablePartitions.reset();
      tableOldest.reset();
      for (const t of tables) {
        tableSize.set({ table: t.table }, t.bytes);
        // Only partitioned tables have a default partition, hence day partitions to count.
        if (t.defaultBytes !== null) tablePartitions.set({ table: t.table }, t.partitions);
        if (t.oldest !== null) tableOldest.set({ table: t.table }, t.oldest / 1000);
      }
    },
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

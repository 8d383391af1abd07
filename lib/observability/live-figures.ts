/**
 * The health page's live figures, summed up from merged metric snapshots (./snapshots.ts):
 * throughput, flush latency quantiles, lags per partition, buffers, quarantine by reason.
 * Pure; the browser imports its types only.
 */
import type { MetricJson } from './snapshots';
import { METRIC_NAMES } from './telemetry';

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

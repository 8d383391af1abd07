/**
 * Worker snapshots of the metrics registry and their merge into the web process's `/metrics`
 * (see ./telemetry.ts for why every worker's series keep a `worker` label instead of being
 * summed).
 */
import { AggregatorRegistry, type PrometheusContentType, type Registry } from 'prom-client';
import { z } from 'zod';
import { WEB_ONLY_METRICS, type Telemetry } from './telemetry';

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

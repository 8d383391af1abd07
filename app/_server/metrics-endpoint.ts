/**
 * The web process's metrics: its own registry (socket.io connections, HTTP ingest, re-ingest)
 * and `/metrics`, which merges it with the fresh snapshots the workers publish to PostgreSQL.
 *
 * `/metrics` is served by server.ts before Next, unauthenticated, like `/api/health`: it is
 * meant for a Prometheus scraper on the internal network, and it carries no secrets or event
 * data — only counts, latencies, source names, partition numbers and worker names
 * (host:pid). The web server binds 127.0.0.1 unless HOST says otherwise; a deployment that
 * exposes the port publicly should keep /metrics behind its proxy (or ask for a bearer token,
 * which would be one more variable in lib/config/schema.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Db, Sql } from '@/db/client';
import { tableStorage } from '@/db/queries/retention';
import { freshWorkerSnapshots, SNAPSHOT_MAX_AGE_MS } from '@/db/queries/worker-metrics';
import * as schema from '@/db/schema';
import { createTelemetry, type Telemetry } from '@/lib/observability/telemetry';
import { mergeSnapshots, type MetricJson } from '@/lib/observability/snapshots';
import { summarize, type LiveMetrics } from '@/lib/observability/live-figures';

const globalRef = globalThis as unknown as { __pulseTelemetry?: Telemetry };

/**
 * The web process's telemetry. server.ts and Next's route handlers (bundled separately) reach
 * the same instance through globalThis, as with the database handle (./context.ts).
 */
export function webTelemetry(): Telemetry {
  globalRef.__pulseTelemetry ??= createTelemetry();
  return globalRef.__pulseTelemetry;
}

/** This process's registry merged with every worker snapshot younger than `maxAgeMs`. */
export async function gatherMetrics(
  sql: Sql,
  telemetry: Telemetry = webTelemetry(),
  maxAgeMs = SNAPSHOT_MAX_AGE_MS,
) {
  const [own, workers] = await Promise.all([
    telemetry.registry.getMetricsAsJSON() as unknown as Promise<MetricJson[]>,
    freshWorkerSnapshots(sql, maxAgeMs),
  ]);
  return {
    registry: mergeSnapshots(own, workers),
    workers: workers.map(({ worker, updatedAt }) => ({ worker, updatedAt })),
  };
}

/** Drizzle over the pool server.ts hands in, for the read models that take one. */
const drizzleOf = new WeakMap<Sql, Db>();
function dbOf(sql: Sql): Db {
  let db = drizzleOf.get(sql);
  if (!db) drizzleOf.set(sql, (db = drizzle(sql, { schema })));
  return db;
}

/**
 * Prometheus text of {@link gatherMetrics}, with the size and oldest data of each stored table
 * read for this scrape (catalog figures and index probes: cheap; the health page reads them in
 * its own read model, so its 5-second refresh of the live figures does not).
 */
export async function metricsText(sql: Sql, telemetry: Telemetry = webTelemetry()) {
  telemetry.setStorage(await tableStorage(dbOf(sql)));
  const { registry } = await gatherMetrics(sql, telemetry);
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** The health page's live figures. */
export async function liveMetrics(sql: Sql, telemetry?: Telemetry): Promise<LiveMetrics> {
  const { registry, workers } = await gatherMetrics(sql, telemetry);
  const merged = (await registry.getMetricsAsJSON()) as unknown as MetricJson[];
  return summarize(merged, workers, Date.now());
}

/**
 * True for `GET|HEAD /metrics` (query string allowed) from a scraper. The same path is the
 * Metrics page of the app: a browser asking for a page (Accept: text/html) or Next's router
 * fetching its payload (RSC header, `_rsc` query) gets the page, everything else (Prometheus,
 * curl) the exposition text.
 */
export function isMetricsRequest(req: IncomingMessage): boolean {
  const [path, query = ''] = (req.url ?? '').split('?');
  if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  const accept = String(req.headers.accept ?? '').toLowerCase();
  const forPage =
    accept.includes('text/html') ||
    req.headers.rsc !== undefined ||
    new URLSearchParams(query).has('_rsc');
  return !forPage;
}

/** Answers `/metrics` for server.ts. Never throws; a failed read is a 503 without details. */
export async function serveMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  sql: Sql,
  telemetry?: Telemetry,
  onError?: (error: unknown) => void,
): Promise<void> {
  try {
    const { contentType, body } = await metricsText(sql, telemetry);
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (error) {
    onError?.(error);
    if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('metrics unavailable\n');
  }
}

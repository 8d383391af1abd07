/** Worker metric snapshots: each worker upserts its own row; the web server reads fresh ones. */
import { parseSnapshot, type MetricJson, type WorkerSnapshot } from '@/lib/observability/snapshots';
import type { Sql } from '@/db/client';

/** Snapshots older than this are left out of /metrics: their worker is gone or stuck. */
export const SNAPSHOT_MAX_AGE_MS = 30_000;

/** Writes (or replaces) `worker`'s snapshot, stamped with the database clock. */
export async function upsertWorkerSnapshot(
  sql: Sql,
  worker: string,
  metrics: MetricJson[],
): Promise<void> {
  await sql`
    insert into worker_metrics (worker, updated_at, metrics)
    values (${worker}, now(), ${JSON.stringify(metrics)}::jsonb)
    on conflict (worker) do update set updated_at = now(), metrics = excluded.metrics`;
}

/** Removes `worker`'s snapshot (clean shutdown). */
export async function deleteWorkerSnapshot(sql: Sql, worker: string): Promise<void> {
  await sql`delete from worker_metrics where worker = ${worker}`;
}

/**
 * JSON travels as text: drizzle's postgres-js driver turns the pool's own json(b)
 * (de)serialisers off, and this pool is shared with drizzle.
 */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Snapshots written within `maxAgeMs`, judged by the database clock (the one that stamped them). */
export async function freshWorkerSnapshots(
  sql: Sql,
  maxAgeMs = SNAPSHOT_MAX_AGE_MS,
): Promise<WorkerSnapshot[]> {
  const rows = await sql<{ worker: string; updated_at: Date; metrics: string }[]>`
    select worker, updated_at, metrics::text as metrics from worker_metrics
    where updated_at > now() - make_interval(secs => ${maxAgeMs / 1000})
    order by worker`;
  return rows.map((r) => ({
    worker: r.worker,
    updatedAt: new Date(r.updated_at).getTime(),
    metrics: parseSnapshot(parseJson(r.metrics)),
  }));
}

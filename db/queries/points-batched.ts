/**
 * Batched reads and writes of `metric_points` for the detector's window (the engine store's
 * `prepare` and `flush`, db/queries/engine-store.ts): what ./points.ts reads and writes for one
 * metric, for every metric due in a window in one statement each, each metric's answer the same
 * as its own call's (db/queries/points.int.test.ts checks that).
 */
import { and, inArray, sql } from 'drizzle-orm';
import { SEASON_MS } from '@/lib/detection/zscore';
import type { PointStatus, Score, Season } from '@/lib/types';
import { metricPoints } from '../schema';
import type { Executor } from './executor';
import { baselineOf, baselinePoint, type BaselineRow, type PointRow } from './points';

/**
 * A PostgreSQL array literal (`{1,NULL,"ok"}`), passed as one text parameter and cast: the
 * driver binds a JS array only for some element types. Numbers are written as JavaScript
 * prints them (the shortest form that reads back as the same double).
 */
export function arrayLiteral(values: readonly (number | string | null)[]): string {
  const item = (v: number | string | null) => {
    if (v === null) return 'NULL';
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
      return String(v);
    }
    return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  };
  return `{${values.map(item).join(',')}}`;
}

const isoArray = (ms: readonly number[]) =>
  sql`${arrayLiteral(ms.map((w) => new Date(w).toISOString()))}::timestamptz[]`;
const intArray = (xs: readonly number[]) => {
  if (!xs.every(Number.isSafeInteger)) throw new RangeError('expected integers');
  return sql`${arrayLiteral(xs)}::int[]`;
};

/** What {@link baselineHistories} reads for one metric: its `baselineHistory` call's arguments. */
export interface BaselineAsk {
  metricId: number;
  before: number;
  limit: number;
  spanMs: number;
}

/**
 * {@link baselineHistory} of many metrics in one statement (the detector's window: every metric
 * asks for its baseline at once), each metric's answer the same as its own call's. Per metric,
 * a lateral read of its latest `2 × limit` points before `before`, first bounded below by
 * `before − 2 × limit × spanMs` (the day partitions those points lie in, as latestBefore does);
 * the metrics that read fewer than `2 × limit` there (new ones, or after a gap) are read again
 * in one more statement without the bound. The filter of {@link baselinePoint} runs in SQL, so
 * one row per metric comes back.
 */
export async function baselineHistories(
  db: Executor,
  asks: readonly BaselineAsk[],
): Promise<Map<number, { windowStart: number; value: number }[]>> {
  const out = new Map<number, { windowStart: number; value: number }[]>();
  const read = async (batch: readonly BaselineAsk[], bounded: boolean) => {
    if (batch.length === 0) return [];
    const lows = batch.map((a) => a.before - a.limit * 2 * a.spanMs);
    const maxBefore = Math.max(...batch.map((a) => a.before));
    const lower = bounded
      ? sql`and p.window_start >= m.lo and p.window_start >= ${new Date(Math.min(...lows)).toISOString()}::timestamptz`
      : sql``;
    const rows = await db.execute<{
      metric_id: number;
      n_read: number;
      ws: number[];
      vals: number[];
    }>(sql`
      select m.id as metric_id, x.n_read, x.ws, x.vals
      from unnest(${intArray(batch.map((a) => a.metricId))}, ${isoArray(batch.map((a) => a.before))},
                  ${isoArray(lows)}, ${intArray(batch.map((a) => a.limit * 2))}) as m(id, before, lo, n)
      cross join lateral (
        select count(*)::int as n_read,
          coalesce(array_agg(round(extract(epoch from l.window_start) * 1000)::float8 order by l.window_start desc)
            filter (where l.value is not null and l.status in ('ok', 'learning')), '{}') as ws,
          coalesce(array_agg(l.value order by l.window_start desc)
            filter (where l.value is not null and l.status in ('ok', 'learning')), '{}') as vals
        from (
          select p.window_start, p.value, p.status
          from metric_points p
          where p.metric_id = m.id and p.window_start < m.before
            and p.window_start < ${new Date(maxBefore).toISOString()}::timestamptz
            ${lower}
          order by p.window_start desc
          limit m.n
        ) l
      ) x`);
    return rows;
  };
  const byId = new Map(asks.map((a) => [a.metricId, a]));
  const short: BaselineAsk[] = [];
  const take = (rows: Awaited<ReturnType<typeof read>>, bounded: boolean) => {
    for (const r of rows) {
      const ask = byId.get(r.metric_id)!;
      if (bounded && ask.spanMs > 0 && r.n_read < ask.limit * 2) {
        short.push(ask);
        continue;
      }
      const latest = r.ws.map((windowStart, i) => ({
        windowStart,
        value: r.vals[i]!,
        status: 'ok' as const,
      }));
      out.set(ask.metricId, baselineOf(latest, ask.limit));
    }
  };
  const withBound = asks.filter((a) => a.spanMs > 0);
  take(await read(withBound, true), true);
  take(await read([...asks.filter((a) => !(a.spanMs > 0)), ...short], false), false);
  return out;
}

/** What {@link seasonalHistories} reads for one metric: its `seasonalHistory` call's arguments. */
export interface SeasonalAsk {
  metricId: number;
  windowStart: number;
  season: Season;
  k: number;
}

/**
 * {@link seasonalHistory} of many metrics in one statement, each metric's answer the same as its
 * own call's: the points at each metric's slots (windowStart − j·season, j = 1..k).
 */
export async function seasonalHistories(
  db: Executor,
  asks: readonly SeasonalAsk[],
): Promise<Map<number, { windowStart: number; value: number }[]>> {
  const out = new Map<number, { windowStart: number; value: number }[]>();
  const ids: number[] = [];
  const slots: number[] = [];
  for (const a of asks) {
    out.set(a.metricId, []);
    for (let j = 1; j <= a.k; j++) {
      ids.push(a.metricId);
      slots.push(a.windowStart - j * SEASON_MS[a.season]);
    }
  }
  if (ids.length === 0) return out;
  const rows = await db.execute<{
    metric_id: number;
    ws: number;
    value: number | null;
    status: PointStatus;
  }>(sql`
    select p.metric_id, round(extract(epoch from p.window_start) * 1000)::float8 as ws,
      p.value, p.status
    from metric_points p
    join unnest(${intArray(ids)}, ${isoArray(slots)}) as s(id, at)
      on p.metric_id = s.id and p.window_start = s.at
    where p.window_start = any(${isoArray([...new Set(slots)])})
    order by p.metric_id, p.window_start`);
  for (const r of rows) {
    const row: BaselineRow = { windowStart: r.ws, value: r.value, status: r.status };
    if (baselinePoint(row)) out.get(r.metric_id)!.push({ windowStart: r.ws, value: row.value });
  }
  return out;
}

/** A stored point as the lifecycle (pending run) and the drift test read it. */
export interface RecentPoint {
  windowStart: number;
  z: number | null;
  status: PointStatus;
  anomalyId: number | null;
}

/**
 * The stored points of many metrics, each in its own range [from, to), oldest first, in one
 * statement: what `incidentState` (the pending run) and {@link recentDriftPoints} read per
 * metric, read for a window's metrics at once (the caller cuts each metric's rows to the range
 * each of those reads asks for). Every asked metric has an entry, empty when it has no point.
 */
export async function recentPointsOf(
  db: Executor,
  asks: readonly { metricId: number; from: number; to: number }[],
): Promise<Map<number, RecentPoint[]>> {
  const out = new Map<number, RecentPoint[]>(asks.map((a) => [a.metricId, []]));
  if (asks.length === 0) return out;
  // As JSON: the driver reads a NULL inside a numeric array as NaN.
  const rows = await db.execute<{
    metric_id: number;
    points: [number, number | null, PointStatus, number | null][];
  }>(sql`
    select m.id as metric_id,
      json_agg(json_build_array(round(extract(epoch from p.window_start) * 1000)::float8, p.z,
        p.status, p.anomaly_id) order by p.window_start) as points
    from unnest(${intArray(asks.map((a) => a.metricId))}, ${isoArray(asks.map((a) => a.from))},
                ${isoArray(asks.map((a) => a.to))}) as m(id, lo, hi)
    join metric_points p
      on p.metric_id = m.id and p.window_start >= m.lo and p.window_start < m.hi
    where p.window_start >= ${new Date(Math.min(...asks.map((a) => a.from))).toISOString()}::timestamptz
      and p.window_start < ${new Date(Math.max(...asks.map((a) => a.to))).toISOString()}::timestamptz
    group by m.id`);
  for (const r of rows) {
    out.set(
      r.metric_id,
      r.points.map(([windowStart, z, status, anomalyId]) => ({
        windowStart,
        z,
        status,
        anomalyId,
      })),
    );
  }
  return out;
}

/** One point to write: {@link upsertPoint}'s arguments. */
export interface PointWrite {
  metricId: number;
  windowStart: number;
  score: Score;
  volume: number;
  anomalyId: number | null;
}

/**
 * The rows {@link upsertPoints} writes: {@link upsertPoint}'s values, one per metric and window
 * (of two writes of the same point the later wins, as two upserts in a row would leave it).
 */
export function pointRows(writes: readonly PointWrite[]) {
  const byKey = new Map<string, PointWrite>();
  for (const w of writes) {
    const key = `${w.metricId}:${w.windowStart}`;
    byKey.delete(key);
    byKey.set(key, w);
  }
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return [...byKey.values()].map((w) => ({
    metricId: w.metricId,
    windowStart: w.windowStart,
    value: finite(w.score.value),
    expected: finite(w.score.expected),
    sigma: finite(w.score.sigma),
    z: finite(w.score.z),
    volume: w.volume,
    status: w.score.status,
    anomalyId: w.anomalyId,
  }));
}

/** {@link upsertPoint} of many points in one multi-row `insert … on conflict` statement. */
export async function upsertPoints(db: Executor, writes: readonly PointWrite[]): Promise<void> {
  const rows = pointRows(writes);
  if (rows.length === 0) return;
  const col = (pick: (r: (typeof rows)[number]) => number | string | null) =>
    arrayLiteral(rows.map(pick));
  await db.execute(sql`
    insert into metric_points
      (metric_id, window_start, value, expected, sigma, z, volume, status, anomaly_id)
    select * from unnest(
      ${intArray(rows.map((r) => r.metricId))},
      ${isoArray(rows.map((r) => r.windowStart))},
      ${col((r) => r.value)}::float8[],
      ${col((r) => r.expected)}::float8[],
      ${col((r) => r.sigma)}::float8[],
      ${col((r) => r.z)}::float8[],
      ${col((r) => r.volume)}::float8[],
      ${col((r) => r.status)}::text[],
      ${col((r) => r.anomalyId)}::int[])
    on conflict (metric_id, window_start) do update set
      value = excluded.value,
      expected = excluded.expected,
      sigma = excluded.sigma,
      z = excluded.z,
      volume = excluded.volume,
      status = excluded.status,
      anomaly_id = excluded.anomaly_id`);
}

/**
 * The stored points of many metrics, each at its own window start, in one statement: keyed by
 * metric id, present only for the metrics that have a point there (the detector's test between
 * a first scoring and a revision, workers/services/detector.ts).
 */
export async function pointsAt(
  db: Executor,
  asks: readonly { metricId: number; windowStart: number }[],
): Promise<Map<number, PointRow>> {
  if (asks.length === 0) return new Map();
  const rows = await db
    .select()
    .from(metricPoints)
    .where(
      and(
        inArray(
          metricPoints.windowStart,
          [...new Set(asks.map((a) => a.windowStart))].map((w) => new Date(w)),
        ),
        sql`(${metricPoints.metricId}, ${metricPoints.windowStart}) in (
          select * from unnest(${intArray(asks.map((a) => a.metricId))},
                               ${isoArray(asks.map((a) => a.windowStart))}))`,
      ),
    );
  return new Map(rows.map((r) => [r.metricId, r]));
}

/**
 * The `metric_points` table: one scored window of one metric. The detector writes them and reads
 * them back for baselines (rolling and seasonal); the board, the drill-down and the thresholds
 * preview read them.
 */
import { and, asc, desc, eq, gt, gte, inArray, isNotNull, lt, lte, or, sql } from 'drizzle-orm';
import { SEASON_MS } from '@/lib/detection/zscore';
import type { PreviewReads, WindowRange } from '@/lib/detection/rule-preview';
import type { DriftPoint } from '@/lib/detection/drift';
import type { WindowPoint } from '@/lib/types';
import type { PointStatus, Score, Season } from '@/lib/types';
import { metricPoints } from '../schema';
import type { Executor } from './executor';

export type PointRow = typeof metricPoints.$inferSelect;

/**
 * The latest `count` points of a metric before `before`, newest first. `spanMs` is the metric's
 * window: when the `count` windows just before `before` were all scored, those are the answer,
 * read from the day partitions they lie in only; after a gap the read goes further back (every
 * partition), so the answer is the same either way. Without the bound, every read would plan
 * and probe each day partition of the table's history (90 days by default).
 */
const POINT_COLUMNS = {
  windowStart: metricPoints.windowStart,
  value: metricPoints.value,
  expected: metricPoints.expected,
  sigma: metricPoints.sigma,
  z: metricPoints.z,
  volume: metricPoints.volume,
  status: metricPoints.status,
  anomalyId: metricPoints.anomalyId,
};

async function latestBefore(
  db: Executor,
  metricId: number,
  before: number,
  count: number,
  spanMs: number | undefined,
) {
  const read = (notBefore: number | null) =>
    db
      .select(POINT_COLUMNS)
      .from(metricPoints)
      .where(
        and(
          eq(metricPoints.metricId, metricId),
          lt(metricPoints.windowStart, new Date(before)),
          notBefore === null ? undefined : gte(metricPoints.windowStart, new Date(notBefore)),
        ),
      )
      .orderBy(desc(metricPoints.windowStart))
      .limit(count);
  if (spanMs !== undefined && spanMs > 0) {
    const recent = await read(before - count * spanMs);
    if (recent.length >= count) return recent;
  }
  return read(null);
}

/**
 * The metric's baseline: values of up to `limit` earlier windows, oldest first, leaving out
 * windows that alerted (an incident must not teach the baseline that it is normal): of the
 * `2 × limit` latest points, those with a value whose status is ok or learning. `spanMs`, the
 * metric's window, keeps the read to the partitions those points lie in (see latestBefore).
 */
export async function baselineHistory(
  db: Executor,
  metricId: number,
  beforeWindow: number,
  limit: number,
  spanMs?: number,
): Promise<{ windowStart: number; value: number }[]> {
  const rows = await latestBefore(db, metricId, beforeWindow, limit * 2, spanMs);
  return baselineOf(
    rows.map((r) => ({ windowStart: r.windowStart.getTime(), value: r.value, status: r.status })),
    limit,
  );
}

/** A stored point as the baselines read it. */
export interface BaselineRow {
  windowStart: number;
  value: number | null;
  status: PointStatus;
}

/**
 * The baseline from a metric's latest points, newest first: of those with a value whose status
 * is ok or learning, the `limit` newest, oldest first ({@link baselineHistory}).
 */
export function baselineOf(
  latest: readonly BaselineRow[],
  limit: number,
): { windowStart: number; value: number }[] {
  return latest
    .filter(baselinePoint)
    .slice(0, limit)
    .map((r) => ({ windowStart: r.windowStart, value: r.value }))
    .reverse();
}

/** A point a baseline may learn from: it has a value, and its window did not alert. */
export function baselinePoint(r: BaselineRow): r is BaselineRow & { value: number } {
  return r.value !== null && (r.status === 'ok' || r.status === 'learning');
}

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

/**
 * The metric's seasonal baseline: its values at the same slot on the `k` previous days or
 * weeks (windowStart − j·season for j = 1..k), oldest first, leaving out windows that alerted
 * and windows without a value, as {@link baselineHistory} does. Fewer than k while the history
 * is short (the score then falls back to the rolling baseline and says so).
 */
export async function seasonalHistory(
  db: Executor,
  metricId: number,
  windowStart: number,
  season: Season,
  k: number,
): Promise<{ windowStart: number; value: number }[]> {
  if (k < 1) return [];
  const slots = Array.from(
    { length: k },
    (_, j) => new Date(windowStart - (j + 1) * SEASON_MS[season]),
  );
  const rows = await db
    .select({
      windowStart: metricPoints.windowStart,
      value: metricPoints.value,
      status: metricPoints.status,
    })
    .from(metricPoints)
    .where(and(eq(metricPoints.metricId, metricId), inArray(metricPoints.windowStart, slots)))
    .orderBy(asc(metricPoints.windowStart));
  return rows
    .filter((r) => r.value !== null && (r.status === 'ok' || r.status === 'learning'))
    .map((r) => ({ windowStart: r.windowStart.getTime(), value: r.value as number }));
}

/**
 * The metric's stored values over [from, to) averaged per `stepMs` (slots aligned on multiples
 * of it), oldest first, for the season decision (lib/detection/auto-season.ts). Every point with
 * a value counts, alerted ones too. PostgreSQL averages, so weeks of minute windows come back
 * as some hundreds of rows, from the day partitions of the range only.
 */
export async function seasonSamples(
  db: Executor,
  metricId: number,
  range: { from: number; to: number },
  stepMs: number,
): Promise<{ windowStart: number; value: number }[]> {
  // The step inline (a whole number of ms): GROUP BY must repeat the select's expression, and
  // two placeholders for it would be two expressions to PostgreSQL.
  const step = sql.raw(String(Math.max(1, Math.trunc(stepMs))));
  const slot = sql<string>`floor(extract(epoch from ${metricPoints.windowStart}) * 1000 / ${step})::bigint`;
  const rows = await db
    .select({ slot, value: sql<number>`avg(${metricPoints.value})` })
    .from(metricPoints)
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        gte(metricPoints.windowStart, new Date(range.from)),
        lt(metricPoints.windowStart, new Date(range.to)),
        isNotNull(metricPoints.value),
      ),
    )
    .groupBy(slot)
    .orderBy(slot);
  return rows.map((r) => ({ windowStart: Number(r.slot) * stepMs, value: Number(r.value) }));
}

/** The start of the metric's latest stored window, or null when it has none. */
export async function latestPointStart(db: Executor, metricId: number): Promise<number | null> {
  const [row] = await db
    .select({ windowStart: metricPoints.windowStart })
    .from(metricPoints)
    .where(eq(metricPoints.metricId, metricId))
    .orderBy(desc(metricPoints.windowStart))
    .limit(1);
  return row ? row.windowStart.getTime() : null;
}

export async function upsertPoint(
  db: Executor,
  metricId: number,
  windowStart: number,
  score: Score,
  volume: number,
  anomalyId: number | null,
) {
  const values = {
    metricId,
    windowStart: new Date(windowStart),
    value: Number.isFinite(score.value) ? score.value : null,
    expected: Number.isFinite(score.expected) ? score.expected : null,
    sigma: Number.isFinite(score.sigma) ? score.sigma : null,
    z: Number.isFinite(score.z) ? score.z : null,
    volume,
    status: score.status,
    anomalyId,
  };
  await db
    .insert(metricPoints)
    .values(values)
    .onConflictDoUpdate({ target: [metricPoints.metricId, metricPoints.windowStart], set: values });
}

/** Points of the given metrics from `since` on, oldest first. */
export async function pointsSince(
  db: Executor,
  metricIds: number[],
  since: number,
): Promise<PointRow[]> {
  if (metricIds.length === 0) return [];
  return db
    .select()
    .from(metricPoints)
    .where(
      and(
        inArray(metricPoints.metricId, metricIds),
        gte(metricPoints.windowStart, new Date(since)),
      ),
    )
    .orderBy(asc(metricPoints.windowStart));
}

export async function pointsBetween(db: Executor, metricId: number, from: number, to: number) {
  return db
    .select()
    .from(metricPoints)
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        gte(metricPoints.windowStart, new Date(from)),
        lte(metricPoints.windowStart, new Date(to)),
      ),
    )
    .orderBy(asc(metricPoints.windowStart));
}

export async function pointsOfWindow(db: Executor, windowStart: number): Promise<PointRow[]> {
  return db
    .select()
    .from(metricPoints)
    .where(eq(metricPoints.windowStart, new Date(windowStart)));
}

/** The scored windows that belong to an anomaly, oldest first. */
export async function anomalyPoints(db: Executor, anomalyId: number): Promise<PointRow[]> {
  return db
    .select()
    .from(metricPoints)
    .where(eq(metricPoints.anomalyId, anomalyId))
    .orderBy(asc(metricPoints.windowStart));
}

/** True when the metric has a scored window after `windowStart`. */
export async function hasLaterPoint(db: Executor, metricId: number, windowStart: number) {
  const [row] = await db
    .select({ windowStart: metricPoints.windowStart })
    .from(metricPoints)
    .where(
      and(eq(metricPoints.metricId, metricId), gt(metricPoints.windowStart, new Date(windowStart))),
    )
    .limit(1);
  return row !== undefined;
}

/**
 * Puts the metric's points in [from, to] into an anomaly: when a run of flagged windows opens
 * one, the windows before the one that opened it belong to it too.
 */
export async function attachPointsToAnomaly(
  db: Executor,
  metricId: number,
  anomalyId: number,
  from: number,
  to: number,
): Promise<void> {
  await db
    .update(metricPoints)
    .set({ anomalyId })
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        gte(metricPoints.windowStart, new Date(from)),
        lte(metricPoints.windowStart, new Date(to)),
      ),
    );
}

/**
 * The metric's stored points a threshold preview reads (lib/detection/rule-preview `previewReads`): those in
 * `range` (the windows it re-scores), the latest `reads.before` before it (rolling baselines
 * and the pending run), and those in the `reads.seasonal` ranges (the same slots on earlier
 * days or weeks). Oldest first, each window once.
 */
export async function previewPoints(
  db: Executor,
  metricId: number,
  range: WindowRange,
  reads: Pick<PreviewReads, 'before' | 'seasonal'>,
  /** The metric's window: keeps the read before the range to its partitions (latestBefore). */
  windowMs?: number,
): Promise<WindowPoint[]> {
  const between = (r: WindowRange) =>
    and(
      gte(metricPoints.windowStart, new Date(r.from)),
      lte(metricPoints.windowStart, new Date(r.to)),
    );
  const inRanges = db
    .select(POINT_COLUMNS)
    .from(metricPoints)
    .where(
      and(eq(metricPoints.metricId, metricId), or(...[range, ...reads.seasonal].map(between))),
    );
  const before =
    reads.before > 0
      ? latestBefore(db, metricId, range.from, reads.before, windowMs)
      : Promise.resolve([]);
  const [a, b] = await Promise.all([inRanges, before]);
  const byWindow = new Map<number, WindowPoint>();
  for (const r of [...a, ...b]) {
    const windowStart = r.windowStart.getTime();
    byWindow.set(windowStart, { ...r, windowStart });
  }
  return [...byWindow.values()].sort((x, y) => x.windowStart - y.windowStart);
}

/**
 * The metric's stored points (window start, z, status) in [before − limit·windowMs, before),
 * oldest first: what the drift test replays (lib/detection/drift.ts `driftBefore`), so its sums
 * need no table of their own and survive a restart of the detector.
 */
export async function recentDriftPoints(
  db: Executor,
  metricId: number,
  before: number,
  limit: number,
  windowMs: number,
): Promise<DriftPoint[]> {
  const rows = await db
    .select({
      windowStart: metricPoints.windowStart,
      z: metricPoints.z,
      status: metricPoints.status,
    })
    .from(metricPoints)
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        lt(metricPoints.windowStart, new Date(before)),
        gte(metricPoints.windowStart, new Date(before - limit * windowMs)),
      ),
    )
    .orderBy(asc(metricPoints.windowStart));
  return rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
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

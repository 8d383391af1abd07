/**
 * Scoring a plain time series (`timestamp,value`, one row a point) with the detector's own
 * baseline and score functions (lib/detection/zscore `score`, which uses `chooseBaseline`), for
 * `npm run backtest -- series.csv`. Pure.
 *
 * Each point is scored against the points before it in time, the way the engine scores a
 * metric window: the last `rule.baselineWindows` earlier values whose status was ok or learning
 * (a point that alerted does not teach the baseline that it is normal; only the latest
 * 2 × baselineWindows points are looked at, as db/queries/points `baselineHistory` does), at
 * least 8 of them before anything is scored ("learning", as lib/detection/score-window MIN_HISTORY), σ floored
 * at rule.sigmaFloor and 1% of |expected|. There is no volume, so the minimum-volume rule does
 * not apply, and no sampling-noise floor (the kind of metric is unknown). A seasonal rule reads
 * the points exactly one day or week earlier.
 *
 * The anomaly score maps |z| to [0, 1) with a logistic curve centred on the rule's warn z and
 * as steep as puts the critical z at 0.95, shifted and scaled so that z = 0 scores exactly 0:
 *   L(x) = 1 / (1 + exp(−k (x − warnZ))),  k = ln 19 / (criticalZ − warnZ)
 *   score = (L(|z|) − L(0)) / (1 − L(0))
 * With the default rule (warn 3, critical 5): |z| 1 → 0.04, 2 → 0.18, 3 → 0.49, 4 → 0.81,
 * 5 → 0.95, 6 → 0.99. Monotone in |z|. Learning and unscored rows score 0, and so does a z on
 * the side a one-sided rule ignores. Chosen over 1 − p (2Φ(|z|) − 1), which is already 0.9973 at
 * |z| = 3 and cannot tell a warn from a critical deviation apart in the score.
 */
import { parse } from 'csv-parse/sync';
import { MIN_HISTORY } from './score-window';
import { SEASON_MS, SEASONAL_PERIODS, score, type HistoryPoint } from './zscore';
import { parseRfc3339 } from '@/lib/ingest/contract';
import { parseCsvHeader } from '@/lib/ingest/replay';
import type { AlertRule, PointStatus } from '@/lib/types';

export interface SeriesPoint {
  /** 1-based line of the row in the file. */
  line: number;
  timestamp: number;
  /** Null for an empty value cell (scored as a missing value: low_volume, score 0). */
  value: number | null;
}

export interface SeriesRow {
  timestamp: string;
  value: number | null;
  expected: number | null;
  z: number | null;
  status: PointStatus;
  score: number;
}

export class SeriesInputError extends Error {
  override name = 'SeriesInputError';
}

const EPOCH_MS = /^-?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

/** Epoch ms of a timestamp cell: epoch ms, RFC 3339, or YYYY-MM-DD[ HH:MM[:SS[.fff]]] as UTC. */
export function parseTimestamp(text: string): number | null {
  const cell = text.trim();
  if (EPOCH_MS.test(cell)) {
    const ms = Number(cell);
    return Number.isSafeInteger(ms) ? ms : null;
  }
  const rfc = parseRfc3339(cell);
  if (rfc !== null) return rfc;
  const m = DATE_TIME.exec(cell);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const millis = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const ms = Date.UTC(year!, month! - 1, day!, hour, minute, second, millis);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over into March: refuse dates that do not exist.
  if (back.getUTCMonth() !== month! - 1 || back.getUTCDate() !== day || hour! > 23) return null;
  if (minute! > 59 || second! > 59) return null;
  return ms;
}

/**
 * What a CSV file holds, from its first row: an events header (ts, type, dims.*, measures.*:
 * lib/ingest/replay) or a two-column time series (with or without a header row).
 * @throws SeriesInputError for anything else.
 */
export function csvKind(firstRow: readonly string[]): 'events' | 'series' {
  try {
    parseCsvHeader(firstRow);
    return 'events';
  } catch {
    if (firstRow.length === 2) return 'series';
  }
  throw new SeriesInputError(
    `the first row has ${firstRow.length} columns (${firstRow.map((f) => JSON.stringify(f)).join(',')}): expected an events header (ts,type,dims.<name>,measures.<name>) or a time series (timestamp,value)`,
  );
}

/** Parses CSV text into rows of fields. @throws SeriesInputError when it is not valid CSV. */
export function csvRows(text: string): string[][] {
  try {
    return parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
  } catch (error) {
    throw new SeriesInputError(`csv: ${(error as Error).message}`);
  }
}

/**
 * The points of a `timestamp,value` CSV. The first row is a header when its timestamp cell is
 * not a timestamp or its value cell is not a number. Every other row needs a timestamp and a
 * number (or an empty value cell).
 * @throws SeriesInputError naming the line of the first bad row.
 */
export function parseSeries(text: string): { points: SeriesPoint[]; header: string[] | null } {
  const rows = csvRows(text);
  if (rows.length === 0) throw new SeriesInputError('the file has no rows');
  const first = rows[0]!;
  const isHeader =
    first.length !== 2 ||
    parseTimestamp(first[0] ?? '') === null ||
    !(first[1] === '' || NUMBER.test(first[1] ?? ''));
  const header = isHeader ? first : null;
  const points: SeriesPoint[] = [];
  // csv-parse skips empty lines, so count lines by rows: the header is line 1.
  rows.slice(isHeader ? 1 : 0).forEach((row, i) => {
    const line = i + (isHeader ? 2 : 1);
    if (row.length !== 2) {
      throw new SeriesInputError(
        `line ${line}: expected 2 columns (timestamp,value), got ${row.length}`,
      );
    }
    const [tsCell, valueCell] = row as [string, string];
    const timestamp = parseTimestamp(tsCell);
    if (timestamp === null) {
      throw new SeriesInputError(
        `line ${line}: "${tsCell}" is not a timestamp (RFC 3339, YYYY-MM-DD[ HH:MM[:SS]] or epoch ms)`,
      );
    }
    if (valueCell !== '' && !NUMBER.test(valueCell)) {
      throw new SeriesInputError(`line ${line}: "${valueCell}" is not a number`);
    }
    points.push({ line, timestamp, value: valueCell === '' ? null : Number(valueCell) });
  });
  if (points.length === 0) throw new SeriesInputError('the file has a header but no points');
  return { points, header };
}

/** The anomaly score of a z-score under `rule`, in [0, 1): see the module comment. */
export function anomalyScore(
  z: number,
  rule: Pick<AlertRule, 'warnZ' | 'criticalZ' | 'direction'>,
): number {
  if (!Number.isFinite(z) || z === 0) return 0;
  if ((rule.direction === 'up' && z < 0) || (rule.direction === 'down' && z > 0)) return 0;
  const spread = Math.max(rule.criticalZ - rule.warnZ, 1e-6);
  const k = Math.log(19) / spread;
  const logistic = (x: number) => 1 / (1 + Math.exp(-k * (x - rule.warnZ)));
  const base = logistic(0);
  return Math.min(1, Math.max(0, (logistic(Math.abs(z)) - base) / (1 - base)));
}

interface Scored {
  timestamp: number;
  value: number | null;
  status: PointStatus;
}

/**
 * Scores every point against the points before it in time (see the module comment). Returns
 * one row per point, in input order; points are scored in time order (stable for equal times).
 */
export function scoreSeries(points: readonly SeriesPoint[], rule: AlertRule): SeriesRow[] {
  const order = points.map((_, i) => i).sort((a, b) => points[a]!.timestamp - points[b]!.timestamp);
  const done: Scored[] = [];
  const byTime = new Map<number, Scored>();
  const rows: SeriesRow[] = new Array(points.length);
  const period = SEASON_MS[rule.season];
  for (const index of order) {
    const point = points[index]!;
    const history: HistoryPoint[] = done
      .slice(-2 * rule.baselineWindows)
      .filter((p) => p.value !== null && (p.status === 'ok' || p.status === 'learning'))
      .slice(-rule.baselineWindows)
      .map((p) => ({ windowStart: p.timestamp, value: p.value as number }));
    const seasonal: HistoryPoint[] = [];
    if (rule.baseline === 'seasonal') {
      for (let j = SEASONAL_PERIODS[rule.season]; j >= 1; j--) {
        const p = byTime.get(point.timestamp - j * period);
        if (p && p.value !== null && (p.status === 'ok' || p.status === 'learning')) {
          seasonal.push({ windowStart: p.timestamp, value: p.value });
        }
      }
    }
    const s = score(point.value, Number.POSITIVE_INFINITY, history, seasonal, rule, {
      minHistory: MIN_HISTORY,
    });
    const scoredZ = s.status === 'learning' || point.value === null ? null : s.z;
    rows[index] = {
      timestamp: new Date(point.timestamp).toISOString(),
      value: point.value,
      expected: Number.isFinite(s.expected) && s.status !== 'learning' ? s.expected : null,
      z: scoredZ,
      status: s.status,
      score: scoredZ === null ? 0 : anomalyScore(scoredZ, rule),
    };
    const stored = { timestamp: point.timestamp, value: point.value, status: s.status };
    done.push(stored);
    byTime.set(point.timestamp, stored);
  }
  return rows;
}

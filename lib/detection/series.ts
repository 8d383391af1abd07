/**
 * A plain time series (`timestamp,value`, one row a point) for `npm run backtest -- series.csv`:
 * reading the file (header or none, RFC 3339, `YYYY-MM-DD[ HH:MM[:SS]]` or epoch ms, CRLF or LF,
 * in any order, with gaps and duplicate timestamps) and scoring it with the series model
 * (lib/detection/series-model.ts: a daily or weekly season found in the data, σ floors that fit
 * the series, a calibrated score where 0.5 is a one-in-100,000 deviation). Pure.
 */
import { parse } from 'csv-parse/sync';
import { runSeriesModel, type ModelName, type ModelSpan } from './series-model';
import type { Seasonality } from './seasonality';
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
  /** The model that scored the row: rolling, seasonal-day or seasonal-week. */
  model: ModelName;
}

export interface ScoredSeries {
  /** One per input point, in input order. */
  rows: SeriesRow[];
  /** Models in force, oldest first (`from` as RFC 3339). */
  models: (Omit<ModelSpan, 'from'> & { from: string })[];
  /** The series' step (median gap between distinct timestamps), null for a single timestamp. */
  stepMs: number | null;
  seasonality: Seasonality | null;
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

/**
 * Scores every point against the points before it in time with the series model. A rule whose
 * baseline is `seasonal` forces its season; otherwise the season is found in the data. Rows
 * come back in input order.
 */
export function scoreSeries(points: readonly SeriesPoint[], rule: AlertRule): ScoredSeries {
  const result = runSeriesModel(points, rule, {
    season: rule.baseline === 'seasonal' ? rule.season : 'auto',
  });
  const round = (v: number | null, digits: number) =>
    v === null ? null : Number(v.toPrecision(digits));
  return {
    rows: result.rows.map((row, i) => ({
      timestamp: new Date(points[i]!.timestamp).toISOString(),
      value: points[i]!.value,
      expected: round(row.expected, 6),
      z: round(row.z, 4),
      status: row.status,
      score: Number(row.score.toFixed(4)),
      model: row.model,
    })),
    models: result.spans.map((span) => ({ ...span, from: new Date(span.from).toISOString() })),
    stepMs: result.stepMs,
    seasonality: result.seasonality,
  };
}

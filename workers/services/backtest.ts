/**
 * Backtest, behind `npm run backtest -- FILE [options]` (the entry point is workers/backtest.ts):
 * a recorded file through the same detection engine as the live detector, in memory
 * (lib/detection/backtest.ts), one NDJSON line per scored window on stdout.
 *
 * Events (JSONL or events CSV) are read with the replay readers (lib/ingest/replay.ts) and the
 * replay clock (validation's "now" is the newest event time plus --max-gap, seeded from the
 * median of the first records), so a file gives the same windows here as `npm run replay`
 * stores. A plain `timestamp,value` CSV is scored point by point by the series model
 * (lib/detection/series.ts, series-model.ts); the summary on stderr says which model it chose.
 */
import { access, constants, open, readFile } from 'node:fs/promises';
import {
  Backtest,
  backtestLine,
  defaultEngineMetrics,
  type ScoredWindow,
} from '@/lib/detection/backtest';
import type { BacktestArgs } from '@/lib/cli/backtest-args';
import {
  clockSeed,
  CsvHeaderError,
  recordTime,
  SEED_RECORDS,
  validationNow,
  type ReplayRecord,
} from '@/lib/ingest/replay';
import { readRecords } from './records';
import {
  csvKind,
  csvRows,
  parseSeries,
  scoreSeries,
  SeriesInputError,
} from '@/lib/detection/series';

/** The file cannot be backtested as given: unreadable, or not readable as the format it is taken for. */
export class BacktestInputError extends Error {
  override name = 'BacktestInputError';
}

/** Records scored between drains: enough to amortise a drain, small enough to stream output. */
const RECORDS_PER_ADVANCE = 8192;

/** Buffered stdout that waits for the pipe to drain, so a slow reader gets every line. */
export class Output {
  private buffer = '';

  async line(value: unknown): Promise<void> {
    this.buffer += `${JSON.stringify(value)}\n`;
    if (this.buffer.length >= 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer === '') return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!process.stdout.write(chunk)) {
      await new Promise<void>((done) => process.stdout.once('drain', () => done()));
    }
  }
}

/** The first line of a file (up to 64 KiB), for telling a series from an events CSV. */
async function firstLine(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(1 << 16);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    return text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  } finally {
    await handle.close();
  }
}

async function formatOf(args: BacktestArgs): Promise<'jsonl' | 'csv' | 'series'> {
  if (args.format !== 'auto') return args.format;
  const head = await firstLine(args.file);
  const [row] = csvRows(head);
  return csvKind(row ?? []) === 'events' ? 'csv' : 'series';
}

interface EventsSummary {
  format: 'jsonl' | 'csv';
  received: number;
  folded: number;
  quarantined: Record<string, number>;
  windows: { count: number; first: string; last: string } | null;
  anomalies: {
    id: number;
    metric: string;
    firstWindow: string;
    lastWindow: string;
    status: string;
  }[];
}

async function backtestEvents(
  args: BacktestArgs,
  format: 'jsonl' | 'csv',
  out: Output,
): Promise<EventsSummary> {
  const metrics = defaultEngineMetrics(args.rule).filter((m) =>
    args.metrics.includes(m.definition.key),
  );
  const backtest = new Backtest({
    windowMs: args.windowMs,
    outOfOrderMs: args.outOfOrderMs,
    allowedLatenessMs: args.allowedLatenessMs,
    maxValuesPerDim: 200,
    metrics,
  });
  let windows = 0;
  let firstWindow: number | null = null;
  let lastWindow: number | null = null;
  async function print(scored: ScoredWindow[]): Promise<void> {
    for (const window of scored) {
      windows++;
      firstWindow ??= window.windowStart;
      lastWindow = window.windowStart;
      for (const outcome of window.outcomes) await out.line(backtestLine(outcome));
    }
  }

  const batches = readRecords(args.file, format);
  const head: ReplayRecord[] = [];
  let done = false;
  try {
    while (head.length < SEED_RECORDS) {
      const next = await batches.next();
      if (next.done) {
        done = true;
        break;
      }
      head.push(...next.value);
    }
  } catch (error) {
    if (error instanceof CsvHeaderError) throw new BacktestInputError(error.message);
    throw error;
  }
  const seed = clockSeed(head.slice(0, SEED_RECORDS).map(recordTime));
  let sinceAdvance = 0;
  async function ingest(records: readonly ReplayRecord[]): Promise<void> {
    for (const record of records) {
      const now = validationNow(seed, backtest.pipeline.newestEventTime(), args.maxGapMs);
      if (record.kind === 'line') backtest.ingestLine(record.line, now);
      else backtest.reject(record.raw, record.reason, record.detail);
      if (++sinceAdvance >= RECORDS_PER_ADVANCE) {
        sinceAdvance = 0;
        await print(await backtest.advance());
      }
    }
  }
  await ingest(head);
  while (!done) {
    let next;
    try {
      next = await batches.next();
    } catch (error) {
      throw new BacktestInputError(`${args.file}: ${(error as Error).message}`);
    }
    if (next.done) break;
    await ingest(next.value);
  }
  await print(await backtest.finish());

  const totals = backtest.totals();
  const names = new Map(metrics.map((m) => [m.definition.id, m.definition.key]));
  return {
    format,
    ...totals,
    windows:
      firstWindow !== null && lastWindow !== null
        ? {
            count: windows,
            first: new Date(firstWindow).toISOString(),
            last: new Date(lastWindow).toISOString(),
          }
        : null,
    anomalies: backtest.store.anomalies().map((a) => ({
      id: a.id,
      metric: names.get(a.metricId) ?? String(a.metricId),
      firstWindow: new Date(a.firstWindow).toISOString(),
      lastWindow: new Date(a.lastWindow).toISOString(),
      status: a.status,
    })),
  };
}

async function backtestSeries(args: BacktestArgs, out: Output) {
  const { points, header } = parseSeries(await readFile(args.file, 'utf8'));
  const { rows, models, stepMs, seasonality } = scoreSeries(points, args.rule);
  for (const row of rows) await out.line(row);
  return {
    format: 'series',
    header,
    points: rows.length,
    stepMs,
    model: models.at(-1)?.model ?? 'rolling',
    models,
    seasonality:
      seasonality?.candidates.map((c) => ({
        season: c.season,
        correlation: c.correlation === null ? null : Number(c.correlation.toFixed(3)),
        seasonal: c.seasonal,
      })) ?? null,
    learning: rows.filter((r) => r.status === 'learning').length,
    alerts: rows.filter((r) => r.status === 'warn' || r.status === 'critical').length,
  };
}

/**
 * Backtests `args.file`: scored windows (or points) as NDJSON on `out`, and a summary returned.
 * Throws BacktestInputError for a file it cannot read as given.
 */
export async function runBacktest(args: BacktestArgs, out: Output): Promise<unknown> {
  try {
    await access(args.file, constants.R_OK);
    const format = await formatOf(args);
    return format === 'series'
      ? await backtestSeries(args, out)
      : await backtestEvents(args, format, out);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof SeriesInputError || code === 'ENOENT' || code === 'EACCES') {
      throw new BacktestInputError((error as Error).message);
    }
    throw error;
  } finally {
    await out.flush();
  }
}

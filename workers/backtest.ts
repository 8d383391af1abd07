/**
 * `npm run backtest -- FILE [options]`: a recorded file through the same detection engine as the
 * live detector, in memory (lib/detection/backtest.ts), NDJSON on stdout. No database, no configuration
 * from the environment: everything is a flag (lib/cli/backtest-args.ts).
 *
 * Events (JSONL or events CSV) are read with the replay readers (lib/ingest/replay.ts) and the replay
 * clock (validation's "now" is the newest event time plus --max-gap, seeded from the median of
 * the first records), so a file gives the same windows here as `npm run replay` stores. A plain
 * `timestamp,value` CSV is scored point by point (lib/detection/series.ts).
 */
import { access, constants, open, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Backtest,
  backtestLine,
  defaultEngineMetrics,
  type ScoredWindow,
} from '@/lib/detection/backtest';
import {
  BACKTEST_USAGE,
  BacktestUsageError,
  parseBacktestArgs,
  type BacktestArgs,
} from '@/lib/cli/backtest-args';
import {
  clockSeed,
  CsvHeaderError,
  recordTime,
  SEED_RECORDS,
  validationNow,
  type ReplayRecord,
} from '@/lib/ingest/replay';
import { readRecords } from '@/workers/services/records';
import {
  csvKind,
  csvRows,
  parseSeries,
  scoreSeries,
  SeriesInputError,
} from '@/lib/detection/series';

/** A file that cannot be read as the format it is taken for. */
class InputError extends Error {
  override name = 'InputError';
}

/** Records scored between drains: enough to amortise a drain, small enough to stream output. */
const RECORDS_PER_ADVANCE = 8192;

/** Buffered stdout that waits for the pipe to drain, so a slow reader gets every line. */
class Output {
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
    if (error instanceof CsvHeaderError) throw new InputError(error.message);
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
      throw new InputError(`${args.file}: ${(error as Error).message}`);
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
  const rows = scoreSeries(points, args.rule);
  for (const row of rows) await out.line(row);
  return {
    format: 'series',
    header,
    points: rows.length,
    learning: rows.filter((r) => r.status === 'learning').length,
    alerts: rows.filter((r) => r.status === 'warn' || r.status === 'critical').length,
  };
}

async function main(): Promise<number> {
  let args: BacktestArgs;
  try {
    args = parseBacktestArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BacktestUsageError)) throw error;
    console.error(`${error.message}\n\n${BACKTEST_USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(BACKTEST_USAGE);
    return 0;
  }
  const out = new Output();
  try {
    await access(args.file, constants.R_OK);
    const format = await formatOf(args);
    const summary =
      format === 'series'
        ? await backtestSeries(args, out)
        : await backtestEvents(args, format, out);
    await out.flush();
    console.error(JSON.stringify(summary));
    return 0;
  } catch (error) {
    await out.flush();
    if (
      error instanceof InputError ||
      error instanceof SeriesInputError ||
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'EACCES'
    ) {
      console.error(`${args.file}: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}

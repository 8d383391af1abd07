/**
 * `npm run replay` end to end on real PostgreSQL: a simulated file with a known injected incident
 * and bad lines, replayed in this process and as a child process (interrupted, killed, resumed).
 * The rollups must equal an independent fold of the file's valid events (`naiveFold`), every
 * record must be accounted for once (received = folded + quarantined), bad lines and rows must be
 * quarantined with their reasons, the result must not depend on the speed or on where a run was
 * stopped, and the detector must find the incident.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnvironment } from '@/env';
import { parseConfig, type Config } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { eventsToCsv } from '@/lib/ingest/replay';
import { parseReplayArgs } from '@/lib/cli/replay-args';
import { naiveFold } from '@/lib/stream/rollup-merge';
import { Simulator } from '@/lib/simulator/generator';
import { schedule } from '@/lib/simulator/scenarios';
import type { PulseEvent, RollupDelta } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { allRollups } from '@/db/testing/rollups';
import { ensureDefaultMetrics } from '@/db/queries/metrics';
import { replayFile, type ReplaySummary } from './replay';
import { mulberry32 } from '@/lib/simulator/random';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const W = 10_000;
const MINUTE = 60_000;
/** A fixed afternoon long past: replay takes "now" from the file, not from the wall clock. */
const START = Date.UTC(2026, 0, 5, 14, 0);
const INCIDENT = START + 5 * MINUTE;
const END = START + 8 * MINUTE;
const SEED = Number(process.env.PULSE_TEST_SEED ?? Date.now() % 1_000_000);
const log = createLogger('test', 'silent');
const ENV = {
  PULSE_WINDOW: '10s',
  PULSE_FLUSH_INTERVAL: '200ms',
  LOG_LEVEL: 'silent',
};

let dir: string;
let jsonlFile: string;
/** The valid events of the file and the quarantine reason of each bad line, by offset. */
let events: PulseEvent[];
let truth: RollupDelta[];
let badLines: Map<number, string>;
let lineCount: number;
const databases: TestDatabase[] = [];

async function database(): Promise<TestDatabase> {
  const t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  databases.push(t);
  return t;
}

function cfgFor(t: TestDatabase): Config {
  return parseConfig({ ...ENV, DATABASE_URL: t.url });
}

/**
 * The file: simulated traffic with an error burst for app_version=5.3.0 from minute 5 for one
 * minute, and every few thousand lines a bad one of each kind. The first line is a bogus event
 * from 1970, which must not set the replay clock.
 */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pulse-replay-'));
  const injections = schedule({
    startMs: START,
    firstAfterMs: INCIDENT - START,
    durationMs: MINUTE,
    gapMs: 86_400_000,
    scenarios: ['error_burst_app_version'],
    untilMs: END,
  });
  events = new Simulator({ seed: 7, ratePerSec: 300, injections }).generate(START, END);
  truth = naiveFold(events, W);
  badLines = new Map();
  const lines: string[] = [];
  const bad = (line: string, reason: string) => {
    badLines.set(lines.length, reason);
    lines.push(line);
  };
  bad('{"ts":0,"type":"page_view"}', 'bad_timestamp');
  events.forEach((event, i) => {
    if (i > 0 && i % 5000 === 0) {
      bad('{"ts":', 'malformed_json');
      bad(JSON.stringify({ ...event, type: 'Page View' }), 'schema');
      bad(JSON.stringify({ ...event, ts: event.ts + 2 * 86_400_000 }), 'future');
      if (event.ts > START + 2 * MINUTE) {
        bad(JSON.stringify({ ...event, ts: event.ts - 90_000 }), 'late');
      }
      lines.push(''); // a blank line takes an offset but is not an event
    }
    lines.push(JSON.stringify(event));
  });
  lineCount = lines.length;
  jsonlFile = join(dir, 'events.jsonl');
  await writeFile(jsonlFile, `${lines.join('\n')}\n`);
}, 120_000);

afterAll(async () => {
  for (const t of databases) await t.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function reasonsOf(map: Map<number, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reason of map.values()) counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}

const cellKey = (d: RollupDelta) =>
  `${d.windowStart}|${d.eventType}|${d.dim}|${d.value}|${d.measure}`;

async function storedRollups(t: TestDatabase): Promise<Map<string, RollupDelta>> {
  return new Map((await allRollups(t.db)).map((d) => [cellKey(d), d]));
}

/** Sums are added in a different order per flush, so they agree to rounding; the rest exactly. */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

async function expectRollupsEqual(t: TestDatabase, want: readonly RollupDelta[]) {
  const actual = await storedRollups(t);
  const problems: string[] = [];
  for (const cell of want) {
    const got = actual.get(cellKey(cell));
    actual.delete(cellKey(cell));
    if (!got) problems.push(`missing ${cellKey(cell)}`);
    else if (
      got.count !== cell.count ||
      got.min !== cell.min ||
      got.max !== cell.max ||
      !close(got.sum, cell.sum) ||
      !close(got.sumsq, cell.sumsq)
    ) {
      problems.push(`${cellKey(cell)}: got ${JSON.stringify(got)}, want ${JSON.stringify(cell)}`);
    }
  }
  for (const key of actual.keys()) problems.push(`unexpected ${key}`);
  expect(problems.slice(0, 10), `${problems.length} rollup cells differ`).toEqual([]);
}

async function storedQuarantine(t: TestDatabase, source: string) {
  return t.sql<{ offset: number; reason: string; detail: string; raw: string }[]>`
    select source_offset::int as offset, reason, detail, raw from quarantine
    where source = ${source} order by source_offset, id`;
}

async function storedPartition(t: TestDatabase, source: string) {
  const [row] = await t.sql<
    { next_offset: string; received: string; folded: string; quarantined: string }[]
  >`select next_offset, received, folded, quarantined from source_partitions
    where source = ${source} and partition = 0`;
  return row
    ? {
        nextOffset: Number(row.next_offset),
        received: Number(row.received),
        folded: Number(row.folded),
        quarantined: Number(row.quarantined),
      }
    : null;
}

/** The whole file accounted for once: every offset, every event, every bad line. */
async function expectAccountedOnce(t: TestDatabase, source: string) {
  expect(await storedPartition(t, source)).toEqual({
    nextOffset: lineCount,
    received: events.length + badLines.size,
    folded: events.length,
    quarantined: badLines.size,
  });
  const quarantined = await storedQuarantine(t, source);
  expect(new Map(quarantined.map((q) => [q.offset, q.reason]))).toEqual(badLines);
  expect(quarantined).toHaveLength(badLines.size);
}

async function replay(t: TestDatabase, ...argv: string[]): Promise<ReplaySummary> {
  return replayFile(parseReplayArgs(argv), { cfg: cfgFor(t), log, handle: t });
}

/** Runs the CLI as a child process; `onStart` may kill it. */
function runCli(
  t: TestDatabase,
  argv: string[],
  onStart?: (child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/replay.ts', ...argv], {
    cwd: ROOT,
    env: childEnvironment({ ...ENV, LOG_LEVEL: 'warn', DATABASE_URL: t.url }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  onStart?.(child);
  return new Promise((done) =>
    child.on('exit', (code, signal) => done({ code, signal, stdout, stderr })),
  );
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm run replay', () => {
  let first: TestDatabase;
  let fastQuarantine: Awaited<ReturnType<typeof storedQuarantine>>;

  it('--fast: rollups equal an independent fold, bad lines are quarantined with their reasons, the detector finds the incident', async () => {
    first = await database();
    const summary = await replay(first, jsonlFile, '--fast', '--wait-timeout', '90s');

    expect(summary).toMatchObject({
      source: 'replay:events.jsonl',
      format: 'jsonl',
      speed: 'fast',
      lines: lineCount,
      skipped: 0,
      received: events.length + badLines.size,
      folded: events.length,
      quarantined: { total: badLines.size, byReason: reasonsOf(badLines) },
      eventTime: {
        first: new Date(events.reduce((m, e) => Math.min(m, e.ts), Infinity)).toISOString(),
        last: new Date(events.reduce((m, e) => Math.max(m, e.ts), -Infinity)).toISOString(),
      },
      windows: { count: (END - START) / W, first: new Date(START).toISOString() },
      interrupted: false,
    });
    expect(summary.received).toBe(summary.folded + summary.quarantined.total);
    expect(Object.keys(reasonsOf(badLines)).sort()).toEqual([
      'bad_timestamp',
      'future',
      'late',
      'malformed_json',
      'schema',
    ]);
    await expectRollupsEqual(first, truth);
    await expectAccountedOnce(first, 'replay:events.jsonl');
    fastQuarantine = await storedQuarantine(first, 'replay:events.jsonl');
    expect(fastQuarantine.find((q) => q.reason === 'future')?.detail).toMatch(
      /too far in the future/,
    );

    // The detector scored every replayed window and found the error burst, explained.
    expect(summary.detection.status).toBe('complete');
    const found = summary.detection.anomalies.filter((a) => a.metric === 'error_rate');
    const incident = found.find(
      (a) =>
        Date.parse(a.firstWindow) >= INCIDENT - W && Date.parse(a.firstWindow) <= INCIDENT + 3 * W,
    );
    expect(incident, JSON.stringify(summary.detection)).toBeDefined();
    expect(incident).toMatchObject({ direction: 'up' });
    expect(incident!.sentence).toContain('app_version=5.3.0');
  });

  it('running the same file again counts nothing twice', async () => {
    const before = await storedRollups(first);
    const summary = await replay(first, jsonlFile, '--fast');
    expect(summary).toMatchObject({
      lines: lineCount,
      skipped: lineCount,
      received: 0,
      folded: 0,
      detection: { status: 'none' },
    });
    expect(await storedRollups(first)).toEqual(before);
    await expectAccountedOnce(first, 'replay:events.jsonl');
  });

  it('--speed gives the same rollups and quarantine as --fast', async () => {
    const t = await database();
    const started = performance.now();
    // 8 minutes of event time at 160× take 3 s.
    const summary = await replay(t, jsonlFile, '--speed', '160', '--no-wait');
    expect(performance.now() - started).toBeGreaterThan(2500);
    expect(summary).toMatchObject({ speed: 160, received: events.length + badLines.size });
    await expectRollupsEqual(t, truth);
    await expectAccountedOnce(t, 'replay:events.jsonl');
    expect(await storedQuarantine(t, 'replay:events.jsonl')).toEqual(fastQuarantine);
  });

  it('interrupted, then killed, then run again: resumes where the stored position is, exactly once', async () => {
    const t = await database();
    const random = mulberry32(SEED);
    const storedOffset = async () =>
      (await storedPartition(t, 'replay:events.jsonl'))?.nextOffset ?? 0;
    const afterSomeFlushes = async (child: ReturnType<typeof spawn>, signal: NodeJS.Signals) => {
      const from = await storedOffset();
      await until(async () => (await storedOffset()) > from, 30_000, 'a flush');
      await new Promise((resolve) => setTimeout(resolve, random() * 1500));
      child.kill(signal);
    };

    // Ctrl-C: flushes what it read, says so, exits 130.
    const interrupted = await runCli(t, [jsonlFile, '--speed', '40'], (child) => {
      void afterSomeFlushes(child, 'SIGINT');
    });
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const partial = JSON.parse(interrupted.stdout) as ReplaySummary;
    expect(partial.interrupted).toBe(true);
    expect(partial.lines).toBeLessThan(lineCount);
    expect(await storedOffset()).toBe(partial.lines);

    // SIGKILL at a random point: what was not flushed is simply read again.
    const killed = await runCli(t, [jsonlFile, '--speed', '40'], (child) => {
      void afterSomeFlushes(child, 'SIGKILL');
    });
    expect(killed.signal, `seed ${SEED}: ${killed.stderr}`).toBe('SIGKILL');
    const position = await storedOffset();
    expect(position).toBeGreaterThan(partial.lines);

    const rest = await runCli(t, [jsonlFile, '--fast', '--no-wait']);
    expect(rest.code, rest.stderr).toBe(0);
    const summary = JSON.parse(rest.stdout) as ReplaySummary;
    expect(summary).toMatchObject({ lines: lineCount, skipped: position, interrupted: false });
    await expectRollupsEqual(t, truth);
    await expectAccountedOnce(t, 'replay:events.jsonl');
    expect(await storedQuarantine(t, 'replay:events.jsonl')).toEqual(fastQuarantine);
  }, 120_000);

  it('CSV: rows become events; rows that cannot be read or validated are quarantined with reasons', async () => {
    const t = await database();
    const slice = events.filter((e) => e.ts < START + 2 * MINUTE);
    const [header, ...rows] = eventsToCsv(slice).trimEnd().split('\n');
    const columns = header!.split(',');
    const latency = columns.indexOf('measures.latency_ms');
    const row = (i: number) => rows[i]!.split(',');
    const edit = (i: number, column: number, value: string) => {
      const fields = row(i);
      fields[column] = value;
      return fields.join(',');
    };
    const bad: [string, string, RegExp][] = [
      [row(10).slice(0, 3).join(','), 'malformed_json', /^csv line \d+: 3 fields, the header has/],
      [edit(20, latency, 'slow'), 'schema', /^measures\.latency_ms: must be a finite number/],
      [edit(30, 0, 'yesterday'), 'bad_timestamp', /^ts: not an RFC 3339 date-time/],
      [edit(40, 1, ''), 'schema', /^type: is required/],
      [`${row(50).join(',')},extra`, 'malformed_json', /fields, the header has/],
      [`"${row(60).join(',')}`, 'malformed_json', /^csv: Quote Not Closed/], // the last row
    ];
    const text = [
      header,
      ...rows.slice(0, 1000),
      ...bad.slice(0, -1).map(([line]) => line),
      ...rows.slice(1000),
      bad.at(-1)![0],
    ].join('\r\n');
    const csvFile = join(dir, 'events.csv');
    await writeFile(csvFile, text);

    const summary = await replay(t, csvFile, '--fast', '--no-wait');
    expect(summary).toMatchObject({
      source: 'replay:events.csv',
      format: 'csv',
      lines: rows.length + bad.length,
      received: rows.length + bad.length,
      folded: rows.length,
      quarantined: {
        total: bad.length,
        byReason: { malformed_json: 3, schema: 2, bad_timestamp: 1 },
      },
    });
    await expectRollupsEqual(t, naiveFold(slice, W));
    const quarantined = await storedQuarantine(t, 'replay:events.csv');
    expect(quarantined.map((q) => q.offset)).toEqual([
      1000,
      1001,
      1002,
      1003,
      1004,
      rows.length + bad.length - 1,
    ]);
    quarantined.forEach((q, i) => {
      expect(q.reason).toBe(bad[i]![1]);
      expect(q.detail).toMatch(bad[i]![2]);
    });
    expect(await storedPartition(t, 'replay:events.csv')).toMatchObject({
      received: rows.length + bad.length,
      folded: rows.length,
      quarantined: bad.length,
    });
  });

  it('the CLI says how to use it, and refuses a missing file with exit status 2', async () => {
    const t = databases[0]!;
    const help = await runCli(t, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('dims.<name>');
    const missing = await runCli(t, [join(dir, 'missing.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing.jsonl');
  });
});

/**
 * `npm run backtest` as a user runs it: tsx on workers/backtest.ts (as `node --import tsx`: npx
 * would add a second Node start to every run) on small generated files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsToCsv } from '@/lib/ingest/replay';
import { Simulator, toNdjson } from '@/lib/simulator/generator';
import { schedule } from '@/lib/simulator/scenarios';

const MIN = 60_000;
const START = Date.UTC(2026, 0, 5, 14);
let dir: string;

function backtest(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'workers/backtest.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = result.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: result.status, lines, stderr: result.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pulse-backtest-'));
  const injections = schedule({
    startMs: START,
    firstAfterMs: 14 * MIN,
    durationMs: 3 * MIN,
    gapMs: 60 * MIN,
    scenarios: ['latency_search_android'],
    untilMs: START + 20 * MIN,
  });
  const events = new Simulator({ seed: 9, ratePerSec: 60, injections }).generate(
    START,
    START + 20 * MIN,
  );
  writeFileSync(join(dir, 'events.jsonl'), `${toNdjson(events)}{"broken":\n`);
  writeFileSync(join(dir, 'events.csv'), eventsToCsv(events.slice(0, 3000)));
  let series = 'time,latency\n';
  for (let i = 0; i < 30; i++) {
    const value = 120 + 4 * Math.sin(i * 1.3) + (i === 25 ? 80 : 0);
    series += `${new Date(START + i * MIN).toISOString()},${value.toFixed(1)}\n`;
  }
  writeFileSync(join(dir, 'series.csv'), series);
  writeFileSync(join(dir, 'bare.csv'), `${START},1\n${START + MIN},2\n`);
  // The case: 20 at night, 68 by day, every 5 minutes for 14 days, CRLF line endings.
  const day0 = Date.UTC(2026, 0, 5);
  const rows = Array.from({ length: 4032 }, (_, i) => {
    const t = day0 + i * 5 * MIN;
    const hour = new Date(t).getUTCHours();
    return `${new Date(t).toISOString()},${hour >= 8 && hour < 20 ? 68 : 20}`;
  });
  writeFileSync(join(dir, 'daily.csv'), `timestamp,value\r\n${rows.join('\r\n')}\r\n`);
  writeFileSync(join(dir, 'bad.csv'), 'timestamp,value\n2026-01-05,1\nsoon,2\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run backtest', { timeout: 60_000 }, () => {
  it('prints one line per window and metric for events, with the anomaly and its root cause', () => {
    const { status, lines, stderr } = backtest(
      join(dir, 'events.jsonl'),
      '--metrics',
      'api_latency,revenue',
      '--rule-warn-z',
      '4',
      // A baseline the 13 windows before the incident fill: a longer one would still be
      // learning, its σ widened (lib/detection/zscore.ts, learningWidening).
      '--rule-baseline-windows',
      '12',
    );
    expect(status, stderr).toBe(0);
    expect(lines).toHaveLength(20 * 2);
    expect(new Set(lines.map((l) => l.metric))).toEqual(new Set(['api_latency', 'revenue']));
    expect(Object.keys(lines[0]!)).toEqual([
      'window',
      'metric',
      'value',
      'expected',
      'sigma',
      'z',
      'status',
      'anomaly',
      'rootCause',
    ]);
    const opened = lines.find(
      (l) => l.metric === 'api_latency' && (l.anomaly as { step: string } | null)?.step === 'open',
    );
    expect(opened?.window).toBe(new Date(START + 14 * MIN).toISOString());
    // The injected cause is feature=search AND device=android: the root cause names it (the
    // per-dimension breakdown, before lib/rca is wired in, names one of its values).
    const [cause] = (opened!.rootCause as { set: Record<string, string>[] }).set;
    expect(Object.entries(cause!).length).toBeGreaterThan(0);
    for (const [dim, value] of Object.entries(cause!)) {
      expect({ feature: 'search', device: 'android' }).toHaveProperty(dim, value);
    }
    const summary = JSON.parse(stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ format: 'jsonl', quarantined: { malformed_json: 1 } });
  });

  it('reads an events CSV', () => {
    const { status, lines } = backtest(join(dir, 'events.csv'), '--metrics', 'purchases');
    expect(status).toBe(0);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatchObject({ metric: 'purchases', status: 'learning' });
  });

  it('scores a plain time series row by row, with or without a header', () => {
    const { status, lines } = backtest(join(dir, 'series.csv'));
    expect(status).toBe(0);
    expect(lines).toHaveLength(30);
    expect(lines[0]).toEqual({
      timestamp: new Date(START).toISOString(),
      value: 120,
      expected: null,
      z: null,
      status: 'learning',
      score: 0,
      model: 'rolling',
    });
    expect(lines[25]).toMatchObject({ status: 'critical' });
    expect(lines[25]!.score as number).toBeGreaterThan(0.8);
    for (const [i, line] of lines.entries()) {
      expect(line.score as number).toBeGreaterThanOrEqual(0);
      expect(line.score as number).toBeLessThanOrEqual(1);
      if (i !== 25) expect(line.score as number).toBeLessThan(0.5);
    }
    expect(backtest(join(dir, 'bare.csv')).lines).toHaveLength(2);
  });

  it('finds the daily season of a series and says so (issue 16: 1,479 critical points before)', () => {
    const { status, lines, stderr } = backtest(join(dir, 'daily.csv'));
    expect(status, stderr).toBe(0);
    expect(lines).toHaveLength(4032);
    const summary = JSON.parse(stderr.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ format: 'series', model: 'seasonal-day', stepMs: 5 * MIN });
    const late = lines.slice(2 * 288);
    expect(late.every((l) => l.model === 'seasonal-day' && (l.score as number) < 0.5)).toBe(true);
  });

  it('exits 2 with the reason for bad usage or a bad file', () => {
    const bad = backtest(join(dir, 'bad.csv'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('line 3');
    expect(backtest(join(dir, 'missing.jsonl')).status).toBe(2);
    const usage = backtest(join(dir, 'series.csv'), '--rule-direction', 'sideways');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--rule-direction');
  });
});

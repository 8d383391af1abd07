import { describe, expect, it } from 'vitest';
import { BACKTEST_USAGE, parseBacktestArgs } from './backtest-args';
import { UsageError } from './usage';
import { DEFAULT_RULE } from '@/lib/types';

const fails = (argv: string[], message: RegExp) =>
  expect(() => parseBacktestArgs(argv)).toThrow(message);

describe('parseBacktestArgs', () => {
  it('has defaults: every default metric, 1m windows, the default rule', () => {
    expect(parseBacktestArgs(['events.jsonl'])).toEqual({
      help: false,
      file: 'events.jsonl',
      format: 'jsonl',
      windowMs: 60_000,
      metrics: ['purchases', 'conversion', 'error_rate', 'api_latency', 'revenue'],
      outOfOrderMs: 2000,
      allowedLatenessMs: 60_000,
      maxGapMs: 3_600_000,
      rule: DEFAULT_RULE,
    });
  });

  it('decides the format of a .csv file from its first row, other files are jsonl', () => {
    expect(parseBacktestArgs(['data.CSV']).format).toBe('auto');
    expect(parseBacktestArgs(['data.ndjson']).format).toBe('jsonl');
    expect(parseBacktestArgs(['data.csv', '--format', 'series']).format).toBe('series');
    fails(['data.csv', '--format', 'xml'], /--format: expected jsonl, csv or series/);
  });

  it('reads windows, durations and metrics', () => {
    const args = parseBacktestArgs([
      'e.jsonl',
      '--window',
      '10s',
      '--metrics',
      'revenue, purchases',
      '--out-of-order',
      '0s',
      '--lateness',
      '5m',
      '--max-gap',
      '2h',
    ]);
    expect(args).toMatchObject({
      windowMs: 10_000,
      metrics: ['purchases', 'revenue'],
      outOfOrderMs: 0,
      allowedLatenessMs: 300_000,
      maxGapMs: 7_200_000,
    });
    fails(['e.jsonl', '--window', '500ms'], /--window: expected a duration from 1s/);
    fails(['e.jsonl', '--window', 'soon'], /--window/);
    fails(
      ['e.jsonl', '--metrics', 'purchases,nope'],
      /--metrics: unknown metric "nope"; known: purchases/,
    );
    fails(['e.jsonl', '--metrics', ','], /at least one metric/);
  });

  it('overrides the rule field by field and validates it as the thresholds page does', () => {
    const { rule } = parseBacktestArgs([
      'e.jsonl',
      '--rule-warn-z',
      '2.5',
      '--rule-critical-z',
      '4',
      '--rule-direction',
      'down',
      '--rule-min-volume',
      '0',
      '--rule-baseline-windows',
      '30',
      '--rule-baseline',
      'robust',
      '--rule-season',
      'week',
      '--rule-sigma-floor',
      '1.5',
      '--rule-consecutive',
      '2',
      '--rule-resolve-after',
      '3',
    ]);
    expect(rule).toEqual({
      warnZ: 2.5,
      criticalZ: 4,
      direction: 'down',
      minVolume: 0,
      baselineWindows: 30,
      baseline: 'robust',
      season: 'week',
      sigmaFloor: 1.5,
      consecutiveWindows: 2,
      resolveAfter: 3,
    });
    fails(['e.jsonl', '--rule-warn-z', 'high'], /--rule-warn-z: expected a number, got "high"/);
    fails(
      ['e.jsonl', '--rule-critical-z', '2'],
      /--rule-critical-z: Critical z must be at least the warn z/,
    );
    fails(
      ['e.jsonl', '--rule-direction', 'sideways'],
      /--rule-direction: Direction must be up, down or both/,
    );
    fails(
      ['e.jsonl', '--rule-consecutive', '1.5'],
      /--rule-consecutive: Consecutive windows must be a whole number/,
    );
    fails(['e.jsonl', '--rule-baseline-windows', '2'], /--rule-baseline-windows/);
  });

  it('needs exactly one file, knows no other flags, and has help', () => {
    fails([], /expected the file/);
    fails(['a.csv', 'b.csv'], /expected one file, got 2/);
    expect(() => parseBacktestArgs(['a.csv', '--speed', '2'])).toThrow(UsageError);
    expect(parseBacktestArgs(['--help']).help).toBe(true);
    expect(parseBacktestArgs(['-h', 'x.csv']).help).toBe(true);
    expect(BACKTEST_USAGE).toContain('--rule-resolve-after');
  });
});

import { describe, expect, it } from 'vitest';
import { defaultSourceName, parseReplayArgs, REPLAY_USAGE } from './replay-args';
import { UsageError } from './usage';

const parse = (...argv: string[]) => parseReplayArgs(argv);

describe('parseReplayArgs', () => {
  it('defaults: recorded speed, format and source from the file name, wait for the detector', () => {
    expect(parse('data/events.jsonl')).toEqual({
      help: false,
      file: 'data/events.jsonl',
      format: 'jsonl',
      sourceName: 'events.jsonl',
      speed: 1,
      maxGapMs: 3_600_000,
      wait: true,
      waitTimeoutMs: 300_000,
    });
    expect(parse('/tmp/Day 1.CSV')).toMatchObject({ format: 'csv', sourceName: 'Day_1.CSV' });
    expect(parse('events.ndjson').format).toBe('jsonl');
  });

  it('reads every flag', () => {
    expect(
      parse(
        'x.txt',
        '--format',
        'csv',
        '--source',
        'nightly-2025.06',
        '--speed',
        '2.5',
        '--max-gap',
        '10m',
        '--no-wait',
        '--wait-timeout',
        '30s',
      ),
    ).toEqual({
      help: false,
      file: 'x.txt',
      format: 'csv',
      sourceName: 'nightly-2025.06',
      speed: 2.5,
      maxGapMs: 600_000,
      wait: false,
      waitTimeoutMs: 30_000,
    });
    expect(parse('a.jsonl', '--fast').speed).toBe(Infinity);
    expect(parse('--speed', '0.5', 'a.jsonl').speed).toBe(0.5);
    expect(parse('a.jsonl', '--max-gap', '0s').maxGapMs).toBe(0);
  });

  it('shows help with or without a file', () => {
    expect(parse('--help').help).toBe(true);
    expect(parse('a.csv', '-h').help).toBe(true);
    expect(REPLAY_USAGE).toContain('measures.<name>');
  });

  it.each([
    [[], /expected the file to replay/],
    [['a.jsonl', 'b.jsonl'], /expected one file to replay, got 2/],
    [['a.jsonl', '--format', 'xml'], /--format: expected jsonl or csv, got "xml"/],
    [['a.jsonl', '--speed', '0'], /--speed: expected a number greater than 0/],
    [['a.jsonl', '--speed=-2'], /--speed: expected a number greater than 0/],
    [['a.jsonl', '--speed', 'fast'], /--speed: expected a number greater than 0/],
    [['a.jsonl', '--speed', 'Infinity'], /--speed: expected a number greater than 0/],
    [['a.jsonl', '--speed', '2', '--fast'], /--speed and --fast: choose one/],
    [['a.jsonl', '--source', 'a b'], /--source: expected 1–100 letters/],
    [['a.jsonl', '--source', ''], /--source: expected 1–100 letters/],
    [['a.jsonl', '--max-gap', '2d'], /--max-gap: expected a duration/],
    [['a.jsonl', '--max-gap', 'soon'], /--max-gap: expected a duration/],
    [['a.jsonl', '--wait-timeout', '10ms'], /--wait-timeout: expected a duration/],
    [['a.jsonl', '--rate', '5'], /Unknown option '--rate'/],
    [['a.jsonl', '--speed'], /argument missing/],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(() => parse(...argv)).toThrow(UsageError);
    expect(() => parse(...argv)).toThrow(message);
  });
});

describe('defaultSourceName', () => {
  it('is the base name, reduced to safe characters', () => {
    expect(defaultSourceName('/data/events.2025-06-01.jsonl')).toBe('events.2025-06-01.jsonl');
    expect(defaultSourceName('./my events (copy).csv')).toBe('my_events_copy_.csv');
    expect(defaultSourceName('.hidden')).toBe('hidden');
    expect(defaultSourceName('///')).toBe('file');
  });
});

import { describe, expect, it } from 'vitest';
import { parseSoakArgs } from './soak-args';
import { UsageError } from './usage';

describe('parseSoakArgs', () => {
  it('defaults to the target run: 60 minutes at 2,000 events/s, sampled each minute', () => {
    expect(parseSoakArgs([])).toEqual({
      help: false,
      minutes: 60,
      ratePerSec: 2000,
      sampleMs: 60_000,
      ingestEveryMs: 2000,
      out: 'docs/soak.md',
      build: false,
      keep: false,
    });
  });

  it('reads every flag', () => {
    expect(
      parseSoakArgs([
        '--minutes',
        '3',
        '--rate=500',
        '--sample',
        '20s',
        '--ingest-every',
        '500ms',
        '--out',
        'tmp/soak.md',
        '--build',
        '--keep',
      ]),
    ).toEqual({
      help: false,
      minutes: 3,
      ratePerSec: 500,
      sampleMs: 20_000,
      ingestEveryMs: 500,
      out: 'tmp/soak.md',
      build: true,
      keep: true,
    });
    expect(parseSoakArgs(['--minutes', '0.5', '--sample', '10s']).minutes).toBe(0.5);
    expect(parseSoakArgs(['-h']).help).toBe(true);
  });

  it.each([
    [['--minutes', 'long'], /^--minutes: expected a number above 0 and at most 1440, got "long"$/],
    [['--minutes', '0'], /^--minutes: expected a number above 0/],
    [['--minutes', '2000'], /^--minutes: expected a number above 0 and at most 1440/],
    [['--rate', '2k'], /^--rate: expected an integer from 1 to 1000000, got "2k"$/],
    [['--rate', '0'], /^--rate: expected an integer/],
    [
      ['--sample', '20'],
      /^--sample: expected a duration of at least 5s such as 20s or 1m, got "20"$/,
    ],
    [['--sample', '1s'], /^--sample: expected a duration of at least 5s/],
    [['--minutes', '1', '--sample', '2m'], /^--sample: 2m is longer than the run \(--minutes 1\)/],
    [['--ingest-every', 'often'], /^--ingest-every: expected a duration of at least 0.1s/],
    [['--out', 'report.txt'], /^--out: expected a Markdown file name ending in \.md/],
    [['--minute', '3'], /Unknown option '--minute'/],
    [['3'], /Unexpected argument '3'/],
  ])('refuses %j with a clear message', (argv, message) => {
    let error: unknown;
    try {
      parseSoakArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});

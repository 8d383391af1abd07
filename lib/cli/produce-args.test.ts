import { describe, expect, it } from 'vitest';
import { parseProduceArgs } from './produce-args';
import { UsageError } from './usage';

const DEFAULTS = { ratePerSec: 1000, scenarios: ['purchase_drop_eu_west'], seed: 42 };
const parse = (...argv: string[]) => parseProduceArgs(argv, DEFAULTS);

describe('parseProduceArgs', () => {
  it('takes the defaults from the configuration', () => {
    expect(parse()).toEqual({
      help: false,
      ratePerSec: 1000,
      scenarios: ['purchase_drop_eu_west'],
      seconds: null,
      backfillMs: 0,
      seed: 42,
    });
  });

  it('reads every flag', () => {
    expect(
      parse(
        '--rate',
        '250',
        '--scenario',
        'latency_search_android',
        '--scenario',
        'revenue_drop_ios,error_burst_app_version',
        '--seconds',
        '1.5',
        '--backfill',
        '30m',
        '--seed',
        '7',
      ),
    ).toEqual({
      help: false,
      ratePerSec: 250,
      scenarios: ['latency_search_android', 'revenue_drop_ios', 'error_burst_app_version'],
      seconds: 1.5,
      backfillMs: 1_800_000,
      seed: 7,
    });
    expect(parse('--scenario', 'none').scenarios).toEqual([]);
    expect(parse('-h').help).toBe(true);
  });

  it.each([
    [['--rate', 'fast'], /^--rate: expected an integer from 1 to 1000000, got "fast"$/],
    [['--rate', '0'], /^--rate: expected an integer/],
    [['--rate', '2.5'], /^--rate: expected an integer/],
    [['--seconds=-3'], /^--seconds: expected a positive number, got "-3"$/],
    [['--seconds', '0'], /^--seconds: expected a positive number/],
    [['--backfill', '30 minutes'], /^--backfill: expected a duration such as 30m/],
    [['--backfill', '8d'], /^--backfill: at most 7d/],
    [
      ['--scenario', 'nope'],
      /^--scenario: Unknown scenario "nope"; valid scenarios: purchase_drop_eu_west, /,
    ],
    [['--scenario', ','], /^--scenario: expected a scenario name$/],
    [['--rates', '5'], /Unknown option '--rates'/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('refuses %j with a clear message', (argv, message) => {
    let error: unknown;
    try {
      parse(...argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});

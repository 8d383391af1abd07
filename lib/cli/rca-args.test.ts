import { describe, expect, it } from 'vitest';
import { isRcaBenchmark, parseRcaArgs, parseRcaBenchmarkArgs, RCA_USAGE } from './rca-args';
import { UsageError } from './usage';

const parse = (...argv: string[]) => parseRcaArgs(argv);

describe('parseRcaArgs', () => {
  it('defaults: the actual and expected columns, depth 3, 20 candidates', () => {
    expect(parse('--input', 'cube.csv')).toEqual({
      help: false,
      input: 'cube.csv',
      actual: 'actual',
      expected: 'expected',
      maxDepth: 3,
      maxCandidates: 20,
    });
    expect(parse('cube.csv').input).toBe('cube.csv');
  });

  it('reads every flag', () => {
    expect(
      parse(
        '--input=data/x.csv',
        '--actual',
        'conversions',
        '--expected',
        'baseline',
        '--actual-den',
        'sessions',
        '--expected-den',
        'baseline sessions',
        '--max-depth',
        '2',
        '--max-candidates',
        '5',
        '--metric',
        'conversion rate',
      ),
    ).toEqual({
      help: false,
      input: 'data/x.csv',
      actual: 'conversions',
      expected: 'baseline',
      actualDen: 'sessions',
      expectedDen: 'baseline sessions',
      maxDepth: 2,
      maxCandidates: 5,
      metric: 'conversion rate',
    });
  });

  it('shows help without needing an input', () => {
    expect(parse('--help').help).toBe(true);
    expect(parse('-h', 'x.csv')).toMatchObject({ help: true, input: 'x.csv' });
    expect(RCA_USAGE).toMatch(/--input FILE/);
  });

  it.each([
    [[], /expected --input FILE/],
    [['--input', ' '], /expected --input FILE/],
    [['a.csv', 'b.csv'], /expected one input file, got a.csv b.csv/],
    [['--input', 'a.csv', 'b.csv'], /expected one input file/],
    [['x.csv', '--actual-den', 'n'], /--actual-den and --expected-den: give both/],
    [['x.csv', '--expected', 'actual'], /column "actual" is given for two values/],
    [['x.csv', '--actual', ''], /--actual: expected a column name/],
    [['x.csv', '--max-depth', '4'], /--max-depth: expected a whole number from 1 to 3, got "4"/],
    [['x.csv', '--max-depth', '1.5'], /--max-depth: expected a whole number/],
    [['x.csv', '--max-candidates', '-1'], /--max-candidates/],
    [['x.csv', '--bogus'], /Unknown option '--bogus'/],
    [['x.csv', '--input'], /argument missing|--input/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseRcaArgs(argv)).toThrow(UsageError);
    expect(() => parseRcaArgs(argv)).toThrow(message);
  });
});

describe('parseRcaBenchmarkArgs', () => {
  it('is chosen by --benchmark', () => {
    expect(isRcaBenchmark(['--benchmark'])).toBe(true);
    expect(isRcaBenchmark(['cube.csv'])).toBe(false);
  });

  it('defaults to 100 cubes of every setting', () => {
    expect(parseRcaBenchmarkArgs(['--benchmark'])).toEqual({
      help: false,
      cubes: 100,
      setting: '',
      misses: false,
    });
  });

  it('reads every flag', () => {
    expect(
      parseRcaBenchmarkArgs(['--benchmark', '--cubes', '30', '--setting', 'depth 3', '--misses']),
    ).toEqual({ help: false, cubes: 30, setting: 'depth 3', misses: true });
  });

  it('names a bad count and refuses unknown flags', () => {
    expect(() => parseRcaBenchmarkArgs(['--benchmark', '--cubes', '0'])).toThrow(/--cubes/);
    expect(() => parseRcaBenchmarkArgs(['--benchmark', '--cubes', 'ten'])).toThrow(/--cubes/);
    expect(() => parseRcaBenchmarkArgs(['--benchmark', '--input', 'x.csv'])).toThrow(UsageError);
  });
});

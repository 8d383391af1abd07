/**
 * Command-line flags of `npm run rca`, parsed and validated without side effects so the rules
 * can be tested: every mistake is reported with the flag's name and what it expected.
 */
import { parseFlags, UsageError } from './usage';

export const RCA_USAGE = `Usage: npm run rca -- --input cube.csv [options]

Finds the root cause of a deviation in a cube exported from another tool: the smallest set of
conjunctions of up to 3 dimension values (region=eu-west AND device=android) that explains the
difference between the actual and the expected column, plus ranked candidates and a sentence.
Prints JSON on stdout.

The CSV has a header row and one row per leaf (one combination of dimension values). Every
column other than the value columns is a dimension; rows with the same dimension values are
added up. Example:
  region,device,actual,expected
  eu-west,android,120,410
  eu-west,ios,385,400

Options:
  --input FILE          the CSV file (or give it as the only argument)
  --actual COL          column of actual values (default: actual)
  --expected COL        column of expected values (default: expected)
  --actual-den COL      for a ratio metric (conversion, error rate): the columns of the actual
  --expected-den COL    and expected denominator; actual/expected are then the numerators, and
                        the answer says whether rates changed inside slices or the mix moved
  --max-depth N         largest number of dimensions in one conjunction, 1-3 (default 3)
  --max-candidates N    candidates to print (default 20)
  --metric NAME         name of the metric in the sentence
  -h, --help            show this help

Exit status: 0 done, 2 usage error or unreadable input (missing file or column, a value that is
not a number ≥ 0, with its line number).

The accuracy and speed report of the search on generated cubes: see --benchmark --help.`;

export const RCA_BENCHMARK_USAGE = `Usage: npm run rca -- --benchmark [--cubes N] [--setting TEXT] [--misses]

Generates cubes of about 20,000 leaves with known causes (lib/rca/benchmark.ts: 1-3 causes of
1-3 dimension values, causes of 4-5 values, ratio cubes), finds their root causes and prints
exact-set F1, precision and recall per setting with the median and p90 time per cube (wall
clock) and the median CPU time (which load on the machine does not inflate), after two warm-up
cubes.

Options:
  --cubes N        cubes per setting, 1-10000 (default 100)
  --setting TEXT   only the settings whose name contains TEXT
  --misses         print every cube whose answer is not exactly the true set
  -h, --help       show this help`;

export interface RcaBenchmarkArgs {
  help: boolean;
  cubes: number;
  /** Only settings whose name contains this ('' for all). */
  setting: string;
  misses: boolean;
}

/** True when the arguments ask for the benchmark rather than a CSV's root cause. */
export function isRcaBenchmark(argv: readonly string[]): boolean {
  return argv.includes('--benchmark');
}

/** Parses `npm run rca -- --benchmark …`. Throws UsageError naming the bad flag. */
export function parseRcaBenchmarkArgs(argv: string[]): RcaBenchmarkArgs {
  const { values } = parseFlags({
    args: argv,
    strict: true,
    options: {
      benchmark: { type: 'boolean' },
      cubes: { type: 'string' },
      setting: { type: 'string' },
      misses: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return {
    help: values.help === true,
    cubes: values.cubes === undefined ? 100 : integer('cubes', values.cubes, 1, 10_000),
    setting: values.setting ?? '',
    misses: values.misses === true,
  };
}

export interface RcaArgs {
  help: boolean;
  input: string;
  actual: string;
  expected: string;
  /** Both set for a ratio metric, else both undefined. */
  actualDen?: string;
  expectedDen?: string;
  maxDepth: number;
  maxCandidates: number;
  metric?: string;
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`--${flag}: expected a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function column(flag: string, text: string | undefined, fallback?: string): string | undefined {
  if (text === undefined) return fallback;
  if (text.trim() === '') throw new UsageError(`--${flag}: expected a column name, got ""`);
  return text;
}

/** Parses the arguments after `npm run rca --`. Throws UsageError naming the bad flag. */
export function parseRcaArgs(argv: string[]): RcaArgs {
  const parsed = parseFlags({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      actual: { type: 'string' },
      expected: { type: 'string' },
      'actual-den': { type: 'string' },
      'expected-den': { type: 'string' },
      'max-depth': { type: 'string' },
      'max-candidates': { type: 'string' },
      metric: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const { values, positionals } = parsed;
  const help = values.help === true;
  const defaults = { actual: 'actual', expected: 'expected', maxDepth: 3, maxCandidates: 20 };
  if (help) return { help, input: values.input ?? positionals[0] ?? '', ...defaults };

  if (positionals.length > 1 || (positionals.length === 1 && values.input !== undefined)) {
    throw new UsageError(
      `expected one input file, got ${[values.input, ...positionals].filter(Boolean).join(' ')}`,
    );
  }
  const input = values.input ?? positionals[0];
  if (input === undefined || input.trim() === '') {
    throw new UsageError('expected --input FILE (a CSV with a header row)');
  }
  const actual = column('actual', values.actual, defaults.actual)!;
  const expected = column('expected', values.expected, defaults.expected)!;
  const actualDen = column('actual-den', values['actual-den']);
  const expectedDen = column('expected-den', values['expected-den']);
  if ((actualDen === undefined) !== (expectedDen === undefined)) {
    throw new UsageError(
      '--actual-den and --expected-den: give both for a ratio metric, or neither',
    );
  }
  const used = [actual, expected, actualDen, expectedDen].filter((c) => c !== undefined);
  const repeated = used.find((c, i) => used.indexOf(c) !== i);
  if (repeated !== undefined) {
    throw new UsageError(`column "${repeated}" is given for two values; each needs its own column`);
  }
  return {
    help,
    input,
    actual,
    expected,
    ...(actualDen !== undefined && expectedDen !== undefined ? { actualDen, expectedDen } : {}),
    maxDepth:
      values['max-depth'] === undefined ? 3 : integer('max-depth', values['max-depth'], 1, 3),
    maxCandidates:
      values['max-candidates'] === undefined
        ? 20
        : integer('max-candidates', values['max-candidates'], 0, 10_000),
    ...(values.metric !== undefined ? { metric: values.metric } : {}),
  };
}

/**
 * `npm run rca -- --input cube.csv [--actual COL] [--expected COL] [...]`: root cause of a
 * deviation in a cube exported from another tool. Reads the CSV (lib/rca/table.ts), runs the
 * pure library (lib/rca) and prints JSON on stdout: the root-cause set, ranked candidates, the
 * sentence and, for additive metrics, every dimension value's numbers. See RCA_USAGE.
 *
 * `npm run rca -- --benchmark [--cubes N] [--setting TEXT] [--misses]`: the accuracy and speed
 * report of lib/rca/benchmark.ts (exact-set F1 per setting, median and p95 ms per cube), the
 * table docs/detection-quality.md shows.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explainCube, explainRatio, type RatioLeaf } from '@/lib/rca';
import {
  isRcaBenchmark,
  parseRcaArgs,
  parseRcaBenchmarkArgs,
  RCA_BENCHMARK_USAGE,
  RCA_USAGE,
  type RcaArgs,
  type RcaBenchmarkArgs,
} from '@/lib/cli/rca-args';
import { UsageError } from '@/lib/cli/usage';
import { CubeFileError, parseCubeCsv } from '@/lib/rca/table';
import { BENCHMARK_SETTINGS, runBenchmark } from '@/lib/rca/benchmark';
import { describeElements } from '@/lib/rca/cube';

/** Numbers with 6 significant digits: enough to read, no float noise. */
function rounded(_key: string, value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)
    ? Number(value.toPrecision(6))
    : value;
}

/** The JSON answer for parsed arguments and the file's text. Throws CubeFileError. */
export function analyze(args: RcaArgs, text: string): unknown {
  const { leaves } = parseCubeCsv(text, args);
  const options = {
    maxDepth: args.maxDepth,
    maxCandidates: args.maxCandidates,
    ...(args.metric !== undefined ? { metricName: args.metric } : {}),
  };
  if (args.actualDen !== undefined) {
    const result = explainRatio(leaves as RatioLeaf[], options);
    return {
      rootCause: result.rootCause,
      dominant: result.dominant,
      rate: result.rate,
      effects: result.effects,
      candidates: result.candidates,
      sentence: result.sentence,
      within: { rootCause: result.within.rootCause, sentence: result.within.sentence },
      mix: { rootCause: result.mix.rootCause, sentence: result.mix.sentence },
    };
  }
  const result = explainCube(leaves, options);
  return {
    rootCause: result.rootCause,
    candidates: result.candidates,
    sentence: result.sentence,
    totals: result.totals,
    noise: result.noise,
    dimensions: result.dimensions,
  };
}

/** The benchmark report: one line per setting, then the misses when asked. */
function benchmark(args: RcaBenchmarkArgs): number {
  const { cubes } = args;
  const settings = BENCHMARK_SETTINGS.filter((s) => s.name.includes(args.setting));
  const pad = (x: string, n: number) => x.padEnd(n);
  const num = (x: number, digits = 2) => x.toFixed(digits).padStart(11);
  console.log(
    `${pad('setting', 30)}${['cubes', 'F1', 'precision', 'recall', 'exact', 'median ms', 'p95 ms'].map((h) => h.padStart(11)).join('')}`,
  );
  const started = performance.now();
  for (const setting of settings) {
    const r = runBenchmark(setting, cubes, () => performance.now());
    console.log(
      `${pad(setting.name, 30)}${String(cubes).padStart(11)}${num(r.f1)}${num(r.precision)}${num(r.recall)}${num(r.exact / cubes)}${num(r.medianMs, 1)}${num(r.p95Ms, 1)}`,
    );
    if (args.misses) {
      const list = (set: readonly Record<string, string>[]) =>
        set.map(describeElements).join(' | ') || '(none)';
      for (const c of r.cases) {
        if (c.fp === 0 && c.fn === 0) continue;
        console.log(`  seed ${c.seed}: true ${list(c.truth)}\n      named ${list(c.predicted)}`);
      }
    }
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

/** Runs the command; resolves to the exit status (0 done, 2 usage or input error). */
export async function main(argv = process.argv.slice(2)): Promise<number> {
  if (isRcaBenchmark(argv)) {
    let args: RcaBenchmarkArgs;
    try {
      args = parseRcaBenchmarkArgs(argv);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      console.error(`${error.message}\n\n${RCA_BENCHMARK_USAGE}`);
      return 2;
    }
    if (args.help) {
      console.log(RCA_BENCHMARK_USAGE);
      return 0;
    }
    return benchmark(args);
  }
  let args: RcaArgs;
  try {
    args = parseRcaArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${RCA_USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(RCA_USAGE);
    return 0;
  }
  let text: string;
  try {
    text = await readFile(args.input, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : (error as Error).message;
    console.error(`${args.input}: cannot read: ${reason}`);
    return 2;
  }
  let answer: unknown;
  try {
    answer = analyze(args, text);
  } catch (error) {
    if (!(error instanceof CubeFileError)) throw error;
    console.error(`${args.input}: ${error.message}`);
    return 2;
  }
  await new Promise((done) =>
    process.stdout.write(`${JSON.stringify(answer, rounded, 2)}\n`, done),
  );
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

/**
 * `npm run rca -- --input cube.csv [--actual COL] [--expected COL] [...]`: root cause of a
 * deviation in a cube exported from another tool. Reads the CSV (lib/rca/table.ts), runs the
 * pure library (lib/rca) and prints JSON on stdout: the root-cause set, ranked candidates, the
 * sentence and, for additive metrics, every dimension value's numbers. See RCA_USAGE.
 *
 * `npm run rca -- --benchmark [--cubes N] [--setting TEXT] [--misses]`: the accuracy and speed
 * report of lib/rca/benchmark.ts (exact-set F1 per setting, median and p90 wall-clock ms and
 * median CPU ms per cube, after two warm-up cubes), the table docs/detection-quality.md shows.
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
import { BENCHMARK_SETTINGS, runBenchmark, type BenchmarkCase } from '@/lib/rca/benchmark';
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

/** CPU time of this process in ms (every thread: the compiler's and the collector's too). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The benchmark report: one line per setting, then the misses when asked. */
function benchmark(args: RcaBenchmarkArgs): number {
  const { cubes } = args;
  const settings = BENCHMARK_SETTINGS.filter((s) => s.name.includes(args.setting));
  const pad = (x: string, n: number) => x.padEnd(n);
  const num = (x: number, digits = 2) => x.toFixed(digits).padStart(11);
  const heads = ['cubes', 'F1', 'precision', 'recall', 'exact', 'median ms', 'p90 ms', 'cpu ms'];
  console.log(`${pad('setting', 30)}${heads.map((h) => h.padStart(11)).join('')}`);
  const started = performance.now();
  const all: BenchmarkCase[] = [];
  // Two cubes first, not counted: the times are of the search, not of compiling it.
  if (settings[0]) runBenchmark(settings[0], 2, () => 0, { first: 1_000_000 });
  for (const setting of settings) {
    const r = runBenchmark(setting, cubes, () => performance.now(), { cpu: cpuMs });
    all.push(...r.cases);
    console.log(
      `${pad(setting.name, 30)}${String(cubes).padStart(11)}${num(r.f1)}${num(r.precision)}${num(r.recall)}${num(r.exact / cubes)}${num(r.medianMs, 1)}${num(r.p90Ms, 1)}${num(r.medianCpuMs, 1)}`,
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
  const sorted = (key: 'ms' | 'cpuMs') => all.map((c) => c[key]).sort((x, y) => x - y);
  const at = (list: number[], q: number) =>
    list[Math.min(list.length - 1, Math.floor(q * list.length))];
  const wall = sorted('ms');
  console.log(
    `all ${all.length} cubes: median ${at(wall, 0.5)?.toFixed(1)} ms, p90 ${at(wall, 0.9)?.toFixed(1)} ms, median cpu ${at(sorted('cpuMs'), 0.5)?.toFixed(1)} ms`,
  );
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

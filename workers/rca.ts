/**
 * `npm run rca -- --input cube.csv [--actual COL] [--expected COL] [...]`: root cause of a
 * deviation in a cube exported from another tool. Reads the CSV (lib/rca/table.ts), runs the
 * pure library (lib/rca) and prints JSON on stdout: the root-cause set, ranked candidates, the
 * sentence and, for additive metrics, every dimension value's numbers. See RCA_USAGE.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explainCube, explainRatio, type RatioLeaf } from '@/lib/rca';
import { parseRcaArgs, RCA_USAGE, type RcaArgs } from '@/lib/cli/rca-args';
import { UsageError } from '@/lib/cli/usage';
import { CubeFileError, parseCubeCsv } from '@/lib/rca/table';

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

/** Runs the command; resolves to the exit status (0 done, 2 usage or input error). */
export async function main(argv = process.argv.slice(2)): Promise<number> {
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

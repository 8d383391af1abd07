/**
 * `npm run eval [-- --quick] [--seed N] [--out FILE]`: the detection quality evaluation
 * (lib/eval/suite.ts runs it, lib/eval/report.ts judges it). The full run writes
 * docs/detection-quality.md; --quick (the small version CI runs) writes only with --out. A
 * summary goes to stdout, progress to stderr. No database.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderReport, renderSummary } from '@/lib/eval/report';
import { runSuite } from '@/lib/eval/suite';
import { renderSeriesCorpus, runSeriesCorpus } from '@/lib/eval/series-report';
import { runSplitSuite, splitReport } from '@/lib/eval/split-suite';

const USAGE = `Usage: npm run eval -- [--quick] [--series] [--seed N] [--out FILE] [--json FILE]

Injects incidents of known cause and size into simulated traffic, runs it through the detection
engine, and reports precision, recall, F1, time to detect, false alerts per metric per day and
root-cause accuracy per scenario family, and the notifications per incident before and after
incident grouping (see docs/detection-quality.md).

  --quick      the small suite CI runs (one noise level, 4σ and 8σ, one of each); well under a minute
  --series     only the real-series corpus of npm run backtest (timestamp,value files): precision,
               recall, F1 and false alerts per day at one score threshold; a few seconds. Every
               run prints it after the summary (docs/detection-quality.md, "Real series")
  --seed N     seed of the traffic and of the incident plan (default 1)
  --out FILE   where to write the report (default docs/detection-quality.md; --quick writes
               only when given)
  --json FILE  also write every incident and anomaly as JSON, for analysis
  -h, --help   show this help`;

function machine(): string {
  const cores = cpus();
  const model = cores[0]?.model.trim() ?? 'unknown CPU';
  return `${cores.length} × ${model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.versions.node} on ${process.platform}`;
}

/** The report as the repository's Prettier formats Markdown (`npm run lint` checks docs too). */
async function formatted(markdown: string, file: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(markdown, { ...options, filepath: file });
  } catch {
    return markdown; // Prettier is a dev dependency: without it the report is still valid.
  }
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean' },
        series: { type: 'boolean' },
        seed: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    console.error(`--seed: expected a whole number ≥ 0, got "${values.seed}"\n\n${USAGE}`);
    return 2;
  }
  if (values.series) {
    console.log(renderSeriesCorpus(runSeriesCorpus(seed)));
    return 0;
  }
  const quick = values.quick === true;
  const started = performance.now();
  const result = await runSuite({
    quick,
    seed,
    onProgress: (message) =>
      console.error(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${message}`),
  });
  const elapsedMs = performance.now() - started;
  console.log(renderSummary(result));
  console.log(
    `\n${(elapsedMs / 1000).toFixed(1)} s, ${result.events} events, ${result.windows} windows`,
  );
  const corpus = renderSeriesCorpus(runSeriesCorpus(seed));
  console.log(`\n${corpus}`);
  const split = await runSplitSuite({
    quick,
    seed,
    onProgress: (message) =>
      console.error(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${message}`),
  });
  const splitSection = splitReport(split);
  console.log(`\n${splitSection}`);

  const out = values.out ?? (quick ? undefined : 'docs/detection-quality.md');
  if (out) {
    const command = [
      'npm run eval',
      ...(quick || seed !== 1 ? ['--'] : []),
      ...(quick ? ['--quick'] : []),
      ...(seed !== 1 ? ['--seed', String(seed)] : []),
    ].join(' ');
    const report = renderReport(result, {
      command,
      date: new Date().toISOString().slice(0, 10),
      machine: machine(),
      elapsedMs,
    });
    // The split and real-series figures go into the report as sections of their own.
    const whole = [report, splitSection].join('\n\n');
    await writeFile(out, await formatted(whole, out));
    console.error(`wrote ${out}`);
  }
  if (values.json) {
    await writeFile(values.json, JSON.stringify(result, null, 1));
    console.error(`wrote ${values.json}`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}

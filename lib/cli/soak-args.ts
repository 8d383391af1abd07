/**
 * Command-line flags of `npm run soak`, parsed and validated without side effects so the rules
 * can be tested: every mistake is reported with the flag's name and what it expected.
 */
import { parseFlags, UsageError } from './usage';
import { parseDuration } from '@/lib/config/schema';

export const SOAK_USAGE = `Usage: npm run soak -- [options]

Runs the whole product (npm start's supervisor: embedded PostgreSQL, web server, stream worker,
simulator with incidents) in a fresh data directory on its own ports, feeds POST /api/ingest a
mix of valid and invalid events, and every sample interval records the RSS of every process,
the event-time lag, the flush p99 and the database size. At the end it stops the product with
SIGINT, checks the accounting (received = folded + quarantined, what was sent over HTTP, the
rollups against the folded counts) and the trends, and writes a report with a chart.

Needs a production build of the web app (.next/BUILD_ID); --build makes one when it is missing.

Options:
  --minutes N        how long to run once the product is up (default 60)
  --rate N           simulator events per second (default 2000)
  --sample D         sampling interval, e.g. 20s or 1m (default 1m)
  --ingest-every D   interval between POST /api/ingest batches (default 2s)
  --out FILE         the report (default docs/soak.md; the chart goes beside it as .svg)
  --build            run "next build" first when there is no production build
  --keep             keep the soak's data directory (.data/soak-<time>) afterwards
  -h, --help         show this help

Exit status: 0 done, every check passed and nothing rose; 1 a check failed or a trend rose
(the report says which);
2 bad usage or no build, 130 interrupted before the run finished.`;

export interface SoakArgs {
  help: boolean;
  minutes: number;
  ratePerSec: number;
  sampleMs: number;
  ingestEveryMs: number;
  out: string;
  build: boolean;
  keep: boolean;
}

const MAX_MINUTES = 24 * 60;

function positive(flag: string, text: string, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new UsageError(`--${flag}: expected a number above 0 and at most ${max}, got "${text}"`);
  }
  return value;
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag}: expected an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function duration(flag: string, text: string, minMs: number): number {
  const ms = parseDuration(text);
  if (ms === null || ms < minMs) {
    throw new UsageError(
      `--${flag}: expected a duration of at least ${minMs / 1000}s such as 20s or 1m, got "${text}"`,
    );
  }
  return ms;
}

/** Parses the flags after `npm run soak --`. Throws UsageError naming the bad flag. */
export function parseSoakArgs(argv: string[]): SoakArgs {
  const { values } = parseFlags({
    args: argv,
    allowPositionals: false,
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string' },
      sample: { type: 'string' },
      'ingest-every': { type: 'string' },
      out: { type: 'string' },
      build: { type: 'boolean' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });

  const minutes =
    values.minutes === undefined ? 60 : positive('minutes', values.minutes, MAX_MINUTES);
  const ratePerSec = values.rate === undefined ? 2000 : integer('rate', values.rate, 1, 1_000_000);
  const sampleMs = values.sample === undefined ? 60_000 : duration('sample', values.sample, 5000);
  if (sampleMs > minutes * 60_000) {
    throw new UsageError(
      `--sample: ${values.sample} is longer than the run (--minutes ${minutes}); the trends need several samples`,
    );
  }
  const ingestEveryMs =
    values['ingest-every'] === undefined
      ? 2000
      : duration('ingest-every', values['ingest-every'], 100);
  const out = values.out ?? 'docs/soak.md';
  if (!/\.md$/.test(out)) {
    throw new UsageError(`--out: expected a Markdown file name ending in .md, got "${out}"`);
  }

  return {
    help: values.help === true,
    minutes,
    ratePerSec,
    sampleMs,
    ingestEveryMs,
    out,
    build: values.build === true,
    keep: values.keep === true,
  };
}

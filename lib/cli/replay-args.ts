/**
 * Command-line flags of `npm run replay`, parsed and validated without side effects so the
 * rules can be tested: every mistake is reported with the flag's name and what it expected.
 */
import { parseFlags, UsageError } from './usage';
import { basename, extname } from 'node:path';
import { parseDuration } from '@/lib/config/schema';

export const REPLAY_USAGE = `Usage: npm run replay -- <events.jsonl|events.csv> [options]

Replays a recorded file of events through the pipeline into PostgreSQL (DATABASE_URL, or the
embedded PostgreSQL under PULSE_DATA_DIR), closes every window at the end of the file, waits
until the detector has scored them, and prints a JSON summary on stdout (progress goes to
stderr). Re-running the same file resumes after the lines already stored: nothing is counted
twice.

Pacing (results never depend on it):
  (default)         recorded speed: waits out the gaps between event times
  --speed N         N times faster than recorded (e.g. 60; 0.5 is half speed)
  --fast            as fast as possible

Options:
  --format F        jsonl or csv (default: from the extension; .csv is csv, anything else jsonl)
  --source NAME     the source is replay:NAME (default: the file's base name, e.g. events.csv);
                    a different NAME replays the file again as a new source
  --max-gap D       largest jump forward of the replay clock (default 1h): an event more than
                    D + 5m after every event before it is quarantined as "future"
  --no-wait         do not wait for the detector after the file
  --wait-timeout D  how long to wait for the detector (default 5m)
  -h, --help        show this help

JSONL: one event per line, event contract v1:
  {"ts":"2026-01-05T14:00:00.250Z","type":"purchase","dims":{"region":"eu-west"},"measures":{"revenue":42.5}}

CSV: a header row, then one event per row. Columns:
  ts               RFC 3339 date-time, or epoch milliseconds (digits only)   required
  type             event type                                                 required
  id               event id                                                   optional
  dims.<name>      one column per dimension; an empty cell leaves it out
  measures.<name>  one column per measure (a number); an empty cell leaves it out
  e.g.  ts,type,dims.region,dims.device,measures.revenue
        2026-01-05T14:00:00Z,purchase,eu-west,ios,42.5
Each row becomes the JSON event above and is validated like any other; a row that cannot be
read as CSV (wrong number of fields, a broken quote) is quarantined as malformed_json with
its line number. Other columns are refused before anything is read.

The replay clock: validation's "now" comes from the file, never from the wall clock — the
newest event time accepted so far (at first, the median time of the file's first 1000
records), plus --max-gap. So a replay gives the same rollups and quarantine at any speed.

Exit status: 0 done, 1 failed, 2 usage or unreadable file, 3 the detector did not finish in
time (the events are stored), 130 interrupted (run it again to resume).`;

export type ReplayFormat = 'jsonl' | 'csv';

export interface ReplayArgs {
  help: boolean;
  file: string;
  format: ReplayFormat;
  /** The name after `replay:`. */
  sourceName: string;
  /** Times faster than recorded; Infinity for --fast. */
  speed: number;
  maxGapMs: number;
  wait: boolean;
  waitTimeoutMs: number;
}

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const DEFAULT_MAX_GAP_MS = 3_600_000;
const DEFAULT_WAIT_TIMEOUT_MS = 300_000;
/** The validation limits the replay clock must stay inside (lib/ingest/events.ts: 7 days). */
const MAX_GAP_LIMIT_MS = 86_400_000;
const MAX_SPEED = 1e9;

/** The source name a file replays as by default: its base name (extension included). */
export function defaultSourceName(file: string): string {
  const base = basename(file);
  const cleaned = base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '');
  return cleaned.slice(0, 100) || 'file';
}

function duration(flag: string, text: string, min: number, max: number): number {
  const ms = parseDuration(text);
  if (ms === null || ms < min || ms > max) {
    throw new UsageError(
      `--${flag}: expected a duration from ${min === 0 ? '0s' : `${min / 1000}s`} to ${max / 3_600_000}h such as 30s, 10m or 1h, got "${text}"`,
    );
  }
  return ms;
}

/** Parses the arguments after `npm run replay --`. Throws UsageError naming the bad flag. */
export function parseReplayArgs(argv: string[]): ReplayArgs {
  const parsed = parseFlags({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      source: { type: 'string' },
      speed: { type: 'string' },
      fast: { type: 'boolean' },
      'max-gap': { type: 'string' },
      'no-wait': { type: 'boolean' },
      'wait-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const { values, positionals } = parsed;
  const help = values.help === true;
  if (help && positionals.length === 0) {
    return {
      help,
      file: '',
      format: 'jsonl',
      sourceName: '',
      speed: 1,
      maxGapMs: DEFAULT_MAX_GAP_MS,
      wait: true,
      waitTimeoutMs: DEFAULT_WAIT_TIMEOUT_MS,
    };
  }
  if (positionals.length !== 1 || positionals[0]!.trim() === '') {
    throw new UsageError(
      positionals.length === 0
        ? 'expected the file to replay (events.jsonl or events.csv)'
        : `expected one file to replay, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  const file = positionals[0]!;

  let format: ReplayFormat;
  if (values.format === undefined) {
    format = extname(file).toLowerCase() === '.csv' ? 'csv' : 'jsonl';
  } else if (values.format === 'jsonl' || values.format === 'csv') {
    format = values.format;
  } else {
    throw new UsageError(`--format: expected jsonl or csv, got "${values.format}"`);
  }

  if (values.fast && values.speed !== undefined) {
    throw new UsageError('--speed and --fast: choose one');
  }
  let speed = 1;
  if (values.fast) speed = Infinity;
  else if (values.speed !== undefined) {
    const text = values.speed.trim();
    const value = Number(text);
    if (!/^\d*\.?\d+(?:[eE][+-]?\d+)?$/.test(text) || !(value > 0) || value > MAX_SPEED) {
      throw new UsageError(
        `--speed: expected a number greater than 0 (e.g. 10 or 0.5), got "${values.speed}"`,
      );
    }
    speed = value;
  }

  const sourceName = values.source ?? defaultSourceName(file);
  if (!SOURCE_NAME.test(sourceName)) {
    throw new UsageError(
      `--source: expected 1–100 letters, digits, . _ - (starting with a letter or digit), got "${sourceName}"`,
    );
  }

  const maxGapMs =
    values['max-gap'] === undefined
      ? DEFAULT_MAX_GAP_MS
      : duration('max-gap', values['max-gap'], 0, MAX_GAP_LIMIT_MS);
  const waitTimeoutMs =
    values['wait-timeout'] === undefined
      ? DEFAULT_WAIT_TIMEOUT_MS
      : duration('wait-timeout', values['wait-timeout'], 1000, MAX_GAP_LIMIT_MS);

  return {
    help,
    file,
    format,
    sourceName,
    speed,
    maxGapMs,
    wait: values['no-wait'] !== true,
    waitTimeoutMs,
  };
}

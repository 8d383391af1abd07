/**
 * Command-line flags of `npm run backtest`, parsed and validated without side effects: every
 * mistake names the flag and what it expected.
 */
import { parseFlags, UsageError } from './usage';
import { extname } from 'node:path';
import { parseDuration } from '@/lib/config/schema';
import { validateRule } from '@/lib/detection/rule';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { DEFAULT_RULE, type AlertRule } from '@/lib/types';

export const BACKTEST_USAGE = `Usage: npm run backtest -- <FILE> [options]

Runs a recorded file through the same detection engine as the live detector, in memory (no
database): events are parsed, validated and folded into windows by the stream pipeline, and
every closed window is scored for every metric with the baseline, thresholds and hysteresis of
its alert rule. Prints NDJSON on stdout; a summary goes to stderr.

FILE is one of
  events.jsonl   one event per line (event contract v1, as npm run replay reads it)
  events.csv     a header row with ts, type, dims.<name>, measures.<name> (as npm run replay)
  series.csv     a plain time series: two columns, timestamp and value, one row a point
                 (header row optional; timestamps RFC 3339, YYYY-MM-DD[ HH:MM[:SS]] in UTC,
                 or epoch milliseconds)

Events: one line per closed window and metric:
  {"window":"…","metric":"purchases","value":…,"expected":…,"sigma":…,"z":…,"status":"ok",
   "anomaly":{"id":1,"step":"open"}|null,"rootCause":{"set":[…],"candidates":[…],…}|null}
  status is ok, warn, critical, learning (not enough history yet) or low_volume; anomaly is the
  anomaly the window belongs to and what the window did to it (open, extend, count_normal,
  resolve); rootCause is set on the window that opened the anomaly or moved its peak.
Series: one line per input row, in input order:
  {"timestamp":"…","value":…,"expected":…,"z":…,"status":"ok","score":0.03,"model":"seasonal-day"}
  model: rolling until a daily or weekly season is found in the series' own history (two whole
  periods at least), then seasonal-day or seasonal-week (--rule-baseline seasonal forces
  --rule-season). score in [0, 1] means the same on every series: 0.5 is a deviation seen once
  in 100,000 points (its tail probability against the series' own recent deviations: the point
  alone, sustained over 4 or 16 points, or a burst of variance), 1 is one in 10^10. Status warn
  at score ≥ 0.5, critical at ≥ 0.8 (the warn/critical z flags apply to events only). The
  summary names the models used and the seasonality found.

Options:
  --format F            jsonl, csv (events) or series (default: .csv files are series when the
                        header is not an events header, other files jsonl)
  --window D            base window (default 1m; events only)
  --metrics K,K         metrics to score (default all: ${defaultMetrics()
    .map((m) => m.key)
    .join(', ')})
  --out-of-order D      allowed out-of-orderness of event times (default 2s)
  --lateness D          allowed lateness after a window's end (default 1m)
  --max-gap D           largest jump forward of the replay clock (default 1h, as npm run replay)
  -h, --help            show this help

Alert rule (every metric; default: the rule a new metric gets):
  --rule-warn-z N            warn at |z| ≥ N (default ${DEFAULT_RULE.warnZ})
  --rule-critical-z N        critical at |z| ≥ N (default ${DEFAULT_RULE.criticalZ})
  --rule-direction D         up, down or both (default ${DEFAULT_RULE.direction})
  --rule-min-volume N        fewer events than N never alert (default ${DEFAULT_RULE.minVolume})
  --rule-baseline-windows N  earlier windows in the baseline (default ${DEFAULT_RULE.baselineWindows})
  --rule-baseline B          rolling, robust, seasonal or auto (robust for events) (default ${DEFAULT_RULE.baseline})
  --rule-season S            day or week, for a seasonal baseline (default ${DEFAULT_RULE.season})
  --rule-sigma-floor N       floor on σ in the metric's unit (default ${DEFAULT_RULE.sigmaFloor})
  --rule-consecutive N       anomalous windows in a row before an anomaly opens (default ${DEFAULT_RULE.consecutiveWindows})
  --rule-resolve-after N     normal windows in a row that resolve it (default ${DEFAULT_RULE.resolveAfter})

Exit status: 0 done, 1 failed, 2 usage or unreadable file.`;

export type BacktestFormat = 'auto' | 'jsonl' | 'csv' | 'series';

export interface BacktestArgs {
  help: boolean;
  file: string;
  /** 'auto': decided from the file (see {@link BACKTEST_USAGE}). */
  format: BacktestFormat;
  windowMs: number;
  /** Metric keys to score, in the default metrics' order. */
  metrics: string[];
  outOfOrderMs: number;
  allowedLatenessMs: number;
  maxGapMs: number;
  rule: AlertRule;
}

/** Flag of each rule field. */
export const RULE_FLAGS = {
  warnZ: 'rule-warn-z',
  criticalZ: 'rule-critical-z',
  direction: 'rule-direction',
  minVolume: 'rule-min-volume',
  baselineWindows: 'rule-baseline-windows',
  baseline: 'rule-baseline',
  season: 'rule-season',
  sigmaFloor: 'rule-sigma-floor',
  consecutiveWindows: 'rule-consecutive',
  resolveAfter: 'rule-resolve-after',
} as const satisfies Record<keyof AlertRule, string>;

const TEXT_FIELDS = new Set<keyof AlertRule>(['direction', 'baseline', 'season']);
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DAY_MS = 86_400_000;

function duration(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === null || ms < min || ms > DAY_MS) {
    throw new UsageError(
      `--${flag}: expected a duration from ${min === 0 ? '0s' : `${min / 1000}s`} to 24h such as 30s, 1m or 1h, got "${text}"`,
    );
  }
  return ms;
}

/** Parses the arguments after `npm run backtest --`. Throws UsageError naming the flag. */
export function parseBacktestArgs(argv: string[]): BacktestArgs {
  const ruleOptions = Object.fromEntries(
    Object.values(RULE_FLAGS).map((flag) => [flag, { type: 'string' as const }]),
  );
  const parsed = parseFlags({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      window: { type: 'string' },
      metrics: { type: 'string' },
      'out-of-order': { type: 'string' },
      lateness: { type: 'string' },
      'max-gap': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...ruleOptions,
    },
  });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const { positionals } = parsed;
  const str = (flag: string) => values[flag] as string | undefined;
  const help = values.help === true;

  let file = '';
  if (!help || positionals.length > 0) {
    if (positionals.length !== 1 || positionals[0]!.trim() === '') {
      throw new UsageError(
        positionals.length === 0
          ? 'expected the file to backtest (events.jsonl, events.csv or series.csv)'
          : `expected one file, got ${positionals.length}: ${positionals.join(' ')}`,
      );
    }
    file = positionals[0]!;
  }

  let format: BacktestFormat = 'auto';
  const formatFlag = str('format');
  if (formatFlag !== undefined) {
    if (!['jsonl', 'csv', 'series'].includes(formatFlag)) {
      throw new UsageError(`--format: expected jsonl, csv or series, got "${formatFlag}"`);
    }
    format = formatFlag as BacktestFormat;
  } else if (file !== '' && extname(file).toLowerCase() !== '.csv') {
    format = 'jsonl';
  }

  const known = defaultMetrics().map((m) => m.key);
  let metrics = known;
  const metricsFlag = str('metrics');
  if (metricsFlag !== undefined) {
    const wanted = metricsFlag
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    const unknown = wanted.filter((k) => !known.includes(k));
    if (wanted.length === 0 || unknown.length > 0) {
      throw new UsageError(
        `--metrics: ${wanted.length === 0 ? 'expected at least one metric' : `unknown metric ${unknown.map((k) => `"${k}"`).join(', ')}`}; known: ${known.join(', ')}`,
      );
    }
    metrics = known.filter((k) => wanted.includes(k));
  }

  const candidate: Record<string, unknown> = { ...DEFAULT_RULE };
  for (const [field, flag] of Object.entries(RULE_FLAGS) as [keyof AlertRule, string][]) {
    const text = str(flag);
    if (text === undefined) continue;
    if (TEXT_FIELDS.has(field)) candidate[field] = text.trim();
    else if (NUMBER.test(text.trim())) candidate[field] = Number(text.trim());
    else throw new UsageError(`--${flag}: expected a number, got "${text}"`);
  }
  const checked = validateRule(candidate);
  if (!checked.ok) {
    const [field, message] = Object.entries(checked.errors)[0] as [keyof AlertRule, string];
    throw new UsageError(`--${RULE_FLAGS[field]}: ${message}`);
  }

  return {
    help,
    file,
    format,
    windowMs: duration('window', str('window'), 60_000, 1000),
    metrics,
    outOfOrderMs: duration('out-of-order', str('out-of-order'), 2000, 0),
    allowedLatenessMs: duration('lateness', str('lateness'), 60_000, 0),
    maxGapMs: duration('max-gap', str('max-gap'), 3_600_000, 0),
    rule: checked.rule,
  };
}

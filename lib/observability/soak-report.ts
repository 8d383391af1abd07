/**
 * The pure part of `npm run soak` (workers/bench/soak.ts does the I/O): naming the product's
 * processes, flush p99 from the deltas of a Prometheus histogram, least-squares trends with a
 * flat/rising verdict, the accounting checks, and the report (Markdown table, SVG chart).
 */

/** Memory series of a sample, one per kind of process, in table order. */
export const MEMORY_SERIES = [
  'supervisor',
  'web',
  'worker',
  'simulator',
  'postgres',
  'pg_backends',
  'other',
] as const;
export type MemorySeries = (typeof MEMORY_SERIES)[number];

export const SERIES_LABELS: Record<MemorySeries, string> = {
  supervisor: 'supervisor',
  web: 'web',
  worker: 'worker',
  simulator: 'simulator',
  postgres: 'postgres (postmaster)',
  pg_backends: 'pg backends (anon)',
  other: 'other',
};

const SERIES_COLORS: Record<MemorySeries, string> = {
  supervisor: '#6b7280',
  web: '#2563eb',
  worker: '#dc2626',
  simulator: '#16a34a',
  postgres: '#9333ea',
  pg_backends: '#d97706',
  other: '#0891b2',
};

/**
 * The kind of a process of the product's group, from its command line (/proc/<pid>/cmdline
 * split at NUL). PostgreSQL's backends and auxiliary processes rewrite their title to
 * "postgres: …"; the postmaster keeps its path and `-D`.
 */
export function classifyProcess(argv: readonly string[]): MemorySeries {
  const line = argv.join(' ');
  if (/^postgres: /.test(line)) return 'pg_backends';
  const exe = (argv[0] ?? '').split('/').pop() ?? '';
  if (exe === 'postgres') return 'postgres';
  if (argv.some((a) => a.endsWith('workers/start.ts'))) return 'supervisor';
  if (argv.some((a) => a.endsWith('/server.ts') || a === 'server.ts')) return 'web';
  if (argv.some((a) => a.endsWith('workers/stream.ts'))) return 'worker';
  if (argv.some((a) => a.endsWith('workers/simulator.ts'))) return 'simulator';
  return 'other';
}

/** Memory of one process, in kB as /proc/<pid>/status gives it. */
export interface ProcessMemory {
  series: MemorySeries;
  rssKb: number;
  /** RssAnon: its anonymous memory, pages no other process maps from a file or shared memory. */
  anonKb: number;
}

/**
 * MB per series. PostgreSQL backends all map the same shared buffers and binary, so summing
 * their RSS would count those pages once per backend: they are summed as anonymous memory.
 */
export function memoryBySeries(processes: readonly ProcessMemory[]): Record<MemorySeries, number> {
  const mb = Object.fromEntries(MEMORY_SERIES.map((s) => [s, 0])) as Record<MemorySeries, number>;
  for (const p of processes) {
    const kb = p.series === 'pg_backends' ? p.anonKb : p.rssKb;
    mb[p.series] += kb / 1024;
  }
  return mb;
}

// ── Prometheus histogram ──────────────────────────────────────────────────────────────────────

/** Cumulative bucket counts of a histogram: per series (labels without `le`), per upper bound. */
export type HistogramBuckets = Map<string, Map<number, number>>;

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The `<name>_bucket` lines of Prometheus exposition text. */
export function parseHistogram(text: string, name: string): HistogramBuckets {
  const series: HistogramBuckets = new Map();
  for (const line of text.split('\n')) {
    const match = SAMPLE_LINE.exec(line);
    if (!match || match[1] !== `${name}_bucket`) continue;
    let le: number | null = null;
    const rest: string[] = [];
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      if (key === 'le') le = value === '+Inf' ? Infinity : Number(value);
      else rest.push(`${key}=${value}`);
    }
    const count = Number(match[3]);
    if (le === null || Number.isNaN(le) || !Number.isFinite(count)) continue;
    const key = rest.sort().join(',');
    const buckets = series.get(key) ?? new Map<number, number>();
    buckets.set(le, count);
    series.set(key, buckets);
  }
  return series;
}

/**
 * Observations between two scrapes, summed over series: cumulative count per bound. A series
 * whose +Inf count went down was reset (its process restarted) and counts from zero; a series
 * seen for the first time counts whole.
 */
export function histogramDelta(before: HistogramBuckets, after: HistogramBuckets) {
  const total = new Map<number, number>();
  for (const [key, buckets] of after) {
    const previous = before.get(key);
    const reset =
      previous !== undefined && (buckets.get(Infinity) ?? 0) < (previous.get(Infinity) ?? 0);
    for (const [le, count] of buckets) {
      const base = previous && !reset ? (previous.get(le) ?? 0) : 0;
      total.set(le, (total.get(le) ?? 0) + Math.max(0, count - base));
    }
  }
  return total;
}

/**
 * The q-quantile of cumulative bucket counts, interpolated linearly inside its bucket as
 * PromQL's histogram_quantile does (from 0 for the first bucket; the largest finite bound
 * when it falls in +Inf). Null when nothing was observed.
 */
export function quantileFromBuckets(buckets: Map<number, number>, q: number): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? (bounds.length ? buckets.get(bounds.at(-1)!)! : 0);
  if (!total) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const le of bounds) {
    const count = buckets.get(le)!;
    if (count >= rank) {
      if (!Number.isFinite(le)) return lowerBound;
      if (count === lowerCount) return le;
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

// ── Trends ────────────────────────────────────────────────────────────────────────────────────

/**
 * Least-squares line through the points, the standard deviation of the residuals, and the
 * standard error of the slope (residual SD over the spread of x).
 */
export function linearFit(xs: readonly number[], ys: readonly number[]) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (ys[i]! - intercept - slope * xs[i]!) ** 2;
  const residualSd = n > 2 ? Math.sqrt(ss / (n - 2)) : 0;
  return {
    slope,
    intercept,
    mean: my,
    residualSd,
    slopeError: sxx === 0 ? Infinity : residualSd / Math.sqrt(sxx),
  };
}

/** The size of a rise that still counts as flat: the larger bound applies. */
export interface FlatRule {
  /** In the series' unit (MB, seconds). */
  absolute: number;
  /** Share of the series' mean over the fitted samples. */
  relative: number;
}

/** RSS: a rise under 20 MB or under 10 % of the mean. */
export const MEMORY_RULE: FlatRule = { absolute: 20, relative: 0.1 };
/** Event lag: a rise under 2 s (two flush intervals) or under 10 % of the mean. */
export const LAG_RULE: FlatRule = { absolute: 2, relative: 0.1 };

export interface Trend {
  /** Samples fitted: those of the second half of the run (after warm-up). */
  n: number;
  mean: number;
  /** Unit per hour. */
  slopePerHour: number;
  /** The fitted slope times the whole run's length. */
  rise: number;
  /** Twice the rise's standard error: how far the scatter alone (GC, bursts) moves it. */
  noise: number;
  /** max(absolute, relative × mean, noise): the largest rise still called flat. */
  threshold: number;
  verdict: 'flat' | 'rising' | 'falling';
}

/**
 * The trend of a series over the second half of a run of `runMs`: least squares over the
 * samples taken at or after runMs / 2, extrapolated to the whole run. Flat when the rise it
 * predicts is within the rule's bounds or within twice its own standard error (a sawtooth of
 * garbage collections fits a slope that means nothing); null with fewer than 3 samples.
 */
export function trendOf(
  points: readonly { elapsedMs: number; value: number | null }[],
  runMs: number,
  rule: FlatRule,
): Trend | null {
  const half = points.filter(
    (p): p is { elapsedMs: number; value: number } =>
      p.elapsedMs >= runMs / 2 && p.value !== null && Number.isFinite(p.value),
  );
  if (half.length < 3) return null;
  const fit = linearFit(
    half.map((p) => p.elapsedMs / 3_600_000),
    half.map((p) => p.value),
  );
  const hours = runMs / 3_600_000;
  const rise = fit.slope * hours;
  const noise = 2 * fit.slopeError * hours;
  const threshold = Math.max(rule.absolute, rule.relative * Math.abs(fit.mean), noise);
  const verdict = rise > threshold ? 'rising' : rise < -threshold ? 'falling' : 'flat';
  return {
    n: half.length,
    mean: fit.mean,
    slopePerHour: fit.slope,
    rise,
    noise,
    threshold,
    verdict,
  };
}

// ── Accounting ────────────────────────────────────────────────────────────────────────────────

export interface PartitionCounts {
  source: string;
  partition: number;
  received: number;
  folded: number;
  quarantined: number;
  nextOffset: number;
}

export interface AccountingInput {
  /** source_partitions after the product stopped. */
  partitions: readonly PartitionCounts[];
  /** source_partitions read just before the stop, after the last ingest request was answered. */
  beforeStop: readonly PartitionCounts[];
  /** Rows of the quarantine table by source and reason. */
  quarantineRows: readonly { source: string; reason: string; count: number }[];
  /** Events counted by the rollups' total rows (dim '*', measure ''), and by the leaf cube. */
  rollupEvents: number;
  leafEvents: number;
  /** What POST /api/ingest answered it took: records, of which valid, and invalid by reason. */
  http: {
    source: string;
    records: number;
    valid: number;
    invalidByReason: Readonly<Record<string, number>>;
    /** Requests whose fate is unknown (no answer): the HTTP comparison is then not exact. */
    unanswered: number;
  };
  simulatorSource: string;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const n = (x: number) => x.toLocaleString('en-US');
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Every accounting check of the report; all must hold for "nothing lost". */
export function accountingChecks(input: AccountingInput): Check[] {
  const checks: Check[] = [];
  for (const p of input.partitions) {
    checks.push({
      name: `${p.source}/${p.partition}: received = folded + quarantined`,
      ok: p.received === p.folded + p.quarantined,
      detail: `${n(p.received)} = ${n(p.folded)} + ${n(p.quarantined)}`,
    });
  }
  const folded = sum(input.partitions.map((p) => p.folded));
  checks.push({
    name: 'rollup totals = events folded (all sources)',
    ok: input.rollupEvents === folded,
    detail: `${n(input.rollupEvents)} counted by the rollups, ${n(folded)} folded`,
  });
  checks.push({
    name: 'leaf cube totals = events folded (all sources)',
    ok: input.leafEvents === folded,
    detail: `${n(input.leafEvents)} counted by the leaf cube, ${n(folded)} folded`,
  });
  for (const source of new Set(input.partitions.map((p) => p.source))) {
    const counted = sum(
      input.partitions.filter((p) => p.source === source).map((p) => p.quarantined),
    );
    const rows = sum(input.quarantineRows.filter((r) => r.source === source).map((r) => r.count));
    checks.push({
      name: `${source}: quarantine rows = quarantined`,
      ok: rows === counted,
      detail: `${n(rows)} rows, ${n(counted)} counted`,
    });
  }
  for (const before of input.beforeStop) {
    const after = input.partitions.find(
      (p) => p.source === before.source && p.partition === before.partition,
    );
    checks.push({
      name: `${before.source}/${before.partition}: nothing undone by the stop`,
      ok: after !== undefined && after.received >= before.received && after.folded >= before.folded,
      detail: after
        ? `received ${n(before.received)} → ${n(after.received)}, folded ${n(before.folded)} → ${n(after.folded)}`
        : 'the partition is gone',
    });
  }
  const sim = input.partitions.find((p) => p.source === input.simulatorSource);
  if (sim) {
    checks.push({
      name: `${sim.source}: every line counted, none quarantined`,
      ok: sim.nextOffset === sim.received && sim.quarantined === 0,
      detail: `${n(sim.nextOffset)} lines read, ${n(sim.received)} received, ${n(sim.quarantined)} quarantined`,
    });
  }

  const { http } = input;
  const stored = input.partitions.filter((p) => p.source === http.source);
  const invalid = sum(Object.values(http.invalidByReason));
  const exact = http.unanswered === 0;
  const note = exact ? '' : ` (${http.unanswered} request(s) unanswered: not exact)`;
  checks.push({
    name: `${http.source}: received = records sent and answered`,
    ok: exact && sum(stored.map((p) => p.received)) === http.records,
    detail: `${n(sum(stored.map((p) => p.received)))} stored, ${n(http.records)} sent${note}`,
  });
  checks.push({
    name: `${http.source}: folded = valid events sent`,
    ok: exact && sum(stored.map((p) => p.folded)) === http.valid,
    detail: `${n(sum(stored.map((p) => p.folded)))} folded, ${n(http.valid)} valid sent${note}`,
  });
  const reasons = new Set([
    ...Object.keys(http.invalidByReason),
    ...input.quarantineRows.filter((r) => r.source === http.source).map((r) => r.reason),
  ]);
  for (const reason of [...reasons].sort()) {
    const expected = http.invalidByReason[reason] ?? 0;
    const got = sum(
      input.quarantineRows
        .filter((r) => r.source === http.source && r.reason === reason)
        .map((r) => r.count),
    );
    checks.push({
      name: `${http.source}: quarantined as ${reason} = sent`,
      ok: exact && got === expected,
      detail: `${n(got)} stored, ${n(expected)} sent${note}`,
    });
  }
  checks.push({
    name: `${http.source}: quarantined = invalid events sent`,
    ok: exact && sum(stored.map((p) => p.quarantined)) === invalid,
    detail: `${n(sum(stored.map((p) => p.quarantined)))} quarantined, ${n(invalid)} invalid sent${note}`,
  });
  return checks;
}

// ── The report ────────────────────────────────────────────────────────────────────────────────

/** One sample of the run. */
export interface SoakSample {
  /** Since the product answered /api/health. */
  elapsedMs: number;
  memoryMb: Record<MemorySeries, number>;
  /** PostgreSQL backends and auxiliary processes counted in pg_backends. */
  backends: number;
  /** Now minus the global event-time watermark; null before the first flush. */
  lagSeconds: number | null;
  /** p99 of the flushes since the previous sample; null when none was observed. */
  flushP99Ms: number | null;
  flushes: number | null;
  dbBytes: number;
  /** Totals over every source partition, as stored. */
  folded: number;
  quarantined: number;
  /** Events folded per second since the previous sample. */
  eventsPerSec: number | null;
  /** Windows waiting for the detector. */
  scoringQueue: number;
}

export interface TrendLine {
  label: string;
  unit: string;
  trend: Trend | null;
}

/** The verdicts of the report: RSS of each kind of process seen, then the event lag. */
export function soakTrends(samples: readonly SoakSample[], runMs: number): TrendLine[] {
  const series = (value: (x: SoakSample) => number | null) =>
    samples.map((x) => ({ elapsedMs: x.elapsedMs, value: value(x) }));
  return [
    ...MEMORY_SERIES.filter((s) => samples.some((x) => x.memoryMb[s] > 0)).map((s) => ({
      label: `RSS ${SERIES_LABELS[s]}`,
      unit: 'MB',
      trend: trendOf(
        series((x) => x.memoryMb[s]),
        runMs,
        MEMORY_RULE,
      ),
    })),
    {
      label: 'event lag',
      unit: 's',
      trend: trendOf(
        series((x) => x.lagSeconds),
        runMs,
        LAG_RULE,
      ),
    },
  ];
}

export interface SoakReportInput {
  command: string;
  startedAt: number;
  machine: { cores: number; cpu: string; memGiB: number; loadavg: readonly number[]; node: string };
  settings: readonly (readonly [string, string])[];
  runMs: number;
  samples: readonly SoakSample[];
  trends: readonly TrendLine[];
  checks: readonly Check[];
  /**
   * Free text, one bullet each: what the script sent, how the stop went, log findings. A note
   * starting with two spaces is nested under the one before.
   */
  notes: readonly string[];
  /** The chart's file name, relative to the report. */
  chart: string;
}

/** Elapsed time as m:ss. */
export function clock(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

const fixed = (x: number | null, digits: number) => (x === null ? '–' : x.toFixed(digits));
const mb = (bytes: number) => bytes / 2 ** 20;

/** The samples as a Markdown table. */
export function renderSampleTable(samples: readonly SoakSample[]): string {
  const memory = MEMORY_SERIES.filter((s) => samples.some((x) => x.memoryMb[s] > 0));
  const head = [
    'time',
    ...memory.map((s) => `${SERIES_LABELS[s]} MB`),
    'lag s',
    'flush p99 ms',
    'flushes',
    'DB MB',
    'folded',
    'events/s',
    'quarantined',
    'scoring queue',
  ];
  const rows = samples.map((x) => [
    clock(x.elapsedMs),
    ...memory.map((s) =>
      s === 'pg_backends'
        ? `${x.memoryMb[s].toFixed(0)} (${x.backends})`
        : x.memoryMb[s].toFixed(0),
    ),
    fixed(x.lagSeconds, 1),
    fixed(x.flushP99Ms, 0),
    x.flushes === null ? '–' : String(x.flushes),
    mb(x.dbBytes).toFixed(0),
    n(x.folded),
    x.eventsPerSec === null ? '–' : n(Math.round(x.eventsPerSec)),
    n(x.quarantined),
    String(x.scoringQueue),
  ]);
  const align = head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function renderTrends(trends: readonly TrendLine[]): string {
  const rows = trends.map(({ label, unit, trend: t }) =>
    t === null
      ? `| ${label} | – | – | – | – | too few samples |`
      : `| ${label} | ${t.mean.toFixed(1)} ${unit} | ${t.slopePerHour >= 0 ? '+' : ''}${t.slopePerHour.toFixed(1)} ${unit}/h | ${t.rise >= 0 ? '+' : ''}${t.rise.toFixed(1)} ${unit} | ${t.threshold.toFixed(1)} ${unit} | ${t.verdict === 'rising' ? '**rising**' : t.verdict} |`,
  );
  return [
    '| series | mean | slope | rise over the run | flat below | verdict |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows,
  ].join('\n');
}

/** The whole Markdown report. */
export function renderSoakReport(input: SoakReportInput): string {
  const { machine: m } = input;
  const failed = input.checks.filter((c) => !c.ok);
  const rising = input.trends.filter((t) => t.trend?.verdict === 'rising');
  const undecided = input.trends.filter((t) => t.trend === null);
  const verdict = [
    failed.length === 0
      ? `accounting exact (${input.checks.length} checks)`
      : `**accounting: ${failed.length} of ${input.checks.length} checks failed**`,
    rising.length === 0
      ? undecided.length === input.trends.length
        ? 'trends not judged (too few samples)'
        : 'memory and lag flat'
      : `**rising: ${rising.map((t) => t.label).join(', ')}**`,
  ].join('; ');
  const late = input.samples.filter((x) => x.elapsedMs >= input.runMs / 2);
  const dbGrowth =
    late.length >= 2
      ? linearFit(
          late.map((x) => x.elapsedMs / 3_600_000),
          late.map((x) => mb(x.dbBytes)),
        ).slope
      : null;
  return `# Soak

Measured by \`${input.command}\` (workers/soak.ts) on ${new Date(input.startedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC:
${m.cores} × ${m.cpu}, ${m.memGiB.toFixed(0)} GiB, Node ${m.node}; load average at start
${m.loadavg.map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 min).

**Result:** ${verdict}. Run: ${clock(input.runMs)} (m:ss) after the product answered /api/health.

## Settings

| setting | value |
| --- | --- |
${input.settings.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}

## Samples

![RSS per process and database size over the run](${input.chart})

${renderSampleTable(input.samples)}

RSS is VmRSS from /proc of every process in the product's process group, summed by kind;
PostgreSQL backends (and its auxiliary processes; their number in brackets) share their
buffers and binary, so they are summed as anonymous memory (RssAnon); the soak's own two
connections are among them. Lag is now minus the global event-time
watermark (the slowest active source partition, as the detector sees it). Flush p99 comes from
the deltas of \`pulse_flush_duration_seconds\` on /metrics between two samples (all sources,
interpolated inside its bucket). DB size is \`pg_database_size\`; folded and quarantined are
totals of \`source_partitions\`.

## Trends (second half of the run)

${renderTrends(input.trends)}

A least-squares line through the samples of the second half (after warm-up: the simulator's
back-fill and the first windows), extrapolated to the whole run. Flat when that rise is below
the largest of ${MEMORY_RULE.absolute} MB, ${MEMORY_RULE.relative * 100} % of the mean (memory; ${LAG_RULE.absolute} s and ${LAG_RULE.relative * 100} % for lag) and twice the rise's standard
error (the scatter around the line: garbage collection makes memory a sawtooth); rising when
it is above.
${dbGrowth === null ? '' : `The database grew ${dbGrowth.toFixed(0)} MB/h over the second half (rollups, leaf cube, quarantine and metric points are kept; no verdict).`}

## Accounting

| check | result | figures |
| --- | --- | --- |
${input.checks.map((c) => `| ${c.name} | ${c.ok ? 'ok' : '**FAILED**'} | ${c.detail} |`).join('\n')}

Read from PostgreSQL after the product stopped (the cluster started again on the soak's data
directory), except "nothing undone by the stop", which compares with a read taken just before.

## Notes

${input.notes.map((note) => (note.startsWith('  ') ? `  - ${note.trim()}` : `- ${note}`)).join('\n')}
`;
}

// ── The chart ─────────────────────────────────────────────────────────────────────────────────

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((s) => s * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

const esc = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Panel {
  top: number;
  height: number;
  title: string;
  lines: { label: string; color: string; values: number[] }[];
}

/** RSS per process and database size over the run: two panels, white background. */
export function renderSoakSvg(samples: readonly SoakSample[]): string {
  const width = 760;
  const left = 56;
  const right = 190;
  const plotWidth = width - left - right;
  const memory = MEMORY_SERIES.filter((s) => samples.some((x) => x.memoryMb[s] > 0));
  const panels: Panel[] = [
    {
      top: 36,
      height: 220,
      title: 'RSS per process (MB)',
      lines: memory.map((s) => ({
        label: SERIES_LABELS[s],
        color: SERIES_COLORS[s],
        values: samples.map((x) => x.memoryMb[s]),
      })),
    },
    {
      top: 310,
      height: 110,
      title: 'Database size (MB)',
      lines: [
        { label: 'pg_database_size', color: '#111827', values: samples.map((x) => mb(x.dbBytes)) },
      ],
    },
  ];
  const height = 460;
  const minutes = samples.map((x) => x.elapsedMs / 60_000);
  const xMax = Math.max(1e-9, ...minutes);
  const xTicks = niceTicks(0, xMax, 6).filter((t) => t <= xMax + 1e-9);
  const x = (m: number) => left + (m / xMax) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  for (const panel of panels) {
    const values = panel.lines.flatMap((l) => l.values);
    const yMax = Math.max(1, ...values) * 1.05;
    const yTicks = niceTicks(0, yMax, 4).filter((t) => t <= yMax);
    const bottom = panel.top + panel.height;
    const y = (v: number) => bottom - (v / yMax) * panel.height;
    parts.push(
      `<text x="${left}" y="${panel.top - 12}" font-size="13" font-weight="600" fill="#111827">${esc(panel.title)}</text>`,
    );
    for (const t of yTicks) {
      parts.push(
        `<line x1="${left}" x2="${left + plotWidth}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e7eb"/>`,
        `<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#374151">${t}</text>`,
      );
    }
    for (const t of xTicks) {
      parts.push(
        `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${panel.top}" y2="${bottom}" stroke="#f3f4f6"/>`,
        `<text x="${x(t).toFixed(1)}" y="${bottom + 14}" text-anchor="middle" fill="#374151">${t}</text>`,
      );
    }
    parts.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${bottom}" y2="${bottom}" stroke="#9ca3af"/>`,
      `<line x1="${left}" x2="${left}" y1="${panel.top}" y2="${bottom}" stroke="#9ca3af"/>`,
    );
    panel.lines.forEach((line, i) => {
      const points = line.values.map((v, j) => `${x(minutes[j]!).toFixed(1)},${y(v).toFixed(1)}`);
      parts.push(
        `<polyline fill="none" stroke="${line.color}" stroke-width="1.8" points="${points.join(' ')}"/>`,
      );
      if (points.length === 1) {
        const [px, py] = points[0]!.split(',');
        parts.push(`<circle cx="${px}" cy="${py}" r="2.5" fill="${line.color}"/>`);
      }
      const ly = panel.top + 8 + i * 18;
      const last = line.values.at(-1);
      parts.push(
        `<line x1="${left + plotWidth + 14}" x2="${left + plotWidth + 32}" y1="${ly}" y2="${ly}" stroke="${line.color}" stroke-width="3"/>`,
        `<text x="${left + plotWidth + 38}" y="${ly + 4}" fill="#111827">${esc(line.label)}${last === undefined ? '' : ` ${last.toFixed(0)}`}</text>`,
      );
    });
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${height - 8}" text-anchor="middle" fill="#374151">minutes since the product was up</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}

/**
 * The pure part of `npm run soak` (workers/bench/soak.ts does the I/O): naming the product's
 * processes and summing their memory, the samples and their trend verdicts, the accounting
 * checks, and the Markdown report. The figures behind the verdicts are in soak-trend.ts, the
 * chart in soak-chart.ts.
 */
import { LAG_RULE, linearFit, MEMORY_RULE, trendOf, type Trend } from './soak-trend';

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

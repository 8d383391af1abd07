/**
 * The History section of docs/benchmarks.md, written from a `npm run bench -- --history` run
 * (workers/bench/history.ts measures; this module only renders), and the helpers that find and
 * replace that section in the document.
 */
import { parseConfig } from '@/lib/config/schema';
import { DAY_MS } from '@/lib/retention/policy';
import { RATE, SEED, type BaselinePlan, type HistoryResult, type SizeReport } from './history';

/** Read paths must stay within this factor of the smallest history. */
export const TARGET_RATIO = 1.5;

export const HISTORY_HEADING = '## History: flat cost as history grows';

/** The History section of a benchmarks document (heading to the next `## `), or null. */
export function historySectionOf(doc: string): string | null {
  const start = doc.search(/^## History\b/m);
  if (start < 0) return null;
  const next = doc.slice(start + 1).search(/^## /m);
  return doc.slice(start, next < 0 ? undefined : start + 1 + next).trimEnd();
}

/** `doc` with its History section replaced by `section` (appended when it has none). */
export function withHistorySection(doc: string, section: string): string {
  const old = historySectionOf(doc);
  if (old === null) return `${doc.trimEnd()}\n\n${section.trim()}\n`;
  return doc.replace(old, section.trim());
}

const num = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? num(n) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const gib = (bytes: number) =>
  bytes >= 2 ** 30
    ? `${(bytes / 2 ** 30).toFixed(2)} GiB`
    : bytes >= 10 * 2 ** 20
      ? `${(bytes / 2 ** 20).toFixed(0)} MiB`
      : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const dayLabel = (d: number) => `${d} day${d === 1 ? '' : 's'}`;

function pathTable(r: HistoryResult, state: 'before' | 'after'): string {
  const head = `| path | ${r.days.map(dayLabel).join(' | ')} | ratio | ≤ ${TARGET_RATIO}× |`;
  const rule = `| --- | ${r.days.map(() => '---:').join(' | ')} | ---: | --- |`;
  const rows = r.paths.map((p) => {
    const t = p[state];
    const ratio = t.at(-1)! / t[0]!;
    return `| ${p.path} | ${t.map((x) => `${ms(x)} ms`).join(' | ')} | ${ratio.toFixed(2)}× | ${ratio <= TARGET_RATIO ? 'met' : '**not met**'} |`;
  });
  return [head, rule, ...rows].join('\n');
}

function sizeTable(r: HistoryResult): string {
  const last = r.days.length - 1;
  const span = r.days[last]! - r.days[0]!;
  const bytesOf = (s: SizeReport, table: string) =>
    s.tables.find((t) => t.table === table)?.bytes ?? 0;
  const tables = ['rollups', 'leaf_rollups', 'metric_points', 'anomalies'];
  const head = `| table | ${r.days.map(dayLabel).join(' | ')} | ${dayLabel(r.days[last]!)} after the retention pass | per day of history |`;
  const rule = `| --- | ${r.days.map(() => '---:').join(' | ')} | ---: | ---: |`;
  const row = (name: string, pick: (s: SizeReport) => number, perDay = true) =>
    `| ${name} | ${r.sizesBefore.map((s) => gib(pick(s))).join(' | ')} | ${gib(pick(r.sizesAfter[last]!))} | ${perDay ? gib((pick(r.sizesBefore[last]!) - pick(r.sizesBefore[0]!)) / span) : '—'} |`;
  return [
    head,
    rule,
    ...tables.map((t) => row(`\`${t}\``, (s) => bytesOf(s, t))),
    row('**database** (`pg_database_size`)', (s) => s.databaseBytes),
    row('cluster directory on disk (WAL included)', (s) => s.diskBytes, false),
  ].join('\n');
}

/** `ms` as whole hours or minutes: "1 hour", "90 minutes". */
const duration = (t: number) =>
  t % 3_600_000 === 0
    ? `${t / 3_600_000} hour${t === 3_600_000 ? '' : 's'}`
    : `${Math.round(t / 60_000)} minutes`;

/** "1", "1 and 2", "1, 2 and 3": the distinct values, smallest first. */
const distinct = (xs: number[]) => {
  const d = [...new Set(xs)].sort((a, b) => a - b).map(String);
  return d.length === 1 ? d[0]! : `${d.slice(0, -1).join(', ')} and ${d.at(-1)!}`;
};

/**
 * Every read path is bounded in time; the evidence for the two reads that look back a number of
 * points (db/queries/points.ts `latestBefore`): EXPLAIN ANALYZE of its bounded statement, which
 * answers when the windows before were all scored, and of its unbounded fallback after a gap,
 * with what the fallback comes to at the default retention of points.
 */
function growth(r: HistoryResult): string {
  const last = r.days.length - 1;
  const [first, final] = [r.baseline[0]!, r.baseline[last]!];
  const { count, spanMs, metric, metrics } = final;
  const cost = (p: BaselinePlan) => p.planningMs + p.executionMs;
  const [a, b] = [first.unbounded, final.unbounded];
  const perPartition = (cost(b) - cost(a)) / Math.max(1, b.partitions - a.partitions);
  // Days of points kept (90) and today, plus the default partition.
  const pointDays = Math.round(parseConfig({}).retention.pointsMs / DAY_MS);
  const at90 = pointDays + 2;
  const projected = cost(b) + perPartition * (at90 - b.partitions);
  const over = r.paths.filter((p) => p.after[last]! / p.after[0]! > TARGET_RATIO);
  const short = r.baseline
    .map((x, i) => ({ x, days: r.days[i]! }))
    .filter(({ x }) => x.bounded.rows < count);
  const plans = (['bounded', 'unbounded'] as const).flatMap((kind) =>
    r.baseline.map(
      (x, i) =>
        `| ${kind === 'bounded' ? `bounded (\`window_start >=\` ${count} windows before)` : 'fallback (no lower bound)'} | ${dayLabel(r.days[i]!)} | ${x[kind].partitions} | ${ms(x[kind].planningMs)} ms | ${ms(x[kind].executionMs)} ms | ${x[kind].rows} |`,
    ),
  );
  const boundedCost = r.baseline.map((x) => `${ms(cost(x.bounded))} ms`);
  return `Every read path above is bounded in time, and PostgreSQL prunes it to the day partitions it
reads, at planning (drizzle sends unnamed statements, planned with their values). That holds too
for the two reads that look back a number of points rather than over a range: the detector's
baseline (db/queries/points.ts \`baselineHistory\`: a metric's latest ${count} points before the window,
once per metric and window) and the rule preview's points before its range (\`previewPoints\`,
once per preview). Both go through \`latestBefore\`, which first reads with a lower bound —
\`window_start >=\` the window minus ${count} × the metric's window (${duration(count * spanMs)} for \`${metric}\`) — and
only when that returns fewer than ${count} points, that is when one of those windows was not scored,
reads again without it. EXPLAIN ANALYZE of both statements of the baseline read of \`${metric}\`,
before the next window the detector scores (every window before it scored), median of ${r.runs}:

| statement | history | \`metric_points\` partitions visited | planning | execution | rows |
| --- | --- | ---: | ---: | ---: | ---: |
${plans.join('\n')}

When the windows before were all scored — the normal case — the bounded statement is the read:
it visits the last day partitions only (${distinct(r.baseline.map((x) => x.bounded.partitions))} here; two when the bound and the window lie on either side of midnight UTC),
${boundedCost.join(' and ')} of planning and execution at ${r.days.map(dayLabel).join(' and ')} of history.${
    short.length === 0
      ? ''
      : ` It returned fewer than ${count} points at ${short.map((s) => dayLabel(s.days)).join(' and ')} (an unscored window in its range, or history shorter than it), so \`latestBefore\` fell back there.`
  }

Only after a gap in scoring does the fallback run: while one of the last ${count} windows before the
window read is unscored (for ${count} windows after a gap: ${duration(count * spanMs)} at \`${metric}\`'s window), it visits
every day partition of \`metric_points\` (a Merge Append of one index probe per partition), and
its planning and execution grow with them${
    b.partitions > a.partitions
      ? `: about ${(perPartition * 1000).toFixed(0)} µs per partition and read. At the default
retention of points (${pointDays} days: ${at90} partitions visited) the fallback would come to about ${ms(projected)} ms per read,
${ms(projected * metrics)} ms per window for the ${metrics} metrics — the cost of a gap, not of every window.`
      : `. Both history sizes had ${b.partitions} partitions here (they lie in the same days), so this run
gives no cost per partition: sizes a day or more apart do.`
  }
${
  over.length === 0
    ? ''
    : `\nOver ${TARGET_RATIO}× after the retention pass: ${over.map((p) => p.path).join('; ')}.\n`
}`;
}

/** The History section of docs/benchmarks.md. */
export function historySection(r: HistoryResult): string {
  const last = r.days.length - 1;
  const [small, large] = [r.days[0]!, r.days[last]!];
  const cores = r.cpus;
  const busy =
    r.load[0]! >= cores
      ? ' — high: other work shared the cores, so absolute figures are pessimistic (the ratios compare runs made side by side)'
      : r.load[0]! >= cores / 2
        ? ' — moderate: other work used part of the cores'
        : '';
  const over = r.paths.filter((p) =>
    (['before', 'after'] as const).some((s) => p[s][last]! / p[s][0]! > TARGET_RATIO),
  );
  const sizeOf = (s: SizeReport, t: string) => s.tables.find((x) => x.table === t)?.bytes ?? 0;
  const span = large - small;
  const perDay = (t: string) =>
    (sizeOf(r.sizesBefore[last]!, t) - sizeOf(r.sizesBefore[0]!, t)) / span;
  const config = parseConfig({});
  const days = (retention: number) => Math.round(retention / DAY_MS);
  const [leafDays, pointDays] = [
    days(config.retention.leafCubeMs),
    days(config.retention.pointsMs),
  ];
  // A partition goes once all of it is past retention: a day more at most.
  const steady =
    perDay('leaf_rollups') * (leafDays + 1) +
    (perDay('rollups') + perDay('metric_points')) * (pointDays + 1);
  const { incidentDurationMs, incidentGapMs } = config.simulator;
  const dropped = r.retentionFirst[last]!;
  const leafDay = perDay('leaf_rollups');
  const loads = r.loads
    .map(
      (l) =>
        `| ${dayLabel(l.days)} | ${num(l.rows.leaves)} | ${num(l.rows.rollups)} | ${num(l.rows.points)} | ${num(l.rows.anomalies)} | ${l.partitions} | ${num(l.defaultPartitionRows)} | ${num(l.writeSeconds + l.scoreSeconds)} + ${num(l.copySeconds)} + ${num(l.vacuumSeconds)} s |`,
    )
    .join('\n');
  return `${HISTORY_HEADING}

Measured by \`npm run bench -- --history\` (workers/bench/history.ts) on ${r.date}, in a run of
its own (${num(r.seconds / 60)} minutes): ${cores} cores, load average at start
${r.load.map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 min)${busy}. Each history size has its
own embedded PostgreSQL (data directory \`.data/bench-history-<n>d\`, its own port); every figure
is the median of ${r.runs} runs after a warm-up, the runs alternating between the databases, so
the ratios compare figures taken side by side in the same run. The detector's figure is the median
over ${r.detectorWindows} windows, each scored by one \`tick()\` of the real detector.

**How the history is made.** Folding ${dayLabel(large)} of events (${num(large * 86_400 * RATE)}) is out of reach here, so the
history is made of rows. The simulator (seed ${SEED}, its default incidents: one every ${(incidentDurationMs + incidentGapMs) / 60_000}
minutes, ${incidentDurationMs / 60_000} minutes long) runs for a 30-window warm-up, a ${r.templateWindows}-window template and
${2 * r.detectorWindows} live windows at the end, at ${num(r.simulated.templateRate)} events/s over the template (the daily shape's
mean is 1, so this is a day at 1,000 events/s): ${num(r.simulated.leavesPerWindow)} leaf-cube rows and
${num(r.simulated.rollupsPerWindow)} rollup rows per one-minute window. Its events are folded by the
\`RollupAccumulator\` and written with the stream's upserts; the real detector scores the warm-up
and the template (points, anomalies, explanations). Then the template — rollups, leaf cube,
points, anomalies (the points linked to the copies), injections — is copied back in SQL,
shifted by whole templates, to the history's start. The day partitions are made beforehand by
\`ensurePartitions\` itself (called with now = the history's start and enough days ahead), so
every row lands in its day partition (rows left in the default partitions: below). Last,
VACUUM (ANALYZE) and a checkpoint, as autovacuum would long have done. The live windows stay
unscored until the detector is timed on them. What the copy leaves out: the traffic of every
hour is the template's (the daily shape is flat and the incidents recur at the same minutes),
so the history is as large as real traffic makes it and shaped alike, not a record of it.

| history | leaf rows | rollup rows | points | anomalies | day partitions | rows in default partitions | load: simulate + score, copy, vacuum |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${loads}

### Read paths, after the retention pass (the steady state)

The retention pass (leaf cube kept ${leafDays} days, rollups and points ${pointDays}) leaves ${dayLabel(large)} of rollups and
points and at most ${leafDays + 1} days of leaf cube: what a database with ${dayLabel(large)} of history holds while
the maintenance loop runs. Target: ${dayLabel(large)} within ${TARGET_RATIO}× of ${dayLabel(small)} for every read path —
${over.length === 0 ? 'met by every path, before the retention pass and after it' : `not met by ${over.length} (see below)`}.

${pathTable(r, 'after')}

Each read path calls the query function its route calls (\`app/api/board\`,
\`app/api/anomalies/[id]\`, \`app/api/metrics/[key]/preview\` with \`hours: 24\`,
\`app/api/metrics/preview\` with a draft filtered on \`feature=search\` and \`device=android\`),
with the history's end as now; the drill-down opens the template's latest anomaly.

### Read paths before the retention pass (all ${dayLabel(large)} of leaf cube)

${pathTable(r, 'before')}

### What grows with history

${growth(r)}

### The retention pass

| pass | ${r.days.map(dayLabel).join(' | ')} |
| --- | ${r.days.map(() => '---:').join(' | ')} |
| first pass (day partitions dropped) | ${r.retentionFirst.map((x) => `${ms(x.ms)} ms (${x.dropped})`).join(' | ')} |
| a pass with nothing to drop (every 10 minutes) | ${r.retentionSteady.map((x) => `${ms(x)} ms`).join(' | ')} |

A pass drops whole day partitions and deletes only the default partitions' expired rows: with
nothing to drop it costs the same at both sizes. The first pass on ${dayLabel(large)} dropped ${dropped.dropped} day
partitions${dropped.dropped > 0 ? ` of the leaf cube (${gib(leafDay)} each): ${ms(dropped.ms / dropped.dropped)} ms per partition; in the steady state a pass drops one a day` : ''}.

### Database size at 1,000 events/s

${sizeTable(r)}

Per day of history: the difference between the ${dayLabel(large)} and ${dayLabel(small)} databases before the retention
pass, over ${span} days. With the default retention a database holds at most ${leafDays + 1} days of leaf cube and ${pointDays + 1} of
rollups and points: about ${gib(steady)} at 1,000 events/s, whatever its age.
`;
}

/**
 * `npm run bench`: measures the hot path and writes docs/benchmarks.md. Figures are ratios
 * against a baseline measured in the same run, never timed assertions.
 *
 * 1. Hot path (parse + validate + fold) on ~300-byte events with 5 dimensions and 2 measures,
 *    with and without the leaf cube, against a naive baseline: the same parse and validation,
 *    folded (marginals only) into a string-keyed Map with a fresh object per cell update.
 * 2. Rollup and leaf rows per flush at 10k, 100k and 1M events/s: rows must follow
 *    cardinality, not rate.
 * 3. Unless `--no-kafka`: one worker process from Kafka (librdkafka's mock cluster) to an
 *    embedded PostgreSQL with exactly-once flushes (workers/bench/kafka.ts).
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { Pipeline } from '@/lib/stream/pipeline';
import { parseEventLine } from '@/lib/ingest/events';
import { naiveFold } from '@/lib/stream/rollup';
import { Simulator } from '@/lib/simulator/generator';
import { DIMENSIONS } from '@/lib/simulator/model';
import type { PulseEvent } from '@/lib/types';
import { benchKafka, type KafkaBenchResult } from '@/workers/bench/kafka';

const WINDOW_MS = 60_000;
/** Combinations of the simulator's dimension values: the leaf cube's size per type and window. */
const SIM_LEAVES = DIMENSIONS.reduce((n, d) => n * d.values.length, 1);

function makeLines(count: number, seed: number, now: number): string[] {
  const sim = new Simulator({ seed, ratePerSec: count / 60, injections: [] });
  const events = sim.generate(now - 60_000, now);
  // Two measures on every event, as the benchmark's event shape asks.
  // RFC 3339 timestamps and UUID-sized ids, as producers commonly send them.
  return events.map((e, i) =>
    JSON.stringify({
      ...e,
      ts: new Date(e.ts).toISOString(),
      id: `${seed.toString(16).padStart(8, '0')}-${i.toString(16).padStart(12, '0')}-4000-8000-${(i * 7919).toString(16).padStart(12, '0')}`,
      measures: { latency_ms: e.measures.latency_ms ?? 80 + (i % 97), bytes: 512 + (i % 4096) },
    }),
  );
}

function hotPath(lines: string[], now: number, leafCube: boolean): number {
  const pipeline = new Pipeline({
    source: 'bench',
    partition: 0,
    windowMs: WINDOW_MS,
    outOfOrderMs: 120_000,
    allowedLatenessMs: 0,
    maxValuesPerDim: 200,
    leafCube,
  });
  const started = performance.now();
  for (const line of lines) pipeline.ingestLine(line, now);
  const drained = pipeline.drain();
  const cells = drained.deltas.length + drained.leaves.length;
  const seconds = (performance.now() - started) / 1000;
  if (cells === 0) throw new Error('nothing folded');
  return lines.length / seconds;
}

function naivePath(lines: string[], now: number): number {
  const started = performance.now();
  const events: PulseEvent[] = [];
  for (const line of lines) {
    const parsed = parseEventLine(line, now, 'bench');
    if (parsed.ok) events.push(parsed.event);
  }
  const cells = naiveFold(events, WINDOW_MS).length;
  const seconds = (performance.now() - started) / 1000;
  if (cells === 0) throw new Error('nothing folded');
  return lines.length / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Rows one flush writes when a second of traffic at `rate` events/s is folded. */
function rowsPerFlush(rate: number, now: number): { events: number; rows: number; leaves: number } {
  const sim = new Simulator({ seed: 7, ratePerSec: rate, injections: [] });
  const pipeline = new Pipeline({
    source: 'bench',
    partition: 0,
    windowMs: WINDOW_MS,
    outOfOrderMs: 5_000,
    allowedLatenessMs: 0,
    maxValuesPerDim: 200,
  });
  const from = Math.floor((now - 30_000) / WINDOW_MS) * WINDOW_MS + 10_000;
  const events = sim.generate(from, from + 1000);
  for (const event of events) pipeline.ingestLine(JSON.stringify(event), now);
  const drained = pipeline.drain();
  return { events: events.length, rows: drained.deltas.length, leaves: drained.leaves.length };
}

async function main(): Promise<void> {
  const load = loadavg();
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '300000' },
      runs: { type: 'string', default: '5' },
      out: { type: 'string', default: 'docs/benchmarks.md' },
      'no-kafka': { type: 'boolean', default: false },
      'kafka-events': { type: 'string', default: '400000' },
      'kafka-live-seconds': { type: 'string', default: '10' },
    },
  });
  const count = Number(values.events);
  const runs = Number(values.runs);
  if (!Number.isInteger(count) || count < 1000) throw new Error('--events: an integer ≥ 1000');
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs: an integer ≥ 1');

  const now = Date.now();
  const lines = makeLines(count, 1, now);
  const avgBytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0) / lines.length;
  console.log(`${lines.length} events, ${avgBytes.toFixed(0)} bytes on average`);

  // Warm up every path so the JIT has compiled them, then alternate runs.
  hotPath(lines.slice(0, 20_000), now, true);
  hotPath(lines.slice(0, 20_000), now, false);
  naivePath(lines.slice(0, 20_000), now);
  const fast: number[] = [];
  const marginal: number[] = [];
  const naive: number[] = [];
  for (let i = 0; i < runs; i++) {
    fast.push(hotPath(lines, now, true));
    marginal.push(hotPath(lines, now, false));
    naive.push(naivePath(lines, now));
    console.log(
      `run ${i + 1}: hot path ${Math.round(fast[i]!)} ev/s (without leaf cube ${Math.round(marginal[i]!)}), naive ${Math.round(naive[i]!)} ev/s`,
    );
  }
  const hot = median(fast);
  const hotMarginal = median(marginal);
  const base = median(naive);
  // Best runs: the least disturbed by other work on a shared machine.
  const best = (xs: number[]) => Math.round(Math.max(...xs)).toLocaleString('en-US');

  const low = rowsPerFlush(10_000, now);
  const high = rowsPerFlush(100_000, now);
  const highest = rowsPerFlush(1_000_000, now);

  let kafka: KafkaBenchResult | null = null;
  if (!values['no-kafka']) {
    const seconds = Number(values['kafka-live-seconds']);
    kafka = await benchKafka({
      events: Number(values['kafka-events']),
      lagSeconds: seconds,
      rowSeconds: seconds,
    });
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const report = `# Benchmarks

Measured by \`npm run bench\` (workers/bench.ts) on ${new Date(now).toISOString().slice(0, 10)}:
${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.
Figures are medians of ${runs} runs; ratios compare with a baseline measured in the same run.
Load average at start: ${load.map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 min, ${cpus().length} cores)${load[0]! >= cpus().length ? ' — high: other work shared the cores, so absolute figures are pessimistic' : load[0]! >= cpus().length / 2 ? ' — moderate: other work used part of the cores, so absolute figures may be pessimistic' : ''}.

## Hot path: parse + validate + fold (one core)

${lines.length.toLocaleString('en-US')} simulator events, ${avgBytes.toFixed(0)} bytes each on average,
5 dimensions and 2 measures, one-minute windows.

| path | events/s (median) | best run |
| --- | ---: | ---: |
| Pulse with leaf cube (interned slots and leaves, typed arrays; the default) | ${Math.round(hot).toLocaleString('en-US')} | ${best(fast)} |
| Pulse without leaf cube (marginal rollups only) | ${Math.round(hotMarginal).toLocaleString('en-US')} | ${best(marginal)} |
| naive baseline (string-keyed Map, object per update; marginals only) | ${Math.round(base).toLocaleString('en-US')} | ${best(naive)} |
| **ratio** (with leaf cube / naive) | **${(hot / base).toFixed(2)}×** | |

Target: ≥ 400,000 events/s on one core with the leaf cube — ${hot >= 400_000 ? 'met' : 'not met'}. The leaf
cube costs ${((1 - hot / hotMarginal) * 100).toFixed(0)} % of the median throughput (${((1 - Math.max(...fast) / Math.max(...marginal)) * 100).toFixed(0)} % between the best runs): an event's leaf id is a hash of its interned
slice ids computed while the dimensions are interned (one probe of a typed-array table, verified,
no strings), and its leaf cells sit side by side in one typed array. Valid events take a
hand-written fast path (lib/ingest/events.ts) and only doubtful ones go through zod, which words the
rejection; the baseline shares that parser, so the ratio isolates the fold. What bounds the hot
path now is JSON.parse (about half of the time per event).

## Rollup rows per flush follow cardinality, not event rate

One second of traffic folded and drained, as one flush writes it:

| event rate | events folded | rollup rows written | leaf rows written |
| ---: | ---: | ---: | ---: |
| 10,000/s | ${low.events.toLocaleString('en-US')} | ${low.rows.toLocaleString('en-US')} | ${low.leaves.toLocaleString('en-US')} |
| 100,000/s | ${high.events.toLocaleString('en-US')} | ${high.rows.toLocaleString('en-US')} | ${high.leaves.toLocaleString('en-US')} |
| 1,000,000/s | ${highest.events.toLocaleString('en-US')} | ${highest.rows.toLocaleString('en-US')} | ${highest.leaves.toLocaleString('en-US')} |

Ten times the events write ${(high.rows / low.rows).toFixed(2)}× the rollup rows and
${(high.leaves / low.leaves).toFixed(2)}× the leaf rows: every (window, type, dimension, value, measure)
cell and every (window, type, leaf, measure) cell is one row whatever its count. Leaf rows follow
the number of distinct leaves a flush sees: at low rates a second does not visit every
combination of dimension values (the simulator has ${SIM_LEAVES.toLocaleString('en-US')} per event type, most of them rare), so
they rise with the rate until they reach the cube's cardinality and stay there — a hundred
times the events write ${(highest.leaves / low.leaves).toFixed(2)}× the leaf rows.

${kafka ? kafkaSection(kafka) : kafkaSkipped}
`;
  // Formatted as `npm run lint` (prettier --check .) expects.
  const prettierOptions = (await resolveConfig(values.out!)) ?? {};
  writeFileSync(values.out!, await format(report, { ...prettierOptions, parser: 'markdown' }));
  console.log(
    `hot path ${Math.round(hot)} ev/s vs naive ${Math.round(base)} ev/s (${(hot / base).toFixed(2)}×)`,
  );
  console.log(
    `hot path without leaf cube ${Math.round(hotMarginal)} ev/s (leaf cube costs ${((1 - hot / hotMarginal) * 100).toFixed(0)} %); best runs ${best(fast)} with, ${best(marginal)} without`,
  );
  console.log(
    `rows per flush: ${low.rows} + ${low.leaves} leaves at 10k/s, ${high.rows} + ${high.leaves} at 100k/s, ${highest.rows} + ${highest.leaves} at 1M/s → ${values.out}`,
  );
}

const kafkaSkipped = `## One worker from Kafka to PostgreSQL (exactly-once flushes)

Not measured in this run (\`--no-kafka\`).
`;

const n = (x: number) => Math.round(x).toLocaleString('en-US');

function kafkaSection(k: KafkaBenchResult): string {
  const met = k.eventsPerSecond >= 80_000;
  const components = k.profile
    .slice(0, 8)
    .map((c) => `| ${c.component} | ${c.percent.toFixed(1)} % |`)
    .join('\n');
  const functions = k.topFunctions
    .slice(0, 6)
    .map((f) => `| \`${f.name}\` | ${f.percent.toFixed(1)} % |`)
    .join('\n');
  const top = k.profile[0];
  const rows = k.rows
    ? `
### Rollup row writes follow cardinality, not rate (live)

| target rate | produced | events | flushes | rollup row writes | row writes/s | row writes/flush |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${k.rows
  .map(
    (r) =>
      `| ${n(r.targetRate)}/s | ${n(r.producedRate)}/s | ${n(r.events)} | ${r.flushes} | ${n(r.rowWrites)} | ${n(r.rowWritesPerSecond)} | ${n(r.rowWrites / r.flushes)} |`,
  )
  .join('\n')}
${k.rows.some((r) => r.lost > 0) ? `\n${k.rows.map((r) => r.lost).join(' and ')} records were deleted by the mock cluster's retention before the worker read them (it fell more than ~5 MB per partition behind).\n` : ''}
${(k.rows[1].producedRate / k.rows[0].producedRate).toFixed(1)}× the events produced
${(k.rows[1].rowWritesPerSecond / k.rows[0].rowWritesPerSecond).toFixed(2)}× the row writes per second.
`
    : '';
  return `## One worker from Kafka to PostgreSQL (exactly-once flushes)

One \`node --import tsx workers/stream.ts\` process consumes librdkafka's mock cluster (1 broker,
${k.partitions} partitions: the mock keeps only about 5 MB per partition, so the backlog needs more than 4) into an embedded PostgreSQL (fsync on), flushing every ${k.flushIntervalMs} ms in one
fenced transaction (workers/bench/kafka.ts). ${n(k.events)} simulator events (JSON,
${k.avgBytes.toFixed(0)} bytes on average) were produced before the worker started
(${k.produceSeconds.toFixed(1)} s). Throughput is read from PostgreSQL: records whose offsets
landed between the first flush and the last (${n(k.drainedEvents)}), over that span
(${k.drainSeconds.toFixed(2)} s, by the flush transactions' times); the group join and the first flush
interval are not counted. Events per flush, in order: ${k.perFlush.map(n).join(', ')}. The span is
only ${k.perFlush.length - 1} flush interval(s), so the figure moves by several percent between runs. A larger \`--kafka-events\` backlog
(more partitions) gives a longer span.

| measure | value |
| --- | ---: |
| **sustained events/s** | **${n(k.eventsPerSecond)}** |
| flushes (drain phase) | ${k.flushes} |
| rollup row writes (inserts + updates) | ${n(k.rowWrites)} |
| row writes per flush | ${n(k.rowWritesPerFlush)} |
| worker CPU during the drain | ${k.workerCpuPercent.toFixed(0)} % of one core |
| events per worker CPU-second (its ceiling if it never waited) | ${n(k.eventsPerCpuSecond)} |
| times consumption paused (over 200,000 events awaiting a flush) | ${k.pauses} |
| machine busy during the drain (2 cores: worker, PostgreSQL, broker) | ${k.machineBusyPercent.toFixed(0)} % |
| end-to-end lag at ${n(k.lag.targetRate)}/s target (${n(k.lag.producedRate)}/s produced), p50 | ${n(k.lag.lagP50Ms)} ms |
| same, p99 (${k.lag.lagSamples} sends sampled) | ${n(k.lag.lagP99Ms)} ms |

Target: ≥ 80,000 events/s sustained — ${met ? 'met' : 'not met'}.

Lag is measured per send: the time from starting the send to the first 50 ms poll of
\`source_partitions\` that shows all its records' offsets stored. It includes the producer's
acknowledged round trip and is dominated by the ${k.flushIntervalMs} ms flush interval (a record waits
half an interval on average for the next flush, then the flush transaction).

What bounds it: ${
    k.workerCpuPercent < 80
      ? `not the worker's CPU: it was busy ${k.workerCpuPercent.toFixed(0)} % of one core during the drain
and the machine ${k.machineBusyPercent.toFixed(0)} %, so it spent the rest waiting.${
          k.pauses > 0
            ? ` Consumption paused ${k.pauses} time(s) because more than 200,000 events (maxPendingEvents) awaited the
next flush: with ${k.flushIntervalMs} ms flushes the worker reads a flush's worth, stops, and restarts fetching only after the
flush lands, so the flush cadence and fetch restarts, not parsing, set the drain rate.`
            : ' It waited on fetches and flushes (see the landing times in the console output).'
        } Busy, it
would fold about ${n(k.eventsPerCpuSecond)} events per CPU-second.`
      : `the worker's single thread (${k.workerCpuPercent.toFixed(0)} % of one core during the drain).`
  } Where its CPU went during the drain
(\`--cpu-prof\` of the worker, self time, share of non-idle samples; JSON.parse is counted
inside \`parseEventLine\`, which calls it):

| component | self time |
| --- | ---: |
${components}

| hottest functions | self time |
| --- | ---: |
${functions}
${top ? `\nLargest share: ${top.component} (${top.percent.toFixed(0)} %).` : ''}
${rows}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

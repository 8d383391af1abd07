/**
 * Where the fold's cost grows with cardinality, and that the leaf-row cap bounds it: events of
 * D dimensions with V values each (5 × 10, 8 × 50, 10 × 200; values Zipf-distributed, as real
 * dimensions are: a few common values and a long tail) folded through the Pipeline with the
 * default per-dimension value limit and leaf-row cap, drained once per flush. Reports events/s
 * (parse + validate + fold + drain, one core), rollup and leaf rows per flush, and the events
 * whose leaves the cap folded into '(other)'. The baseline is the smallest shape, measured in
 * the same run.
 */
import { Pipeline } from '@/lib/stream/pipeline';
import { DEFAULT_MAX_LEAF_ROWS } from '@/lib/stream/leaf-cap';
import { Random } from '@/lib/simulator/random';

export interface CardinalityShape {
  dims: number;
  values: number;
}

export interface CardinalityResult extends CardinalityShape {
  events: number;
  eventsPerSec: number;
  rollupRows: number;
  leafRows: number;
  leafEventsFolded: number;
  /** Leaf rows the same flush would write without the cap. */
  uncappedLeafRows: number;
  /** events/s of the same flush without the cap. */
  uncappedEventsPerSec: number;
}

export const CARDINALITY_SHAPES: readonly CardinalityShape[] = [
  { dims: 5, values: 10 },
  { dims: 8, values: 50 },
  { dims: 10, values: 200 },
];

/** Zipf(1) draw of 0..n−1 by inverting its cumulative weights. */
function zipf(n: number): (r: number) => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += 1 / (i + 1);
  return (r) => {
    const x = r * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function lines(shape: CardinalityShape, count: number, from: number, seed: number): string[] {
  const rng = new Random(seed);
  const draw = zipf(shape.values);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const dims: Record<string, string> = {};
    for (let d = 0; d < shape.dims; d++) dims[`d${d}`] = `v${draw(rng.next())}`;
    out.push(
      JSON.stringify({
        ts: from + Math.floor((i / count) * 1000),
        type: 'request',
        dims,
        measures: { latency_ms: 50 + (i % 200) },
      }),
    );
  }
  return out;
}

function fold(batch: readonly string[], now: number, maxLeafRows: number) {
  const pipeline = new Pipeline({
    source: 'bench',
    partition: 0,
    windowMs: 60_000,
    outOfOrderMs: 5_000,
    allowedLatenessMs: 0,
    maxValuesPerDim: 200,
    maxLeafRows,
  });
  const started = performance.now();
  for (const line of batch) pipeline.ingestLine(line, now);
  const drained = pipeline.drain();
  const seconds = (performance.now() - started) / 1000;
  return { drained, seconds };
}

/** One flush of `events` events per shape, best of `runs` (the least disturbed run). */
export function benchCardinality(events: number, runs: number, now: number): CardinalityResult[] {
  const from = Math.floor((now - 30_000) / 60_000) * 60_000 + 10_000;
  return CARDINALITY_SHAPES.map((shape, i) => {
    const batch = lines(shape, events, from, 1000 + i);
    fold(batch.slice(0, 10_000), now, DEFAULT_MAX_LEAF_ROWS); // warm-up
    let best = Infinity;
    let bestUncapped = Infinity;
    let last: ReturnType<typeof fold> | null = null;
    let uncapped = 0;
    // Alternated, so that both see the same disturbances.
    for (let r = 0; r < runs; r++) {
      last = fold(batch, now, DEFAULT_MAX_LEAF_ROWS);
      best = Math.min(best, last.seconds);
      const open = fold(batch, now, Number.MAX_SAFE_INTEGER);
      bestUncapped = Math.min(bestUncapped, open.seconds);
      uncapped = open.drained.leaves.length;
    }
    return {
      ...shape,
      events,
      eventsPerSec: events / best,
      rollupRows: last!.drained.deltas.length,
      leafRows: last!.drained.leaves.length,
      leafEventsFolded: last!.drained.leafEventsFolded,
      uncappedLeafRows: uncapped,
      uncappedEventsPerSec: events / bestUncapped,
    };
  });
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/** The section of docs/benchmarks.md. */
export function cardinalitySection(results: readonly CardinalityResult[]): string {
  const base = results[0]!;
  return `## Cardinality: where the cost grows, and the leaf-row cap

One flush of ${n(base.events)} events (one second at ${n(base.events)}/s) of D dimensions with V values
each, values Zipf-distributed (a few common ones, a long tail), through parse, validation, fold and
drain on one core; at most 200 values per dimension (\`PULSE_MAX_VALUES_PER_DIM\`) and at most
${n(DEFAULT_MAX_LEAF_ROWS)} leaf rows per flush (beyond it the rarest combinations fold into
"(other)", lib/stream/leaf-cap.ts). Best of the runs; the ratio compares with the first shape.

| dimensions × values | events/s | ratio | events/s without the cap | rollup rows | leaf rows (uncapped) | events folded into "(other)" |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${results
  .map(
    (r) =>
      `| ${r.dims} × ${r.values} | ${n(r.eventsPerSec)} | ${(r.eventsPerSec / base.eventsPerSec).toFixed(2)}× | ${n(r.uncappedEventsPerSec)} | ${n(r.rollupRows)} | ${n(r.leafRows)} (${n(r.uncappedLeafRows)}) | ${n(r.leafEventsFolded)} |`,
  )
  .join('\n')}

Rollup rows grow with dimensions × values (one row per value and measure), never with the event
rate. Leaf rows grow with the distinct combinations a flush sees — up to one per event once the
dimensions are many and wide — and the cap holds them at ${n(DEFAULT_MAX_LEAF_ROWS)}: what a flush writes
stays bounded whatever the cardinality, at the price of the rarest combinations' joint detail
(their events stay in every total and marginal row; the health page counts them). The fold's own
cost per event grows with the number of dimensions (each is interned and hashed), not with the
number of values.`;
}

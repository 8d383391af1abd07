/**
 * The hot path measured by `npm run bench`: parse + validate + fold through the Pipeline, with
 * and without the leaf cube, against a naive baseline (the same parse and validation folded into
 * a string-keyed Map with a fresh object per cell update), and rows per flush at a given rate.
 */
import { parseEventLine } from '@/lib/ingest/events';
import { Simulator } from '@/lib/simulator/generator';
import { DIMENSIONS } from '@/lib/simulator/model';
import { Pipeline } from '@/lib/stream/pipeline';
import { naiveFold } from '@/lib/stream/rollup-merge';
import type { PulseEvent } from '@/lib/types';

const WINDOW_MS = 60_000;
/** Combinations of the simulator's dimension values: the leaf cube's size per type and window. */
export const SIM_LEAVES = DIMENSIONS.reduce((n, d) => n * d.values.length, 1);

export function makeLines(count: number, seed: number, now: number): string[] {
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

export function hotPath(lines: string[], now: number, leafCube: boolean): number {
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

export function naivePath(lines: string[], now: number): number {
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

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Rows one flush writes when a second of traffic at `rate` events/s is folded. */
export function rowsPerFlush(
  rate: number,
  now: number,
): { events: number; rows: number; leaves: number } {
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

/**
 * A labelled corpus of plain time series for `npm run backtest`'s series model
 * (lib/detection/series-model.ts), generated deterministically from a seed. Pure.
 *
 * Shapes (what normal looks like; σ is the noise's standard deviation at that time):
 * - `exact-day`: 20 at night, 68 from 08:00 to 20:00, no noise at all (the issue's case);
 * - `steps-day`: the same shape with σ = 1.5;
 * - `traffic-day`: 100 + 60 × a smooth business-hours bump, noise 4% of the level;
 * - `heavy-day`: the traffic shape with Student-t noise (4 degrees of freedom, heavy tails);
 * - `counts-day`: Poisson counts with a daily rate from 2 (night) to 30 (day);
 * - `weekly`: the traffic shape on weekdays and a third of it at weekends, every 15 minutes;
 * - `wander`: no season, a slowly wandering level (AR(1), φ = 0.998, steps of σ 0.4, so about
 *   ±6 over days) under noise of σ 2;
 * - `irregular`: the traffic shape with timestamps jittered by up to ±90 s, 2% of points
 *   missing, 1% sent twice (a duplicate timestamp), and one 3-hour gap early on day 3.
 * Every series is 5-minute points over 14 days (the weekly one: 15-minute points over 28 days).
 *
 * Anomalies (one kind per series, 3 of them, each at least a day apart, all after the first two
 * periods, in units of σ at their start): `spike` one point of ±6–10σ; `shift` the level moves
 * by ±4–6σ for 3–8 hours; `drift` the level ramps to ±5–8σ over 3–5 hours, holds for an hour and
 * drops back; `variance` σ × 3–5 for 2–5 hours. Clean series have none. An anomaly is labelled
 * from its first point to its last.
 */
import type { ModelPoint } from '@/lib/detection/series-model';
import { mulberry32 } from '@/lib/simulator/random';

export type Shape =
  | 'exact-day'
  | 'steps-day'
  | 'traffic-day'
  | 'heavy-day'
  | 'counts-day'
  | 'weekly'
  | 'wander'
  | 'irregular';
export type AnomalyKind = 'spike' | 'shift' | 'drift' | 'variance';

export const SHAPES: readonly Shape[] = [
  'exact-day',
  'steps-day',
  'traffic-day',
  'heavy-day',
  'counts-day',
  'weekly',
  'wander',
  'irregular',
];
export const ANOMALY_KINDS: readonly AnomalyKind[] = ['spike', 'shift', 'drift', 'variance'];
/** Shapes that get anomalies of every kind (the exact pattern only tests quiet behaviour). */
const ANOMALOUS_SHAPES: readonly Shape[] = SHAPES.filter((s) => s !== 'exact-day');

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5); // a Monday

export interface Label {
  kind: AnomalyKind;
  start: number;
  /** Epoch ms of the anomaly's last point (inclusive). */
  end: number;
}

export interface CorpusSeries {
  name: string;
  shape: Shape;
  kind: AnomalyKind | null;
  points: ModelPoint[];
  labels: Label[];
  /** Start of the evaluated span: after the first two periods of the shape's season. */
  scoreFrom: number;
  stepMs: number;
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Student-t with 4 degrees of freedom, scaled to unit variance. */
function heavy(random: () => number): number {
  let chi = 0;
  for (let i = 0; i < 4; i++) chi += gaussian(random) ** 2;
  return gaussian(random) / Math.sqrt(chi / 4) / Math.SQRT2;
}

function poisson(random: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

const hourOf = (t: number) => ((t - T0) % DAY) / HOUR;
/** A smooth bump from about 07:00 to 22:00, 0 at night and 1 at its peak mid-afternoon. */
const bump = (t: number) => Math.max(0, Math.sin((Math.PI * (hourOf(t) - 7)) / 15)) ** 1.5;
const weekend = (t: number) => Math.floor((t - T0) / DAY) % 7 >= 5;

/** Normal value (without noise) and noise σ of a shape at time t, and its wandering state. */
function normal(shape: Shape, t: number, wander: number): { mean: number; sigma: number } {
  switch (shape) {
    case 'exact-day':
    case 'steps-day': {
      const h = hourOf(t);
      return { mean: h >= 8 && h < 20 ? 68 : 20, sigma: shape === 'exact-day' ? 0 : 1.5 };
    }
    case 'counts-day': {
      const lambda = 2 + 28 * bump(t);
      return { mean: lambda, sigma: Math.sqrt(lambda) };
    }
    case 'weekly': {
      const mean = (100 + 60 * bump(t)) * (weekend(t) ? 1 / 3 : 1);
      return { mean, sigma: 0.04 * mean };
    }
    case 'wander':
      return { mean: 100 + wander, sigma: 2 };
    default: {
      const mean = 100 + 60 * bump(t);
      return { mean, sigma: 0.04 * mean };
    }
  }
}

function noise(shape: Shape, random: () => number, mean: number, sigma: number): number {
  if (shape === 'counts-day') return poisson(random, mean) - mean;
  return sigma * (shape === 'heavy-day' ? heavy(random) : gaussian(random));
}

/** Plans 3 anomalies of `kind`, a day or more apart, after `from` and before `until`. */
function plan(
  kind: AnomalyKind,
  random: () => number,
  span0: { from: number; until: number; step: number; counts: boolean },
) {
  const { from, until, step, counts } = span0;
  const out: { kind: AnomalyKind; start: number; length: number; size: number; sign: number }[] =
    [];
  const span = (until - from) / 3;
  for (let i = 0; i < 3; i++) {
    const start = from + i * span + Math.floor((random() * (span - 10 * HOUR)) / step) * step;
    const r = random();
    const sign = random() < 0.5 ? -1 : 1;
    const [length, size] =
      kind === 'spike'
        ? [step, 6 + 4 * r]
        : kind === 'shift'
          ? [3 * HOUR + r * 5 * HOUR, 4 + 2 * random()]
          : kind === 'drift'
            ? [4 * HOUR + r * 2 * HOUR, 5 + 3 * random()]
            : [2 * HOUR + r * 3 * HOUR, 3 + 2 * random()];
    // Counts cannot fall below 0: their spikes and shifts go up.
    const up = kind === 'variance' || counts;
    out.push({ kind, start, length, size, sign: up ? 1 : sign });
  }
  return out;
}

/** Effect of an anomaly at t on the value (in σ) or on the noise (a factor). */
function effect(a: ReturnType<typeof plan>[number], t: number): { add: number; factor: number } {
  const into = t - a.start;
  if (into < 0 || into >= a.length) return { add: 0, factor: 1 };
  switch (a.kind) {
    case 'spike':
    case 'shift':
      return { add: a.sign * a.size, factor: 1 };
    case 'drift': {
      const ramp = a.length - HOUR;
      return { add: a.sign * a.size * Math.min(1, (into + 1) / ramp), factor: 1 };
    }
    case 'variance':
      return { add: 0, factor: a.size };
  }
}

/** One series of `shape` with anomalies of `kind` (or none), from `seed`. */
export function generateSeries(shape: Shape, kind: AnomalyKind | null, seed: number): CorpusSeries {
  const random = mulberry32(seed);
  const weekly = shape === 'weekly';
  const step = weekly ? 15 * MIN : 5 * MIN;
  const days = weekly ? 28 : 14;
  const scoreFrom = T0 + (weekly ? 14 : 2) * DAY;
  const end = T0 + days * DAY;
  const anomalies =
    kind === null
      ? []
      : plan(kind, random, {
          from: scoreFrom + 6 * HOUR,
          until: end,
          step,
          counts: shape === 'counts-day',
        });
  /** Times of the points each anomaly touched: its label (a jittered or missing point moves it). */
  const touched = anomalies.map(() => [] as number[]);
  // The gap falls after the first two days (the season is known) and before any anomaly.
  const gapAt = scoreFrom + HOUR;
  const points: ModelPoint[] = [];
  let wander = 0;
  for (let t = T0; t < end; t += step) {
    wander = 0.998 * wander + 0.4 * gaussian(random);
    const { mean, sigma } = normal(shape, t, wander);
    let add = 0;
    let factor = 1;
    const hit: number[] = [];
    anomalies.forEach((a, i) => {
      const e = effect(a, t);
      if (e.add !== 0 || e.factor !== 1) hit.push(i);
      add += e.add;
      factor *= e.factor;
    });
    // Anomaly sizes are in σ of the normal noise (at least 1 for the noiseless shape).
    const unit = Math.max(sigma, 1);
    const value = mean + add * unit + factor * noise(shape, random, mean, sigma);
    if (shape !== 'irregular') {
      points.push({ timestamp: t, value: shape === 'counts-day' ? Math.max(0, value) : value });
      for (const i of hit) touched[i]!.push(t);
      continue;
    }
    if (random() < 0.02 || (t >= gapAt && t < gapAt + 3 * HOUR)) continue;
    const timestamp = t + Math.round((random() - 0.5) * 180) * 1000;
    points.push({ timestamp, value });
    for (const i of hit) touched[i]!.push(timestamp);
    if (random() < 0.01)
      points.push({ timestamp, value: value + noise(shape, random, mean, sigma) });
  }
  return {
    name: `${shape}${kind ? `/${kind}` : '/clean'}`,
    shape,
    kind,
    points,
    labels: anomalies.flatMap((a, i) =>
      touched[i]!.length === 0
        ? [] // a spike on a dropped point never happened
        : [{ kind: a.kind, start: Math.min(...touched[i]!), end: Math.max(...touched[i]!) }],
    ),
    scoreFrom,
    stepMs: step,
  };
}

/**
 * The corpus: every shape clean, and every anomalous shape with every anomaly kind (8 clean +
 * 7 × 4 anomalous series), each from its own seed derived from `seed`. `shapes` narrows it (the
 * quick form CI runs).
 */
export function generateCorpus(seed = 1, shapes: readonly Shape[] = SHAPES): CorpusSeries[] {
  const out: CorpusSeries[] = [];
  let n = 0;
  for (const shape of shapes) {
    out.push(generateSeries(shape, null, seed * 1000 + n++));
    if (!ANOMALOUS_SHAPES.includes(shape)) continue;
    for (const kind of ANOMALY_KINDS) out.push(generateSeries(shape, kind, seed * 1000 + n++));
  }
  return out;
}

/**
 * The quality evaluation's runs: simulated traffic with injected incidents of known cause and
 * size through the real engine (Pipeline → memory store → `scoreBaseWindow`, via lib/detection/backtest
 * `Backtest`), with the default metrics and the default rule. Pure computation; the caller
 * (workers/eval.ts) times it and writes the report. Scoring of the results is lib/eval/scoring.ts.
 *
 * A stream is one family at one noise level: a warm-up, then one slot per incident — quiet lead
 * windows, the incident, recovery windows — so that the baseline is clean again (more than
 * `baselineWindows` windows) when the next incident starts. An incident is sized when it starts:
 * its change of the target metric's expected value is `magnitude` × the σ of the detector's
 * baseline at the last scored window, and its cause is drawn among the candidates of its
 * dimension count whose slice is large enough for that change. Quiet streams carry no incident
 * and measure false alerts.
 *
 * Interim results (lib/detection/interim-engine.ts): with `interimCadenceMs` set, each window's
 * events are fed in slices of that length, as flushes would land them, and after each slice
 * the open window is looked at with the data so far, as the live detector does; an interim
 * verdict opens the anomaly early, the window's final score confirms or withdraws it. Only the
 * default rule (the first variant) runs interim looks: the other variants are what-if rules of
 * the final score. Times to detect are then reported in seconds too.
 */
import { Backtest, defaultEngineMetrics, rootCauseOf } from '@/lib/detection/backtest';
import { scoreInterimWindow } from '@/lib/detection/interim-engine';
import { looksPerWindow } from '@/lib/detection/interim';
import type { EvalAnomaly, EvalIncident } from './scoring';
import {
  EVAL_CAUSES,
  EVAL_FAMILIES,
  EVAL_TARGETS,
  EvalSimulator,
  type EvalFamily,
  type EvalInjection,
  type EvalTarget,
} from '@/lib/simulator/eval-scenarios';
import { mixSeed, Random } from '@/lib/simulator/random';
import { DEFAULT_RULE, type AlertRule } from '@/lib/types';

export interface NoiseLevel {
  name: string;
  /** Events per second at a daily shape of 1 (all types, as the live simulator counts them). */
  ratePerSec: number;
  /** σ (log scale) of the per-minute rate noise. */
  rateNoiseSigma: number;
}

/** A rule every metric is scored with; the first of a plan's variants is the default rule. */
export interface RuleVariant {
  name: string;
  rule: AlertRule;
}

export interface SuitePlan {
  windowMs: number;
  /** Rules scored over the same traffic; the targets are judged on the first (the default). */
  variants: readonly RuleVariant[];
  families: readonly EvalFamily[];
  dims: readonly (1 | 2 | 3)[];
  magnitudes: readonly number[];
  noise: readonly NoiseLevel[];
  /** Incidents per (family, noise, dims, magnitude). */
  repeats: number;
  warmupWindows: number;
  leadWindows: number;
  stepWindows: number;
  rampWindows: number;
  recoveryWindows: number;
  /** Windows of each quiet stream (one per noise level). */
  quietWindows: number;
  /** Slots of the concurrent stream: two unrelated incidents at once in each (grouping). */
  concurrentSlots: number;
  /** Interim looks at the open window this often (event time); 0: final scores only. */
  interimCadenceMs: number;
}

export const NOISE_LEVELS: readonly NoiseLevel[] = [
  { name: 'normal', ratePerSec: 500, rateNoiseSigma: 0.03 },
  { name: 'high', ratePerSec: 150, rateNoiseSigma: 0.06 },
];

/**
 * What-if rules the full suite also scores: stricter thresholds, any anomalous window opening
 * an anomaly (the default before warn needed two in a row), a shorter baseline, or the rolling
 * mean of 20 windows (the default before the robust one).
 */
export const RULE_VARIANTS: readonly RuleVariant[] = [
  { name: 'default rule', rule: DEFAULT_RULE },
  { name: 'warn z 4', rule: { ...DEFAULT_RULE, warnZ: 4, criticalZ: 6 } },
  { name: '1 window opens', rule: { ...DEFAULT_RULE, consecutiveWindows: 1 } },
  { name: 'robust, 20 windows', rule: { ...DEFAULT_RULE, baselineWindows: 20 } },
  {
    name: 'rolling mean, 20 windows',
    rule: { ...DEFAULT_RULE, baseline: 'rolling', baselineWindows: 20 },
  },
];

/** The full suite, or the quick one CI runs. */
export function suitePlan(quick: boolean): SuitePlan {
  const common = {
    windowMs: 60_000,
    families: EVAL_FAMILIES,
    dims: [1, 2, 3] as const,
    warmupWindows: 20,
    leadWindows: 8,
    stepWindows: 5,
    rampWindows: 12,
    recoveryWindows: 12,
    interimCadenceMs: 5_000,
  };
  return quick
    ? {
        ...common,
        variants: RULE_VARIANTS.slice(0, 1),
        magnitudes: [4, 8],
        noise: [{ name: 'quick', ratePerSec: 150, rateNoiseSigma: 0.03 }],
        repeats: 1,
        quietWindows: 180,
        concurrentSlots: 4,
      }
    : {
        ...common,
        variants: RULE_VARIANTS,
        magnitudes: [2, 4, 8],
        noise: NOISE_LEVELS,
        repeats: 2,
        quietWindows: 1440,
        concurrentSlots: 12,
      };
}

/** An incident as planned and injected, with what was injected in words. */
export interface SuiteIncident extends EvalIncident {
  /** e.g. "drop p=0.62" or "×1.8", or why it could not be injected. */
  effect: string;
}

export interface QuietResult {
  noise: string;
  windows: number;
  /** Scored windows summed over metrics, learning windows left out. */
  metricWindows: number;
  alerts: number;
  alertsByMetric: Record<string, number>;
}

/** What one rule made of the suite's traffic. */
export interface VariantResult {
  variant: RuleVariant;
  /** Anomalies of every stream, quiet ones included. */
  anomalies: EvalAnomaly[];
  quiet: QuietResult[];
}

/**
 * The concurrent stream (default rule only, apart from every other figure): each slot injects
 * two incidents at the same time, on different metrics, with causes that are not nested — what
 * incident grouping must keep apart. Pairs of the same slot share `slotStart`.
 */
export interface ConcurrentResult {
  incidents: SuiteIncident[];
  anomalies: EvalAnomaly[];
}

export interface SuiteResult {
  plan: SuitePlan;
  seed: number;
  incidents: SuiteIncident[];
  /** One per plan variant, the default rule first. */
  variants: VariantResult[];
  concurrent: ConcurrentResult;
  /** Events fed through the pipeline. */
  events: number;
  /** Base windows scored. */
  windows: number;
}

export interface SuiteOptions {
  quick: boolean;
  seed: number;
  /** Called after each stream with a line of progress. */
  onProgress?: (message: string) => void;
  /**
   * Changes to the plan, for experiments (e.g. `{ variants: RULE_VARIANTS.slice(0, 1) }`: the
   * default rule's figures of the full suite, without the what-if rules' cost).
   */
  plan?: Partial<SuitePlan>;
}

interface SlotSpec {
  target: EvalTarget;
  dims: 1 | 2 | 3;
  magnitude: number;
  /** A second incident injected at the same time (same length), with a cause not nested in the first's. */
  partner?: EvalTarget;
}

/**
 * Pairs the concurrent stream injects together: step targets whose metrics (and the metrics they
 * also move) differ. Not purchases with conversion: a purchase drop also moves conversion, and
 * two events on one metric make one anomaly, which no grouping can split.
 */
const CONCURRENT_PAIRS: readonly [EvalTarget, EvalTarget][] = [
  [EVAL_TARGETS.drop[0]!, EVAL_TARGETS.spike[0]!], // purchases ↓, api_latency ↑
  [EVAL_TARGETS.ratio[1]!, EVAL_TARGETS.drop[0]!], // error_rate ↑, purchases ↓
  [EVAL_TARGETS.ratio[0]!, EVAL_TARGETS.spike[0]!], // conversion ↓, api_latency ↑
  [EVAL_TARGETS.spike[1]!, EVAL_TARGETS.ratio[1]!], // purchases ↑, error_rate ↑
  [EVAL_TARGETS.ratio[0]!, EVAL_TARGETS.ratio[1]!], // conversion ↓, error_rate ↑
  [EVAL_TARGETS.spike[0]!, EVAL_TARGETS.ratio[1]!], // api_latency ↑, error_rate ↑
];

/** No value of one is missing from the other: the same slice or one nested in the other. */
const nested = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) => {
  const within = (o: typeof a, i: typeof a) => Object.entries(i).every(([k, v]) => o[k] === v);
  return within(a, b) || within(b, a);
};

interface VariantRun {
  anomalies: EvalAnomaly[];
  metricWindows: number;
  alertsByMetric: Record<string, number>;
}

interface StreamRun {
  incidents: SuiteIncident[];
  variants: VariantRun[];
  events: number;
  windows: number;
}

const DAY0 = Date.UTC(2026, 0, 5);
const HOUR = 3_600_000;

function shuffle<T>(items: T[], rng: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const round = (x: number, digits = 3) => Number(x.toPrecision(digits));

function describeEffect(injection: EvalInjection): string {
  const { effect } = injection;
  const ramp = injection.profile === 'ramp' ? ' (ramped)' : '';
  switch (effect.kind) {
    case 'drop':
      return `drop p=${round(effect.probability, 2)}${ramp}`;
    case 'multiplyEvents':
      return `${effect.eventType} ×${round(effect.factor)}${ramp}`;
    case 'scaleMeasure':
      return `${effect.measure} ×${round(effect.factor)}${ramp}`;
  }
}

/**
 * Runs one stream: `slots` in order after the warm-up (none: a quiet stream of
 * `quietWindows`), returns its incidents, anomalies and counts.
 */
async function runStream(
  name: string,
  streamSeed: number,
  start: number,
  noise: NoiseLevel,
  slots: readonly SlotSpec[],
  plan: SuitePlan,
  family: string,
): Promise<StreamRun> {
  const W = plan.windowMs;
  const rng = new Random(mixSeed(streamSeed, 0x63617573));
  const sim = new EvalSimulator({
    seed: streamSeed,
    ratePerSec: noise.ratePerSec,
    rateNoiseSigma: noise.rateNoiseSigma,
  });
  const [main, ...others] = plan.variants.map((v) => defaultEngineMetrics(v.rule));
  const metrics = main!;
  const idOf = new Map(metrics.map((m) => [m.definition.key, m.definition.id]));
  const keyOf = new Map(metrics.map((m) => [m.definition.id, m.definition.key]));
  const backtest = new Backtest({
    windowMs: W,
    outOfOrderMs: 0,
    allowedLatenessMs: 0,
    maxValuesPerDim: 200,
    metrics,
    variants: others,
    source: name,
  });

  // Lay the slots out in time.
  const incidents: SuiteIncident[] = [];
  const planned: { incident: SuiteIncident; slot: SlotSpec; sibling?: SuiteIncident }[] = [];
  let cursor = start + plan.warmupWindows * W;
  let slotStart = start;
  for (const [i, slot] of slots.entries()) {
    const length = slot.target.profile === 'ramp' ? plan.rampWindows : plan.stepWindows;
    const startsAt = cursor + plan.leadWindows * W;
    const endsAt = startsAt + length * W;
    const slotEnd = endsAt + plan.recoveryWindows * W;
    const incident: SuiteIncident = {
      id: `${name}#${i + 1}`,
      stream: name,
      family,
      dims: slot.dims,
      magnitude: slot.magnitude,
      noise: noise.name,
      metric: slot.target.metric,
      alsoMoves: slot.target.alsoMoves,
      cause: {},
      startsAt,
      endsAt,
      slotStart,
      slotEnd,
      feasible: false,
      effect: 'not injected',
    };
    incidents.push(incident);
    planned.push({ incident, slot });
    if (slot.partner) {
      const partner: SuiteIncident = {
        ...incident,
        id: `${incident.id}b`,
        metric: slot.partner.metric,
        alsoMoves: slot.partner.alsoMoves,
      };
      incidents.push(partner);
      planned.push({
        incident: partner,
        slot: { ...slot, target: slot.partner },
        sibling: incident,
      });
    }
    cursor = slotEnd;
    slotStart = slotEnd;
  }
  const end = slots.length > 0 ? cursor : start + plan.quietWindows * W;

  const tallies = plan.variants.map(() => ({
    openedAt: new Map<number, number>(),
    /** Event time each anomaly opened: the interim look, or the end of the window. */
    detectedAt: new Map<number, number>(),
    alertsByMetric: {} as Record<string, number>,
    metricWindows: 0,
  }));
  let windows = 0;
  let events = 0;
  const record = (scored: Awaited<ReturnType<Backtest['advance']>>) => {
    for (const window of scored) {
      windows++;
      for (const [v, outcomes] of [window.outcomes, ...window.variants].entries()) {
        const tally = tallies[v]!;
        for (const outcome of outcomes) {
          if (outcome.score.status !== 'learning') tally.metricWindows++;
          if (outcome.step.kind === 'open' && outcome.anomalyId !== null) {
            // A confirmed interim alert was counted when it opened.
            if (outcome.interimId === outcome.anomalyId) continue;
            const key = outcome.metric.key;
            tally.openedAt.set(outcome.anomalyId, outcome.windowStart);
            tally.detectedAt.set(outcome.anomalyId, outcome.windowStart + outcome.windowMs);
            tally.alertsByMetric[key] = (tally.alertsByMetric[key] ?? 0) + 1;
          }
        }
      }
    }
  };

  const active: EvalInjection[] = [];
  for (let w = start; w < end; w += W) {
    for (const { incident, slot, sibling } of planned) {
      if (incident.startsAt !== w) continue;
      // Size it against the detector's baseline at the last scored window.
      const metricId = idOf.get(slot.target.metric)!;
      const last = backtest.store
        .points(metricId)
        .filter((p) => p.status !== 'learning' && p.expected !== null && p.sigma !== null)
        .at(-1);
      if (!last) {
        incident.effect = 'no baseline yet';
        continue;
      }
      const delta = slot.magnitude * last.sigma!;
      for (const cause of shuffle([...EVAL_CAUSES[slot.dims]], rng)) {
        if (sibling?.feasible && nested(cause, sibling.cause)) continue;
        const effect = slot.target.sized(delta, last.expected!, cause);
        if (!effect) continue;
        const injection: EvalInjection = {
          cause,
          startsAt: incident.startsAt,
          endsAt: incident.endsAt,
          effect,
          profile: slot.target.profile,
          stepMs: W,
        };
        active.push(injection);
        incident.cause = cause;
        incident.feasible = true;
        incident.effect = describeEffect(injection);
        break;
      }
      if (!incident.feasible) {
        incident.effect = `no ${slot.dims}-dimension slice large enough for ${slot.magnitude}σ`;
      }
    }
    const batch = sim.generate(w, w + W, active);
    events += batch.length;
    const cadence = plan.interimCadenceMs > 0 ? plan.interimCadenceMs : W;
    let next = 0;
    for (let t = Math.min(w + cadence, w + W); ; t = Math.min(t + cadence, w + W)) {
      // One flush: the events before t (the batch is in time order).
      for (; next < batch.length && batch[next]!.ts < t; next++) {
        backtest.ingestLine(JSON.stringify(batch[next]), batch[next]!.ts + W);
      }
      record(await backtest.advance());
      if (t >= w + W) break;
      const looks = looksPerWindow(W, cadence);
      const interim = await scoreInterimWindow(
        backtest.store,
        metrics,
        w,
        W,
        { low: t, high: t },
        {
          looks,
        },
      );
      const tally = tallies[0]!;
      for (const o of interim) {
        if (o.anomalyId === null) continue;
        tally.openedAt.set(o.anomalyId, o.windowStart);
        tally.detectedAt.set(o.anomalyId, t);
        tally.alertsByMetric[o.metric.key] = (tally.alertsByMetric[o.metric.key] ?? 0) + 1;
      }
    }
  }
  record(await backtest.finish());

  const variants = [backtest.store, ...backtest.variantStores].map((store, v): VariantRun => {
    const { openedAt, detectedAt, alertsByMetric, metricWindows } = tallies[v]!;
    const anomalies = store.anomalies().map((a): EvalAnomaly => {
      const cause = rootCauseOf(a.explanation);
      return {
        stream: name,
        id: a.id,
        metric: keyOf.get(a.metricId) ?? String(a.metricId),
        firstWindow: a.firstWindow,
        lastWindow: a.lastWindow,
        openedAt: openedAt.get(a.id) ?? a.firstWindow,
        ...(detectedAt.has(a.id) ? { detectedAt: detectedAt.get(a.id)! } : {}),
        ...(a.interimAt !== null ? { interim: true } : {}),
        ...(a.status === 'withdrawn' ? { withdrawn: true } : {}),
        rootCause: {
          set: cause.set,
          candidates: cause.candidates.map((c) => c.elements),
          source: cause.source,
        },
      };
    });
    return { anomalies, metricWindows, alertsByMetric };
  });
  return { incidents, variants, events, windows };
}

/** Runs the whole suite (or the quick one) for a seed. */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const plan = { ...suitePlan(options.quick), ...options.plan };
  const result: SuiteResult = {
    plan,
    seed: options.seed,
    incidents: [],
    variants: plan.variants.map((variant) => ({ variant, anomalies: [], quiet: [] })),
    concurrent: { incidents: [], anomalies: [] },
    events: 0,
    windows: 0,
  };
  let index = 0;
  for (const noise of plan.noise) {
    for (const family of plan.families) {
      index++;
      const streamSeed = mixSeed(options.seed, index);
      const rng = new Random(mixSeed(streamSeed, 0x736c6f74));
      const targets = EVAL_TARGETS[family];
      const slots: SlotSpec[] = [];
      let k = 0;
      for (const dims of plan.dims) {
        for (const magnitude of plan.magnitudes) {
          for (let r = 0; r < plan.repeats; r++) {
            slots.push({ target: targets[k++ % targets.length]!, dims, magnitude });
          }
        }
      }
      shuffle(slots, rng);
      // Streams start at different hours, so incidents meet different traffic levels.
      const start = DAY0 + ((index * 7) % 24) * HOUR;
      const name = `${family}/${noise.name}`;
      const run = await runStream(name, streamSeed, start, noise, slots, plan, family);
      result.incidents.push(...run.incidents);
      run.variants.forEach((v, i) => result.variants[i]!.anomalies.push(...v.anomalies));
      result.events += run.events;
      result.windows += run.windows;
      options.onProgress?.(
        `${name}: ${run.incidents.filter((i) => i.feasible).length} incidents, ${run.variants[0]!.anomalies.length} anomalies, ${run.windows} windows`,
      );
    }
  }
  for (const noise of plan.noise) {
    index++;
    const name = `quiet/${noise.name}`;
    const start = DAY0 + ((index * 7) % 24) * HOUR;
    const run = await runStream(
      name,
      mixSeed(options.seed, index),
      start,
      noise,
      [],
      plan,
      'quiet',
    );
    run.variants.forEach((v, i) => {
      result.variants[i]!.quiet.push({
        noise: noise.name,
        windows: run.windows,
        metricWindows: v.metricWindows,
        alerts: v.anomalies.length,
        alertsByMetric: v.alertsByMetric,
      });
      result.variants[i]!.anomalies.push(...v.anomalies);
    });
    result.events += run.events;
    result.windows += run.windows;
    options.onProgress?.(
      `${name}: ${run.variants[0]!.anomalies.length} alerts in ${run.windows} windows`,
    );
  }
  if (plan.concurrentSlots > 0) {
    // Last, so that every other stream keeps its seed; the default rule only.
    index++;
    const streamSeed = mixSeed(options.seed, index);
    const noise = plan.noise[0]!;
    const name = `concurrent/${noise.name}`;
    const slots = Array.from({ length: plan.concurrentSlots }, (_, k): SlotSpec => {
      const [target, partner] = CONCURRENT_PAIRS[k % CONCURRENT_PAIRS.length]!;
      return { target, partner, dims: k % 4 < 2 ? 1 : 2, magnitude: k % 2 ? 8 : 4 };
    });
    const start = DAY0 + ((index * 7) % 24) * HOUR;
    const only = { ...plan, variants: plan.variants.slice(0, 1) };
    const run = await runStream(name, streamSeed, start, noise, slots, only, 'concurrent');
    result.concurrent = { incidents: run.incidents, anomalies: run.variants[0]!.anomalies };
    result.events += run.events;
    result.windows += run.windows;
    options.onProgress?.(
      `${name}: ${run.incidents.filter((i) => i.feasible).length} incidents in pairs, ${run.variants[0]!.anomalies.length} anomalies, ${run.windows} windows`,
    );
  }
  return result;
}

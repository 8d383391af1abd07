/**
 * Backtest: events through the live path without a database. Lines go through the Pipeline
 * (parse → validate → lateness → fold), each drained batch of rollup deltas and leaves goes into
 * a {@link MemoryEngineStore} as a flush would upsert it, and every base window that becomes
 * final under the pipeline's watermark is scored in order by the detection engine
 * (lib/detection/engine `scoreBaseWindow`), empty windows included, as the live detector closes them.
 * Pure: the caller reads files and passes the validation clock.
 */
import { SEASON_MS, SEASONAL_PERIODS } from './zscore';
import { scoreBaseWindow, type EngineMetric, type MetricOutcome } from './engine';
import { MemoryEngineStore } from './memory-store';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { Pipeline, type Drained } from '@/lib/stream/pipeline';
import {
  DEFAULT_RULE,
  type AlertRule,
  type Explanation,
  type QuarantineReason,
  type RootCause,
} from '@/lib/types';
import { lastFinalWindowStart } from '@/lib/stream/windows';

export interface BacktestOptions {
  windowMs: number;
  outOfOrderMs: number;
  allowedLatenessMs: number;
  maxValuesPerDim: number;
  metrics: readonly EngineMetric[];
  /** Source name the pipeline quarantines under (default 'backtest'). */
  source?: string;
  /**
   * Other metric sets (e.g. other rules) scored over the same windows, each into its own store
   * ({@link Backtest.variantStores}): what-if runs that share the pipeline's work.
   */
  variants?: readonly (readonly EngineMetric[])[];
}

export type ScoredOutcome = MetricOutcome & { anomalyId: number | null };

/** One closed base window and what the engine made of it (one outcome per metric scored). */
export interface ScoredWindow {
  windowStart: number;
  outcomes: ScoredOutcome[];
  /** The outcomes of each variant metric set, in the order of the options' `variants`. */
  variants: ScoredOutcome[][];
}

/** The default metrics with ids 1, 2, … and one rule for all of them. */
export function defaultEngineMetrics(rule: AlertRule = DEFAULT_RULE): EngineMetric[] {
  return defaultMetrics().map((definition, i) => ({
    definition: { ...definition, id: i + 1 },
    rule: { ...rule },
  }));
}

/** Base windows of cells to keep so that baselines and explanations still find theirs. */
function retentionMs(metrics: readonly EngineMetric[], windowMs: number): number {
  let keep = 0;
  for (const { definition, rule } of metrics) {
    const span = windowMs * definition.windowMultiple;
    const rolling = (2 * rule.baselineWindows + 2) * span;
    const seasonal =
      rule.baseline === 'seasonal' ? SEASON_MS[rule.season] * SEASONAL_PERIODS[rule.season] : 0;
    keep = Math.max(keep, rolling + seasonal + span);
  }
  return keep;
}

export class Backtest {
  readonly store = new MemoryEngineStore();
  readonly variantStores: MemoryEngineStore[];
  readonly pipeline: Pipeline;
  /** Next base window to score; null before the first folded event. */
  #next: number | null = null;
  /** Oldest base window with data. */
  #first = Infinity;
  readonly #keepMs: number;
  #received = 0;
  #folded = 0;
  readonly #quarantined = new Map<QuarantineReason, number>();

  constructor(private readonly options: BacktestOptions) {
    this.pipeline = new Pipeline({
      source: options.source ?? 'backtest',
      partition: 0,
      windowMs: options.windowMs,
      outOfOrderMs: options.outOfOrderMs,
      allowedLatenessMs: options.allowedLatenessMs,
      maxValuesPerDim: options.maxValuesPerDim,
    });
    const variants = options.variants ?? [];
    this.variantStores = variants.map(() => new MemoryEngineStore());
    this.#keepMs = retentionMs([...options.metrics, ...variants.flat()], options.windowMs);
  }

  /** Ingests one line (an event as JSON); `now` is validation's clock. */
  ingestLine(line: string, now: number): void {
    this.pipeline.ingestLine(line, now);
  }

  /** Counts a record that could not be turned into a line (a malformed CSV row). */
  reject(raw: string, reason: QuarantineReason, detail: string): void {
    this.pipeline.reject(raw, reason, detail);
  }

  /**
   * Drains the pipeline into the store and scores, in order, every base window that is final
   * under its watermark. Returns the windows scored by this call.
   */
  async advance(): Promise<ScoredWindow[]> {
    const drained = this.pipeline.drain();
    this.#account(drained);
    this.store.add(drained);
    for (const store of this.variantStores) store.add(drained);
    const { windowMs, allowedLatenessMs } = this.options;
    for (const d of drained.deltas) this.#first = Math.min(this.#first, d.windowStart);
    if (drained.watermark === null || !Number.isFinite(this.#first)) return [];
    const last = lastFinalWindowStart(drained.watermark, windowMs, allowedLatenessMs);
    if (last === null || last < this.#first) return [];
    // Scoring starts at the oldest window with data once the first window is final; nothing
    // can arrive for a window before it afterwards (it would be late).
    let windowStart = this.#next ?? this.#first;
    const scored: ScoredWindow[] = [];
    for (; windowStart <= last; windowStart += windowMs) {
      const outcomes = await scoreBaseWindow(
        this.store,
        this.options.metrics,
        windowStart,
        windowMs,
      );
      const variants = [];
      for (const [i, store] of this.variantStores.entries()) {
        variants.push(
          await scoreBaseWindow(store, this.options.variants![i]!, windowStart, windowMs),
        );
      }
      scored.push({ windowStart, outcomes, variants });
    }
    this.#next = windowStart;
    if (scored.length > 0) {
      for (const store of [this.store, ...this.variantStores]) {
        store.dropCellsBefore(windowStart - this.#keepMs);
      }
    }
    return scored;
  }

  /** End of input: closes every window with data and scores the rest. */
  async finish(): Promise<ScoredWindow[]> {
    this.pipeline.finish();
    return this.advance();
  }

  /** The next base window that will be scored (null before any event was folded). */
  get nextWindow(): number | null {
    return this.#next;
  }

  /** Events received, folded and quarantined (by reason) so far, drained batches only. */
  totals(): { received: number; folded: number; quarantined: Record<string, number> } {
    return {
      received: this.#received,
      folded: this.#folded,
      quarantined: Object.fromEntries(
        [...this.#quarantined].sort(([a], [b]) => a.localeCompare(b)),
      ),
    };
  }

  #account(drained: Drained): void {
    this.#received += drained.received;
    this.#folded += drained.folded;
    for (const q of drained.quarantined) {
      this.#quarantined.set(q.reason, (this.#quarantined.get(q.reason) ?? 0) + 1);
    }
  }
}

/**
 * The root cause of an explanation: the multi-dimensional one (lib/rca) when the explanation
 * carries it, else — explanations made before it was wired in — the per-dimension breakdown
 * read as one: its top contributor as the set, its top three as the candidates.
 */
export function rootCauseOf(explanation: Explanation): RootCause & { source: 'rca' | 'breakdown' } {
  if (explanation.rootCause) return { ...explanation.rootCause, source: 'rca' };
  const top = explanation.top.slice(0, 3);
  return {
    set: top[0] ? [{ [top[0].dim]: top[0].value }] : [],
    candidates: top.map((c) => ({
      elements: { [c.dim]: c.value },
      score: Math.abs(c.share),
      explains: c.share,
    })),
    sentence: explanation.sentence,
    source: 'breakdown',
  };
}

/** One NDJSON line of `npm run backtest` for one metric in one window. */
export interface BacktestLine {
  window: string;
  metric: string;
  value: number | null;
  expected: number | null;
  sigma: number | null;
  z: number | null;
  status: string;
  anomaly: { id: number; step: string } | null;
  rootCause: (RootCause & { source: 'rca' | 'breakdown'; peakWindow: string }) | null;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The backtest's line for an outcome (expected, σ and z are null while learning). `rootCause` is set when the window opened the anomaly or
 * moved its peak (the explanation the anomaly then carries), with at most three candidates.
 */
export function backtestLine(outcome: ScoredOutcome): BacktestLine {
  const { score, peak } = outcome;
  const cause = peak ? rootCauseOf(peak.explanation) : null;
  // While learning there is no baseline: its placeholders (0, the σ floor) mean nothing.
  const learning = score.status === 'learning';
  return {
    window: new Date(outcome.windowStart).toISOString(),
    metric: outcome.metric.key,
    value: finite(score.value),
    expected: learning ? null : finite(score.expected),
    sigma: learning ? null : finite(score.sigma),
    z: learning ? null : finite(score.z),
    status: score.status,
    anomaly: outcome.anomalyId === null ? null : { id: outcome.anomalyId, step: outcome.step.kind },
    rootCause:
      cause && peak
        ? {
            ...cause,
            candidates: cause.candidates.slice(0, 3),
            peakWindow: new Date(peak.windowStart).toISOString(),
          }
        : null,
  };
}

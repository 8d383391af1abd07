/**
 * The series model of `npm run backtest -- series.csv`: one `timestamp,value` series scored point
 * by point, each point against the points before it in time only. Pure. Its own scorer (not the
 * live detector's zscore/score-window), because a plain series has no volume, no kind and no
 * dimensions, and often a daily or weekly shape the live rule's 30-window baseline cannot know.
 *
 * Per point, in time order:
 * 1. **Season.** Once a day of data (or once a step for coarser series) the history so far is
 *    put on the series' grid (its median step) and tested for a daily and a weekly period
 *    (lib/detection/seasonality.ts: autocorrelation at the period's lag, at least two whole
 *    periods). The model is `seasonal-day`, `seasonal-week` or `rolling`; every row and the
 *    summary say which. A rule whose baseline is `seasonal` forces its season from the start.
 * 2. **Expected.** Seasonal: the median of the same slot on the last 7 days (4 weeks) present,
 *    S; rolling: S = 0. Then a level: the median of the last residuals x − S (rule.baselineWindows
 *    of them, 4 × that with a season, where the level is only a correction; all of them: a median
 *    shrugs off spikes, and a level shift becomes the new level once it is half the window old).
 *    expected = S + level.
 * 3. **σ**, the recent scale of the deviations r = x − expected: an exponentially weighted mean
 *    |r| (× 1.2533, σ for normal noise) with a half-life of 4 × baselineWindows points; with a
 *    season, one per band of it (each hour of the day, each 4 hours of the week), since noise
 *    often grows with the daily level: it starts from the whole series' scale, worth 8 points,
 *    then follows the band's own points with a half-life of 24 of them. Fed only by points
 *    that did not alert (unless a whole level window has alerted in a row: a lasting change in
 *    variance must be learnt), each |r| winsorized at 2.5σ (a shift scoring under the threshold
 *    must not teach σ that it is noise). It never collapses on a flat stretch: it is floored at
 *    a quarter of the same measure over the whole series with a 10× longer half-life (the
 *    series' longer history), at 0.5% of the series' typical |value| (its level), without a
 *    season at a tenth of its usual range (the mean distance of its values from their slow
 *    average: a step the series has made before is no z of 400 while no season explains it),
 *    at rule.sigmaFloor, and at 1e-9.
 * 4. **Score** (lib/detection/series-score.ts): the tail probability of the point's z, of the
 *    means of the last 4 and 16 z, and of the mean of the last 16 z² (a burst of variance),
 *    each against the series' own recent spread of it, as a calibrated score in [0, 1]: 0.5 is
 *    a one-in-100,000 deviation on every series. Status: warn at score ≥ 0.5, critical at
 *    ≥ 0.8 (p ≤ 10⁻⁸); learning for the first MIN_HISTORY points (and while a seasonal point
 *    has no same-slot value: after a long gap).
 *
 * When the model changes, the new one is warmed on the recent history (no output), so a switch
 * does not start a new learning phase.
 */
import {
  DAY_MS,
  detectSeasonality,
  medianStep,
  PERIOD_MS,
  type SeasonName,
  type Seasonality,
} from './seasonality';
import {
  combinedProbability,
  MEAN_WINDOWS,
  scoreOfProbability,
  SPREAD_WINDOW,
  tailFactor,
} from './series-score';
import type { AlertRule, PointStatus } from '@/lib/types';

export interface ModelPoint {
  timestamp: number;
  /** Null: an empty cell, not scored (low_volume, score 0). */
  value: number | null;
}

export type ModelName = 'rolling' | 'seasonal-day' | 'seasonal-week';

export interface ModelRow {
  expected: number | null;
  sigma: number | null;
  z: number | null;
  score: number;
  status: PointStatus;
  model: ModelName;
}

export interface ModelSpan {
  /** Epoch ms of the first point scored with this model. */
  from: number;
  model: ModelName;
  /** Autocorrelation at the season's lag that chose it (null for rolling or a forced season). */
  correlation: number | null;
}

export interface SeriesModelResult {
  /** One per input point, in input order. */
  rows: ModelRow[];
  /** The grid step (median gap between distinct timestamps), or null for a single timestamp. */
  stepMs: number | null;
  /** Models in force, oldest first. */
  spans: ModelSpan[];
  /** The last seasonality test, or null when none ran. */
  seasonality: Seasonality | null;
}

/** Points scored as learning before the first score. */
export const MIN_HISTORY = 8;
export const WARN_SCORE = 0.5;
export const CRITICAL_SCORE = 0.8;
/** Same-slot values the seasonal expected reads, per season. */
export const SAME_SLOTS: Record<SeasonName, number> = { day: 7, week: 4 };
/** σ for normal noise is this × the mean absolute deviation. */
const MEAN_ABS_TO_SIGMA = 1.2533;
/** Share of the series' long-run scale σ keeps (the floor from its longer history). */
const LONG_FLOOR = 0.25;
/** Share of the series' usual range (mean distance from its slow average) σ keeps, rolling. */
const RANGE_FLOOR = 0.1;
/** |r| / σ beyond which a deviation teaches σ no more. */
const SCALE_CLIP = 2.5;
/** The level window with a season, in multiples of rule.baselineWindows. */
const SEASONAL_LEVEL = 4;
/** z² beyond which a point adds no more to the spread test: one outlier is no burst. */
const SQUARE_CLIP = 9;
/** |z| beyond which a point adds no more to the sustained-shift tests. */
const MEAN_CLIP = 5;
/** Bands per season, each with its own scale: noise often grows with the daily level. */
const BANDS: Record<SeasonName, number> = { day: 24, week: 42 };
/** A band's half-life in updates, and the weight (in updates) of the series' scale beside it. */
const BAND_HALF_LIFE = 24;
const BAND_PRIOR = 8;
/** Share of the series' typical |value| σ keeps (the floor relative to its level). */
const LEVEL_FLOOR = 0.005;
/** Recent |z| kept for the series' tail weight, and how often its percentiles are refreshed. */
const TAIL_SAMPLE = 2000;
const TAIL_REFRESH = 50;
/** Largest grid handed to the seasonality test (8 weeks, and never more than this many steps). */
const MAX_GRID = 3_000_000;

const modelOf = (season: SeasonName | null): ModelName =>
  season === null ? 'rolling' : `seasonal-${season}`;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const halfLifeRate = (points: number) => 1 - 2 ** (-1 / points);

/** The state of one model: level window, scales, recent z. Fed residuals x − S in time order. */
class Residuals {
  private readonly level: number[] = [];
  private fast = Number.NaN;
  /** Per band of the season (hour of the day, 4 hours of the week): its own fast scale. */
  private readonly bands = new Map<number, { scale: number; n: number }>();
  private slow = Number.NaN;
  private typical = Number.NaN;
  /** Slow averages of the values and of their distance from it: the series' usual range. */
  private centre = Number.NaN;
  private range = 0;
  private seen = 0;
  private readonly zs: number[] = [];
  private readonly spreads: number[] = MEAN_WINDOWS.map((m) => 1 / Math.sqrt(m));
  /** Last z² (clipped), and the usual level and variation of their mean (EW, from normal noise). */
  private readonly squares: number[] = [];
  private squareLevel = 1;
  private squareSpread = Math.sqrt(2 / SPREAD_WINDOW);
  private readonly absZ: number[] = [];
  private quantiles: { q99: number; q999: number } | null = null;
  private sinceRefresh = 0;
  private alertRun = 0;

  /** `seasonal`: the level is a correction on top of the season and may move slower. */
  constructor(
    private readonly rule: AlertRule,
    private readonly seasonal: boolean,
  ) {}

  /** Residuals in the level's median: rule.baselineWindows, × SEASONAL_LEVEL with a season. */
  private get levelWindow(): number {
    return this.window * (this.seasonal ? SEASONAL_LEVEL : 1);
  }

  private get window(): number {
    return Math.max(this.rule.baselineWindows, MIN_HISTORY);
  }

  /** The scale of the point's band of the season, or the whole series' before it has one. */
  private bandScale(band: number | null): number {
    return (band === null ? undefined : this.bands.get(band))?.scale ?? this.fast;
  }

  /** Scores x with seasonal part `s`, then learns from it. */
  step(x: number, s: number, band: number | null): Omit<ModelRow, 'model'> {
    const e = x - s;
    // Running means at first, then exponentially weighted with the long half-life.
    const rateSlow = Math.max(1 / ++this.seen, halfLifeRate(40 * this.window));
    this.typical = Number.isNaN(this.typical)
      ? Math.abs(x)
      : this.typical + rateSlow * (Math.abs(x) - this.typical);
    this.centre = Number.isNaN(this.centre) ? x : this.centre + rateSlow * (x - this.centre);
    this.range += rateSlow * (Math.abs(x - this.centre) - this.range);
    if (this.level.length < MIN_HISTORY) {
      this.level.push(e);
      if (this.level.length === MIN_HISTORY) {
        const mid = median(this.level);
        const spread = MEAN_ABS_TO_SIGMA * median(this.level.map((v) => Math.abs(v - mid)));
        this.fast = spread;
        this.slow = spread;
      }
      return { expected: null, sigma: null, z: null, score: 0, status: 'learning' };
    }
    const expected = s + median(this.level);
    const r = x - expected;
    const sigma = Math.max(
      this.bandScale(band),
      LONG_FLOOR * this.slow,
      LEVEL_FLOOR * this.typical,
      // Without a season, a move within the series' usual range is no z in the hundreds.
      this.seasonal ? 0 : RANGE_FLOOR * this.range,
      this.rule.sigmaFloor,
      1e-9,
    );
    const z = r / sigma;
    // The mean tests see each z clipped at ±MEAN_CLIP: one spike must not make the next 15
    // points look like a sustained shift.
    this.zs.push(Math.max(-MEAN_CLIP, Math.min(MEAN_CLIP, z)));
    if (this.zs.length > MEAN_WINDOWS.at(-1)!) this.zs.shift();
    const means = MEAN_WINDOWS.map((m, i) => {
      if (this.zs.length < m) return { mean: 0, spread: 0 };
      let sum = 0;
      for (let j = this.zs.length - m; j < this.zs.length; j++) sum += this.zs[j]!;
      return { mean: sum / m, spread: this.spreads[i]! };
    });
    this.squares.push(Math.min(z * z, SQUARE_CLIP));
    if (this.squares.length > SPREAD_WINDOW) this.squares.shift();
    const meanSquare =
      this.squares.length < SPREAD_WINDOW
        ? null
        : this.squares.reduce((sum, v) => sum + v, 0) / SPREAD_WINDOW;
    const spread = meanSquare === null ? null : (meanSquare - this.squareLevel) / this.squareSpread;
    const p = combinedProbability(
      { z, tail: tailFactor(this.quantiles), means, spread },
      this.rule.direction,
    );
    const score = scoreOfProbability(p);
    const status: PointStatus =
      score >= CRITICAL_SCORE ? 'critical' : score >= WARN_SCORE ? 'warn' : 'ok';
    this.learn({ e, r, z, band, sigma }, means, status !== 'ok');
    if (meanSquare !== null && status === 'ok') {
      const rate = halfLifeRate(4 * this.window);
      this.squareLevel += rate * (meanSquare - this.squareLevel);
      const dev = MEAN_ABS_TO_SIGMA * Math.abs(meanSquare - this.squareLevel);
      // Never tighter than for normal noise, which would call ordinary noise a burst.
      this.squareSpread = Math.max(
        Math.sqrt(2 / SPREAD_WINDOW),
        this.squareSpread + rate * (dev - this.squareSpread),
      );
    }
    return { expected, sigma, z, score, status };
  }

  private learn(
    {
      e,
      r,
      z,
      band,
      sigma,
    }: { e: number; r: number; z: number; band: number | null; sigma: number },
    means: readonly { mean: number; spread: number }[],
    alerted: boolean,
  ): void {
    this.level.push(e);
    if (this.level.length > this.levelWindow) this.level.shift();
    this.alertRun = alerted ? this.alertRun + 1 : 0;
    // An alerting point does not teach σ that it is normal, unless alerts have lasted a whole
    // level window: by then the level has moved, so what still alerts is a change in spread.
    if (alerted && this.alertRun < this.window) return;
    const fastRate = halfLifeRate(4 * this.window);
    // Winsorized: a shift that scores under the threshold must not teach σ that it is noise.
    const dev = MEAN_ABS_TO_SIGMA * Math.min(Math.abs(r), SCALE_CLIP * sigma);
    this.fast += fastRate * (dev - this.fast);
    this.slow += halfLifeRate(40 * this.window) * (dev - this.slow);
    if (band !== null) {
      // A new band starts from the whole series' scale, worth BAND_PRIOR points, and becomes
      // its own running mean, then an exponentially weighted one.
      const own = this.bands.get(band) ?? { scale: this.fast, n: 0 };
      own.n++;
      const rate = Math.max(1 / (own.n + BAND_PRIOR), halfLifeRate(BAND_HALF_LIFE));
      own.scale += rate * (dev - own.scale);
      this.bands.set(band, own);
    }
    MEAN_WINDOWS.forEach((m, i) => {
      if (this.zs.length < m) return;
      const next =
        this.spreads[i]! +
        fastRate * (MEAN_ABS_TO_SIGMA * Math.abs(means[i]!.mean) - this.spreads[i]!);
      // Never tighter than the mean of m independent z: it would call noise a shift.
      this.spreads[i] = Math.max(next, 1 / Math.sqrt(m));
    });
    this.absZ.push(Math.abs(z));
    if (this.absZ.length > TAIL_SAMPLE) this.absZ.shift();
    if (++this.sinceRefresh >= TAIL_REFRESH && this.absZ.length >= 100) {
      this.sinceRefresh = 0;
      const sorted = [...this.absZ].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
      this.quantiles = { q99: at(0.99), q999: at(0.999) };
    }
  }
}

export interface SeriesModelOptions {
  /** 'auto' (default): detect; a season forces it; null forces rolling. */
  season?: 'auto' | SeasonName | null;
}

/** Scores every point (module comment). Rows come back in input order. */
export function runSeriesModel(
  points: readonly ModelPoint[],
  rule: AlertRule,
  opts: SeriesModelOptions = {},
): SeriesModelResult {
  const order = points.map((_, i) => i).sort((a, b) => points[a]!.timestamp - points[b]!.timestamp);
  const times = order.map((i) => points[i]!.timestamp);
  const step = medianStep(times);
  const mode = opts.season ?? 'auto';
  let season: SeasonName | null = mode === 'auto' ? null : mode;
  const rows: ModelRow[] = new Array(points.length);
  const spans: ModelSpan[] = [];
  let seasonality: Seasonality | null = null;
  if (points.length === 0) return { rows, stepMs: step, spans, seasonality };

  const t0 = times[0]!;
  const stepMs = step ?? 1;
  const binOf = (t: number) => Math.round((t - t0) / stepMs);
  /** Sum and count of the values in each grid step. */
  const slots = new Map<number, { sum: number; n: number }>();
  const slotMean = (bin: number) => {
    const slot = slots.get(bin);
    return slot ? slot.sum / slot.n : Number.NaN;
  };
  const sameSlot = (t: number, which: SeasonName): number | null => {
    const found: number[] = [];
    const bin = binOf(t);
    for (let k = 1; k <= SAME_SLOTS[which]; k++) {
      const back = bin - Math.round((k * PERIOD_MS[which]) / stepMs);
      if (back < 0) break;
      const v = [back, back - 1, back + 1].map(slotMean).find(Number.isFinite);
      if (v !== undefined) found.push(v);
    }
    return found.length === 0 ? null : median(found);
  };
  const bandOf = (t: number): number | null => {
    if (season === null) return null;
    const period = PERIOD_MS[season];
    return Math.floor((((t % period) + period) % period) / (period / BANDS[season]));
  };
  const done: ModelPoint[] = [];
  const warm = (state: Residuals) => {
    // The last period (so that every band has a scale), at least 8 level windows, at most 5000.
    const period = season === null ? 0 : Math.round(PERIOD_MS[season] / stepMs);
    const count = Math.min(Math.max(period, 8 * Math.max(rule.baselineWindows, MIN_HISTORY)), 5000);
    for (const p of done.slice(-count)) {
      if (p.value === null) continue;
      const s = season === null ? 0 : sameSlot(p.timestamp, season);
      if (s !== null) state.step(p.value, s, bandOf(p.timestamp));
    }
    return state;
  };

  let state = new Residuals(rule, season !== null);
  spans.push({ from: t0, model: modelOf(season), correlation: null });
  const checkEvery = Math.max(DAY_MS, stepMs);
  let nextCheck = t0 + checkEvery;
  for (const index of order) {
    const point = points[index]!;
    if (mode === 'auto' && step !== null && point.timestamp >= nextCheck) {
      while (nextCheck <= point.timestamp) nextCheck += checkEvery;
      const bin = binOf(point.timestamp);
      const length = Math.min(bin, Math.round((8 * PERIOD_MS.week) / stepMs), MAX_GRID);
      const grid = Array.from({ length }, (_, i) => slotMean(bin - length + i));
      seasonality = detectSeasonality(grid, stepMs, season);
      if (seasonality.season !== season) {
        season = seasonality.season;
        const chosen = seasonality.candidates.find((c) => c.season === season);
        spans.push({
          from: point.timestamp,
          model: modelOf(season),
          correlation: chosen?.correlation ?? null,
        });
        state = warm(new Residuals(rule, season !== null));
      }
    }
    const model = modelOf(season);
    const s = season === null ? 0 : sameSlot(point.timestamp, season);
    if (point.value === null || s === null) {
      rows[index] = {
        expected: null,
        sigma: null,
        z: null,
        score: 0,
        status: point.value === null ? 'low_volume' : 'learning',
        model,
      };
    } else {
      rows[index] = { ...state.step(point.value, s, bandOf(point.timestamp)), model };
    }
    done.push(point);
    if (point.value !== null) {
      const bin = binOf(point.timestamp);
      const slot = slots.get(bin);
      if (slot) {
        slot.sum += point.value;
        slot.n++;
      } else slots.set(bin, { sum: point.value, n: 1 });
    }
  }
  return { rows, stepMs: step, spans, seasonality };
}

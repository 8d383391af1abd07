/**
 * Scoring the series model (lib/detection/series-model.ts) on the labelled corpus
 * (./series-corpus.ts), pure: precision, recall, F1 and false alerts per day at one score
 * threshold for the whole corpus.
 *
 * Rules, per series, over its evaluated span (after its first two periods):
 * - A point alerts when its score is at least the threshold. Alerting points less than
 *   MERGE_MS apart form one alert (a shift that alerts on and off for an hour is one alert).
 * - An alert is true when it overlaps a labelled anomaly, from its first point to GRACE_MS after
 *   its last (the return from a shift or a drift is part of it); otherwise it is false.
 * - An anomaly is detected when a point within that span alerts.
 * Precision = true alerts / alerts, recall = detected anomalies / anomalies, F1 their harmonic
 * mean; false alerts per day = false alerts / evaluated days, over every series.
 * `cleanMax` is the highest score of each clean series in its evaluated span (the target: under
 * 0.5 on a clean regular pattern after its first two periods).
 */
import type { AnomalyKind, CorpusSeries, Shape } from './series-corpus';
import { runSeriesModel } from '@/lib/detection/series-model';
import { DEFAULT_RULE, type AlertRule } from '@/lib/types';

export const MERGE_MS = 60 * 60_000;
export const GRACE_MS = 60 * 60_000;
export const DEFAULT_THRESHOLD = 0.5;
const DAY = 86_400_000;

/** The scores of one series, in time order, as the model gave them. */
export interface ScoredSeries {
  series: CorpusSeries;
  times: number[];
  scores: number[];
}

export interface CorpusFigures {
  threshold: number;
  anomalies: number;
  detected: number;
  alerts: number;
  trueAlerts: number;
  falseAlerts: number;
  days: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  falseAlertsPerDay: number;
  /** Highest score in the evaluated span of each clean series, by shape. */
  cleanMax: Partial<Record<Shape, number>>;
  /** Recall per anomaly kind. */
  byKind: Record<AnomalyKind, { anomalies: number; detected: number }>;
  /** False alerts per series (only those with any). */
  falseBySeries: Record<string, number>;
}

/** Runs the series model on every series of the corpus. */
export function scoreCorpus(corpus: readonly CorpusSeries[], rule: AlertRule = DEFAULT_RULE) {
  return corpus.map((series): ScoredSeries => {
    const { rows } = runSeriesModel(series.points, rule);
    const order = series.points
      .map((_, i) => i)
      .sort((a, b) => series.points[a]!.timestamp - series.points[b]!.timestamp);
    return {
      series,
      times: order.map((i) => series.points[i]!.timestamp),
      scores: order.map((i) => rows[i]!.score),
    };
  });
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** The figures at one threshold (module comment). */
export function corpusFigures(scored: readonly ScoredSeries[], threshold: number): CorpusFigures {
  const figures: CorpusFigures = {
    threshold,
    anomalies: 0,
    detected: 0,
    alerts: 0,
    trueAlerts: 0,
    falseAlerts: 0,
    days: 0,
    precision: null,
    recall: null,
    f1: null,
    falseAlertsPerDay: 0,
    cleanMax: {},
    byKind: {
      spike: { anomalies: 0, detected: 0 },
      shift: { anomalies: 0, detected: 0 },
      drift: { anomalies: 0, detected: 0 },
      variance: { anomalies: 0, detected: 0 },
    },
    falseBySeries: {},
  };
  for (const { series, times, scores } of scored) {
    const spans = series.labels.map((l) => ({ ...l, until: l.end + GRACE_MS }));
    const inLabel = (t: number) => spans.some((s) => t >= s.start && t <= s.until);
    const alerting: number[] = [];
    for (let i = 0; i < times.length; i++) {
      if (times[i]! < series.scoreFrom) continue;
      if (series.kind === null) {
        figures.cleanMax[series.shape] = Math.max(figures.cleanMax[series.shape] ?? 0, scores[i]!);
      }
      if (scores[i]! >= threshold) alerting.push(times[i]!);
    }
    const last = times.at(-1) ?? series.scoreFrom;
    figures.days += Math.max(0, last - series.scoreFrom) / DAY;
    // Group alerting points into alerts; an alert is true when any of its points is in a label.
    let falseHere = 0;
    for (let i = 0; i < alerting.length;) {
      let j = i;
      let touches = inLabel(alerting[i]!);
      while (j + 1 < alerting.length && alerting[j + 1]! - alerting[j]! < MERGE_MS) {
        j++;
        touches ||= inLabel(alerting[j]!);
      }
      figures.alerts++;
      if (touches) figures.trueAlerts++;
      else falseHere++;
      i = j + 1;
    }
    figures.falseAlerts += falseHere;
    if (falseHere > 0) figures.falseBySeries[series.name] = falseHere;
    for (const span of spans) {
      const hit = alerting.some((t) => t >= span.start && t <= span.until);
      figures.anomalies++;
      figures.byKind[span.kind].anomalies++;
      if (hit) {
        figures.detected++;
        figures.byKind[span.kind].detected++;
      }
    }
  }
  figures.precision = ratio(figures.trueAlerts, figures.alerts);
  figures.recall = ratio(figures.detected, figures.anomalies);
  const { precision: p, recall: r } = figures;
  figures.f1 = p === null || r === null || p + r === 0 ? null : (2 * p * r) / (p + r);
  figures.falseAlertsPerDay = figures.days === 0 ? 0 : figures.falseAlerts / figures.days;
  return figures;
}

/**
 * The real-series corpus figures in words, pure: generate the corpus (./series-corpus.ts), run
 * the series model over it and score it at one threshold (./series-scoring.ts), and render the
 * result as Markdown for `npm run eval` and docs/detection-quality.md.
 */
import { ANOMALY_KINDS, generateCorpus, SHAPES, type Shape } from './series-corpus';
import {
  corpusFigures,
  DEFAULT_THRESHOLD,
  scoreCorpus,
  type CorpusFigures,
} from './series-scoring';

/** Clean shapes with a regular pattern: the target is no score at 0.5 or more after two periods. */
export const REGULAR_SHAPES: readonly Shape[] = ['exact-day', 'steps-day', 'traffic-day', 'weekly'];
/** Thresholds the report sweeps, to show how the one threshold was chosen. */
export const SWEEP = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8] as const;

export interface SeriesCorpusResult {
  seed: number;
  series: number;
  points: number;
  at: CorpusFigures;
  sweep: CorpusFigures[];
}

/** Runs the corpus of `seed` (a few seconds for the whole of it). */
export function runSeriesCorpus(seed = 1, threshold = DEFAULT_THRESHOLD): SeriesCorpusResult {
  const corpus = generateCorpus(seed);
  const scored = scoreCorpus(corpus);
  return {
    seed,
    series: corpus.length,
    points: corpus.reduce((n, s) => n + s.points.length, 0),
    at: corpusFigures(scored, threshold),
    sweep: SWEEP.map((t) => corpusFigures(scored, t)),
  };
}

const fmt = (v: number | null, digits = 2) => (v === null ? '—' : v.toFixed(digits));

/** The figures as Markdown: the headline, recall per kind, the clean series, the sweep. */
export function renderSeriesCorpus(result: SeriesCorpusResult): string {
  const { at } = result;
  const regular = REGULAR_SHAPES.map((s) => at.cleanMax[s] ?? 0);
  const lines = [
    `Real-series corpus (seed ${result.seed}): ${result.series} series, ${result.points.toLocaleString('en-US')} points, ${fmt(at.days, 1)} evaluated days, threshold ${at.threshold}.`,
    '',
    `F1 ${fmt(at.f1)} (precision ${fmt(at.precision)}, recall ${fmt(at.recall)}; ${at.detected} of ${at.anomalies} anomalies, ${at.trueAlerts} true and ${at.falseAlerts} false alerts), ${fmt(at.falseAlertsPerDay, 3)} false alerts per series per day; highest score on a clean regular pattern after two periods ${fmt(Math.max(...regular))}.`,
    '',
    '| Anomaly kind | Anomalies | Detected | Recall |',
    '| ------------ | --------- | -------- | ------ |',
    ...ANOMALY_KINDS.map((k) => {
      const { anomalies, detected } = at.byKind[k];
      return `| ${k} | ${anomalies} | ${detected} | ${fmt(anomalies ? detected / anomalies : null)} |`;
    }),
    '',
    '| Clean series | Highest score after two periods | False alerts |',
    '| ------------ | ------------------------------- | ------------ |',
    ...SHAPES.map(
      (s) => `| ${s} | ${fmt(at.cleanMax[s] ?? 0)} | ${at.falseBySeries[`${s}/clean`] ?? 0} |`,
    ),
    '',
    '| Threshold | Precision | Recall | F1 | False alerts per day |',
    '| --------- | --------- | ------ | -- | -------------------- |',
    ...result.sweep.map(
      (f) =>
        `| ${f.threshold} | ${fmt(f.precision)} | ${fmt(f.recall)} | ${fmt(f.f1)} | ${fmt(f.falseAlertsPerDay, 3)} |`,
    ),
  ];
  return lines.join('\n');
}

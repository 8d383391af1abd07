/**
 * Evaluation of split metrics (lib/metrics/split.ts): purchases split by region, scored through
 * the same engine and backtest as every other family, to answer two questions.
 * - Recall where a split pays: a drop confined to one small region, sized in the region's own σ
 *   (too small to move the total much), should open an anomaly on the region's series and
 *   usually not on the total.
 * - The false-alert budget: on quiet traffic, the split's series together (thresholds corrected
 *   for their number, lib/detection/split-rule) should raise about as many false alerts per
 *   day as the total alone, where the same series with the parent's thresholds raise several
 *   times as many.
 * Pure and seeded; the report is markdown for docs/detection-quality.md.
 */
import { Backtest, defaultEngineMetrics } from '@/lib/detection/backtest';
import type { EngineMetric } from '@/lib/detection/engine';
import { splitSeriesRule } from '@/lib/detection/split-rule';
import { seriesDefinition, seriesKey, seriesLabel } from '@/lib/metrics/split';
import { EvalSimulator, type EvalInjection } from '@/lib/simulator/eval-scenarios';
import { mixSeed, Random } from '@/lib/simulator/random';
import { DEFAULT_RULE, type AlertRule, type SplitSpec } from '@/lib/types';

const REGIONS = ['us-east', 'eu-west', 'us-west', 'eu-central', 'ap-south'] as const;

export interface SplitPlan {
  windowMs: number;
  ratePerSec: number;
  rateNoiseSigma: number;
  split: SplitSpec;
  /** Regions whose purchases drop, one incident at a time (the small ones). */
  regions: readonly string[];
  /** Size of a drop in σ of the region's own series. */
  magnitudes: readonly number[];
  repeats: number;
  warmupWindows: number;
  leadWindows: number;
  stepWindows: number;
  recoveryWindows: number;
  quietWindows: number;
}

export function splitPlan(quick: boolean): SplitPlan {
  return {
    windowMs: 60_000,
    ratePerSec: quick ? 500 : 1000,
    rateNoiseSigma: 0.03,
    split: { dim: 'region', topN: REGIONS.length },
    regions: ['ap-south', 'eu-central', 'us-west'],
    magnitudes: quick ? [6] : [4, 6],
    repeats: quick ? 1 : 3,
    warmupWindows: 30,
    leadWindows: 8,
    stepWindows: 5,
    recoveryWindows: 12,
    quietWindows: quick ? 150 : 2880,
  };
}

export interface SplitIncident {
  region: string;
  magnitude: number;
  startsAt: number;
  endsAt: number;
  /** Share of the region's purchases dropped; null when it could not be sized. */
  probability: number | null;
  /** The drop in σ of the total (how little it moves the parent). */
  totalSigmas: number | null;
  /** Windows from the start to the opening on the region's series; null: missed. */
  seriesDetectWindows: number | null;
  foundByTotal: boolean;
  /** Windows until the total (the unsplit metric) opened an anomaly, when it did. */
  totalDetectWindows: number | null;
}

export interface SplitQuiet {
  windows: number;
  days: number;
  /** Anomalies opened on any series of the split, thresholds corrected. */
  seriesAlerts: number;
  /** The same series with the parent's thresholds. */
  uncorrectedAlerts: number;
  /** The total (the parent) alone. */
  totalAlerts: number;
}

export interface SplitResult {
  plan: SplitPlan;
  seed: number;
  seriesCount: number;
  seriesRule: AlertRule;
  incidents: SplitIncident[];
  quiet: SplitQuiet;
}

const PARENT_ID = 1;

/** The parent (purchases, the default rule) and its series, with the given series rule. */
function splitMetrics(plan: SplitPlan, seriesRule: AlertRule): EngineMetric[] {
  const parent = defaultEngineMetrics().find((m) => m.definition.key === 'purchases')!;
  const definition = { ...parent.definition, id: PARENT_ID, split: plan.split };
  const named = REGIONS.slice(0, plan.split.topN);
  const values: (string | null)[] = [...named, null];
  return [
    { definition, rule: { ...DEFAULT_RULE } },
    ...values.map((value, i) => ({
      definition: seriesDefinition(
        definition,
        { parentId: PARENT_ID, dim: plan.split.dim, value },
        named,
        PARENT_ID + 1 + i,
        seriesKey(definition.key, value === null ? 0 : i + 1),
      ),
      rule: { ...seriesRule },
    })),
  ];
}

const DAY0 = Date.UTC(2026, 0, 12, 9);

interface StreamOut {
  backtest: Backtest;
  metrics: EngineMetric[];
}

async function runStream(
  plan: SplitPlan,
  seed: number,
  windows: number,
  onWindow: (w: number, backtest: Backtest, metrics: EngineMetric[]) => EvalInjection[],
): Promise<StreamOut> {
  const seriesRule = splitSeriesRule(DEFAULT_RULE, plan.split.topN + 1);
  const metrics = splitMetrics(plan, seriesRule);
  const uncorrected = splitMetrics(plan, DEFAULT_RULE);
  const backtest = new Backtest({
    windowMs: plan.windowMs,
    outOfOrderMs: 0,
    allowedLatenessMs: 0,
    maxValuesPerDim: 200,
    metrics,
    variants: [uncorrected],
    source: 'split-eval',
  });
  const sim = new EvalSimulator({
    seed,
    ratePerSec: plan.ratePerSec,
    rateNoiseSigma: plan.rateNoiseSigma,
    eventTypes: ['purchase'],
  });
  const W = plan.windowMs;
  for (let i = 0; i < windows; i++) {
    const w = DAY0 + i * W;
    const active = onWindow(w, backtest, metrics);
    for (const event of sim.generate(w, w + W, active)) {
      backtest.ingestLine(JSON.stringify(event), event.ts + W);
    }
    await backtest.advance();
  }
  await backtest.finish();
  return { backtest, metrics };
}

const lastBaseline = (backtest: Backtest, metricId: number) =>
  backtest.store
    .points(metricId)
    .filter((p) => p.status !== 'learning' && p.expected !== null && p.sigma !== null)
    .at(-1);

/** Runs the incidents stream and the quiet stream. */
export async function runSplitSuite(options: {
  seed: number;
  quick: boolean;
  onProgress?: (line: string) => void;
}): Promise<SplitResult> {
  const plan = splitPlan(options.quick);
  const W = plan.windowMs;
  const rng = new Random(mixSeed(options.seed, 0x73706c74));
  const slots: { region: string; magnitude: number }[] = [];
  for (const region of plan.regions)
    for (const magnitude of plan.magnitudes)
      for (let r = 0; r < plan.repeats; r++) slots.push({ region, magnitude });
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }

  const slotWindows = plan.leadWindows + plan.stepWindows + plan.recoveryWindows;
  const incidents: SplitIncident[] = slots.map((slot, i) => {
    const startsAt = DAY0 + (plan.warmupWindows + i * slotWindows + plan.leadWindows) * W;
    return {
      ...slot,
      startsAt,
      endsAt: startsAt + plan.stepWindows * W,
      probability: null,
      totalSigmas: null,
      seriesDetectWindows: null,
      foundByTotal: false,
      totalDetectWindows: null,
    };
  });
  const active: EvalInjection[] = [];
  const seriesOf = (metrics: EngineMetric[], region: string) =>
    metrics.find((m) => m.definition.series?.value === region)!.definition.id;

  const { backtest, metrics } = await runStream(
    plan,
    mixSeed(options.seed, 1),
    plan.warmupWindows + slots.length * slotWindows,
    (w, bt, ms) => {
      for (const incident of incidents) {
        if (incident.startsAt !== w) continue;
        const slice = lastBaseline(bt, seriesOf(ms, incident.region));
        const total = lastBaseline(bt, PARENT_ID);
        if (!slice || !total) continue;
        const delta = incident.magnitude * slice.sigma!;
        const probability = delta / slice.expected!;
        if (!(probability > 0 && probability <= 1)) continue;
        incident.probability = probability;
        incident.totalSigmas = delta / total.sigma!;
        active.push({
          cause: { region: incident.region },
          startsAt: incident.startsAt,
          endsAt: incident.endsAt,
          effect: { kind: 'drop', eventType: 'purchase', probability },
          profile: 'step',
          stepMs: W,
        });
      }
      return active;
    },
  );
  const anomalies = backtest.store.anomalies();
  for (const incident of incidents) {
    if (incident.probability === null) continue;
    const within = (a: (typeof anomalies)[number]) =>
      a.direction === 'down' &&
      a.firstWindow >= incident.startsAt - W &&
      a.firstWindow < incident.endsAt + 2 * W;
    const id = seriesOf(metrics, incident.region);
    const found = anomalies.filter((a) => a.metricId === id && within(a));
    if (found.length > 0) {
      const first = Math.min(...found.map((a) => a.firstWindow));
      incident.seriesDetectWindows = Math.max(1, (first - incident.startsAt) / W + 1);
    }
    const byTotal = anomalies.filter((a) => a.metricId === PARENT_ID && within(a));
    incident.foundByTotal = byTotal.length > 0;
    if (byTotal.length > 0) {
      const first = Math.min(...byTotal.map((a) => a.firstWindow));
      incident.totalDetectWindows = Math.max(1, (first - incident.startsAt) / W + 1);
    }
  }
  options.onProgress?.(
    `split/incidents: ${incidents.filter((i) => i.probability !== null).length} incidents, ${anomalies.length} anomalies`,
  );

  const quietRun = await runStream(plan, mixSeed(options.seed, 2), plan.quietWindows, () => []);
  // Windows before every series has a baseline are not quiet traffic yet: count from warm-up.
  const from = DAY0 + plan.warmupWindows * W;
  const opened = (list: { metricId: number; firstWindow: number }[], series: boolean) =>
    list.filter((a) => (a.metricId === PARENT_ID) !== series && a.firstWindow >= from).length;
  const quietWindows = plan.quietWindows - plan.warmupWindows;
  const quiet: SplitQuiet = {
    windows: quietWindows,
    days: (quietWindows * W) / 86_400_000,
    seriesAlerts: opened(quietRun.backtest.store.anomalies(), true),
    uncorrectedAlerts: opened(quietRun.backtest.variantStores[0]!.anomalies(), true),
    totalAlerts: opened(quietRun.backtest.store.anomalies(), false),
  };
  options.onProgress?.(
    `split/quiet: ${quiet.seriesAlerts} series alerts (${quiet.uncorrectedAlerts} uncorrected), ${quiet.totalAlerts} on the total in ${quiet.windows} windows`,
  );
  return {
    plan,
    seed: options.seed,
    seriesCount: plan.split.topN + 1,
    seriesRule: splitSeriesRule(DEFAULT_RULE, plan.split.topN + 1),
    incidents,
    quiet,
  };
}

/** Headline figures: recall of the series and of the total, false alerts per day. */
export function splitFigures(result: SplitResult) {
  const sized = result.incidents.filter((i) => i.probability !== null);
  const found = sized.filter((i) => i.seriesDetectWindows !== null);
  const ttd = found.map((i) => i.seriesDetectWindows!).sort((a, b) => a - b);
  const { quiet } = result;
  return {
    incidents: sized.length,
    seriesRecall: sized.length ? found.length / sized.length : 0,
    totalRecall: sized.length ? sized.filter((i) => i.foundByTotal).length / sized.length : 0,
    medianDetectWindows: ttd.length ? ttd[Math.floor((ttd.length - 1) / 2)]! : null,
    medianTotalSigmas: median(sized.map((i) => i.totalSigmas ?? 0)),
    splitAlertsPerDay: quiet.days ? quiet.seriesAlerts / quiet.days : 0,
    uncorrectedAlertsPerDay: quiet.days ? quiet.uncorrectedAlerts / quiet.days : 0,
    totalAlertsPerDay: quiet.days ? quiet.totalAlerts / quiet.days : 0,
  };
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const fixed = (x: number, d = 2) => x.toFixed(d);

/** The markdown section of docs/detection-quality.md. */
export function splitReport(result: SplitResult): string {
  const f = splitFigures(result);
  const { plan, quiet } = result;
  const lines = [
    '## Alerting per dimension value (split metrics)',
    '',
    `Purchases split by ${plan.split.dim} into ${result.seriesCount} series (the ${plan.split.topN} regions and "other"), each scored with the default rule's thresholds corrected for the number of series (warn |z| ≥ ${result.seriesRule.warnZ}, critical ≥ ${result.seriesRule.criticalZ} instead of ${DEFAULT_RULE.warnZ} and ${DEFAULT_RULE.criticalZ}); ${plan.ratePerSec} events/s, one-minute windows, seed ${result.seed}.`,
    '',
    '| What | Figure |',
    '|---|---|',
    `| Drops confined to one small region (${plan.regions.join(', ')}; ${plan.magnitudes.join(', ')}σ of the region's series) | ${f.incidents} |`,
    `| Found by the region's series | **${pct(f.seriesRecall)}**, median ${f.medianDetectWindows ?? '—'} ${f.medianDetectWindows === 1 ? 'window' : 'windows'} to detect |`,
    `| Found by the total (the unsplit metric) | ${pct(f.totalRecall)} (median drop ${fixed(f.medianTotalSigmas)}σ of the total) |`,
    `| Quiet traffic: false alerts of the whole split per day | **${fixed(f.splitAlertsPerDay)}** (${quiet.seriesAlerts} in ${fixed(quiet.days, 1)} days) |`,
    `| … the same series with the parent's thresholds | ${fixed(f.uncorrectedAlertsPerDay)} (${quiet.uncorrectedAlerts}) |`,
    `| … the total alone | ${fixed(f.totalAlertsPerDay)} (${quiet.totalAlerts}) |`,
    '',
    '| Region | Size | Drop | σ of the total | Series found it (windows) | Total found it (windows) |',
    '|---|---|---|---|---|---|',
    ...result.incidents.map(
      (i) =>
        `| ${seriesLabel({ dim: plan.split.dim, value: i.region })} | ${i.magnitude}σ | ${i.probability === null ? 'not sized' : pct(i.probability)} | ${i.totalSigmas === null ? '—' : fixed(i.totalSigmas)} | ${i.seriesDetectWindows ?? 'missed'} | ${i.totalDetectWindows === null ? 'no' : `yes (${i.totalDetectWindows})`} |`,
    ),
  ];
  return lines.join('\n');
}

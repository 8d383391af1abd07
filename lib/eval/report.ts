/**
 * The quality evaluation's figures and report, pure: a {@link SuiteResult} in, the summaries
 * (lib/eval/scoring.ts rules), the targets with met / not met, and docs/detection-quality.md as text out.
 */
import {
  falseAlertsPerMetricDay,
  matchIncidents,
  rcaVerdict,
  summarize,
  type EvalIncident,
  type RcaVerdict,
  type Summary,
} from './scoring';
import { groupingFigures, type GroupingFigures } from './grouping';
import type { SuiteResult, VariantResult } from './suite';
import { DEFAULT_TOLERANCE_WINDOWS } from '@/lib/alerts/incidents';
import { EVAL_TARGETS } from '@/lib/simulator/eval-scenarios';
import { DRIFT_PARAMS } from '@/lib/detection/drift';
import { DEFAULT_RULE, type AlertRule } from '@/lib/types';

/** A rule in words, as the report describes it. */
export function ruleWords(rule: AlertRule): string {
  const opens =
    rule.consecutiveWindows <= 1
      ? '1 window opens'
      : `warn opens after ${rule.consecutiveWindows} windows in a row, critical at once`;
  return `warn |z| ≥ ${rule.warnZ}, critical ≥ ${rule.criticalZ}, ${rule.baseline} baseline of ${rule.baselineWindows} windows, ${opens}, ${rule.resolveAfter} normal windows resolve`;
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: number | null;
  /** Measured value in words (several figures for per-noise targets). */
  detail: string;
  met: boolean | null;
}

export interface VariantFigures {
  name: string;
  matched: ReturnType<typeof matchIncidents>;
  summary: (filter?: (i: EvalIncident) => boolean) => Summary;
  /** False alerts per metric per day of quiet traffic, per noise level. */
  quietRates: { noise: string; rate: number | null; alerts: number; metricWindows: number }[];
}

export function variantFigures(result: SuiteResult, variant: VariantResult): VariantFigures {
  const matched = matchIncidents(result.incidents, variant.anomalies, result.plan.windowMs);
  return {
    name: variant.variant.name,
    matched,
    summary: (filter) => summarize(matched, result.incidents, filter),
    quietRates: variant.quiet.map((q) => ({
      noise: q.noise,
      rate: falseAlertsPerMetricDay(q.alerts, q.metricWindows, result.plan.windowMs),
      alerts: q.alerts,
      metricWindows: q.metricWindows,
    })),
  };
}

const atLeast = (value: number | null, floor: number) => (value === null ? null : value >= floor);

/** The issue's targets, judged on the default rule (the first variant). */
export function targetChecks(result: SuiteResult): TargetCheck[] {
  const figures = variantFigures(result, result.variants[0]!);
  const big = figures.summary((i) => i.magnitude >= 4);
  const rca = (dims: number) => figures.summary((i) => i.dims === dims);
  const checks: TargetCheck[] = [
    {
      name: 'Detection F1, incidents of 4σ and more',
      target: '≥ 0.9',
      measured: big.f1,
      detail: `${fmt(big.f1)} (precision ${fmt(big.precision)}, recall ${fmt(big.recall)}, ${big.incidents} incidents)`,
      met: atLeast(big.f1, 0.9),
    },
  ];
  for (const [dims, floor] of [
    [1, 0.9],
    [2, 0.8],
    [3, 0.8],
  ] as const) {
    const s = rca(dims);
    const strong = figures.summary((i) => i.dims === dims && i.magnitude >= 4);
    checks.push({
      name: `Root cause exact top-1, ${dims}-dimension causes`,
      target: `≥ ${floor}`,
      measured: s.rcaTop1,
      detail: `${fmt(s.rcaTop1)} (top-3 ${fmt(s.rcaTop3)}, ${s.rcaEvaluated} detected incidents; ≥ 4σ: ${fmt(strong.rcaTop1)} of ${strong.rcaEvaluated})`,
      met: atLeast(s.rcaTop1, floor),
    });
  }
  // Steps: a slow drift reaches 8σ only in the last of its 12 windows.
  const eight = figures.summary((i) => i.magnitude === 8 && i.family !== 'drift');
  checks.push({
    name: 'Median time to detect, 8σ step incidents (interim results, one-minute windows)',
    target: '< 20 s',
    measured: eight.medianTtdSeconds,
    detail: `${fmt(eight.medianTtdSeconds, 2)} s (${fmt(eight.medianTtdWindows, 1)} windows; ${eight.detected} detected, ${eight.withdrawn} interim alerts withdrawn)`,
    met: eight.medianTtdSeconds === null ? null : eight.medianTtdSeconds < 20,
  });
  const rates = figures.quietRates.map((q) => q.rate).filter((r): r is number => r !== null);
  const worst = rates.length > 0 ? Math.max(...rates) : null;
  checks.push({
    name: 'False alerts per metric per day, quiet traffic',
    target: '< 1',
    measured: worst,
    detail: figures.quietRates.map((q) => `${fmt(q.rate, 2)} (${q.noise} noise)`).join(', '),
    met: worst === null ? null : worst < 1,
  });
  return checks;
}

/** A figure for a table: 3 significant decimals by default, '—' for none. */
export function fmt(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const VERDICTS: readonly RcaVerdict[] = [
  'exact',
  'none',
  'more specific',
  'less specific',
  'several',
  'other',
];

/** Incident grouping on the default rule's anomalies: the family streams, the concurrent one. */
export function groupingChecks(result: SuiteResult): {
  main: GroupingFigures;
  concurrent: GroupingFigures;
  /** One notification per incident in ≥ 95% of cases (both sets together). */
  oneShare: number | null;
  mergedPairs: number;
} {
  const W = result.plan.windowMs;
  const main = groupingFigures(result.incidents, result.variants[0]!.anomalies, W);
  const concurrent = groupingFigures(result.concurrent.incidents, result.concurrent.anomalies, W);
  const notified = main.notified + concurrent.notified;
  return {
    main,
    concurrent,
    oneShare:
      notified === 0 ? null : (main.oneNotification + concurrent.oneNotification) / notified,
    mergedPairs: main.mergedPairs + concurrent.mergedPairs,
  };
}

function groupingLines(result: SuiteResult): string[] {
  const g = groupingChecks(result);
  const line = (label: string, f: GroupingFigures) =>
    `${label}: ${f.notified} incidents notified, ${f.notificationsBefore} notifications before grouping, ${f.notificationsAfter} after; one each for ${f.oneNotification} (${fmt(f.oneShare)}); ${f.mergedPairs} merged pairs`;
  return [
    line('grouping, family streams', g.main),
    line('grouping, concurrent pairs', g.concurrent),
    `grouping, quiet traffic: ${g.main.quiet.anomalies} alerts → ${g.main.quiet.incidents} notifications`,
    `${atLeast(g.oneShare, 0.95) ? 'met    ' : 'NOT MET'}  One notification per incident ≥ 0.95: ${fmt(g.oneShare)}`,
    `${g.mergedPairs === 0 ? 'met    ' : 'NOT MET'}  No two unrelated incidents merged: ${g.mergedPairs} merged pairs`,
  ];
}

const met = (m: boolean | null) => (m === null ? 'n/a' : m ? '**met**' : '**not met**');

export interface ReportContext {
  command: string;
  date: string;
  machine: string;
  elapsedMs: number;
}

/** docs/detection-quality.md for a full run. */
export function renderReport(result: SuiteResult, context: ReportContext): string {
  const { plan } = result;
  const main = variantFigures(result, result.variants[0]!);
  const families = plan.families;
  const out: string[] = [];
  const sources = new Map<string, number>();
  for (const o of main.matched.incidents) {
    const source = o.detectedBy?.rootCause.source;
    if (source) sources.set(source, (sources.get(source) ?? 0) + 1);
  }

  out.push('# Detection quality', '');
  out.push(
    `Measured by \`${context.command}\` (seed ${result.seed}) on ${context.date}, ${context.machine}: ` +
      `${result.events.toLocaleString('en-US')} events through the pipeline, ${result.windows.toLocaleString('en-US')} one-minute windows scored ` +
      `with every default metric, in ${(context.elapsedMs / 1000).toFixed(0)} s. ` +
      'Re-run it after changing detection or root cause; `npm run eval -- --quick` is the small version CI runs with floors (workers/eval.int.test.ts).',
    '',
  );

  out.push('## Targets (default rule)', '');
  out.push(
    table(
      ['Target', 'Wanted', 'Measured', ''],
      targetChecks(result).map((c) => [c.name, c.target, c.detail, met(c.met)]),
    ),
    '',
  );

  out.push('## How it is measured', '');
  out.push(
    [
      `- **Engine.** Simulated events (the live simulator's telemetry model, lib/simulator/eval-scenarios.ts) go through the stream pipeline (parse, validate, fold), the drained rollups and leaf cube into the in-memory engine store, and every closed window through \`scoreBaseWindow\` — the live detector's engine — with the default metrics and the default rule (${ruleWords(DEFAULT_RULE)}), and the drift test beside it (a CUSUM over the robust z, k = ${DRIFT_PARAMS.k}, h = ${DRIFT_PARAMS.h}, lib/detection/drift.ts: its alarm opens a warn anomaly at once, from the window where its sum left 0).`,
      `- **Streams.** One per scenario family and noise level: ${plan.warmupWindows} warm-up windows, then one slot per incident (${plan.leadWindows} quiet windows, the incident — ${plan.stepWindows} windows, or ${plan.rampWindows} for a slow drift — and ${plan.recoveryWindows} recovery windows, so the next baseline is clean). Per family and noise level: causes in 1, 2 and 3 dimensions × magnitudes ${plan.magnitudes.map((m) => `${m}σ`).join(', ')} × ${plan.repeats}, in shuffled order; streams start at different hours of the simulated day.`,
      `- **Size.** An incident moves its metric's expected value by magnitude × the σ of the detector's own baseline at the last scored window before it (a slow drift reaches that size in its last window, growing linearly). Its cause is drawn among candidate slices (lib/simulator/eval-scenarios.ts EVAL_CAUSES) whose size allows that change; when none does (a drop cannot remove more than the whole slice) the incident is not injected and is listed as not injectable.`,
      `- **Noise levels.** ${plan.noise.map((n) => `${n.name}: ${n.ratePerSec} events/s (all types; types no metric reads are not fed), per-minute rate noise ${Math.round(n.rateNoiseSigma * 100)}%`).join('; ')}. The live simulator runs at 1000 events/s with 3% rate noise.`,
      '- **Families.** ' +
        families
          .map(
            (f) =>
              `${f}: ${EVAL_TARGETS[f].map((t) => `${t.description} [${t.metric}]`).join('; ')}`,
          )
          .join('. ') +
        '.',
      '- **Matching** (lib/eval/scoring.ts). An incident is detected when an anomaly on its metric overlaps its windows; time to detect counts windows from its start to the window whose verdict opened that anomaly (1 = the first incident window). An anomaly on a metric the incident moves (its own, or e.g. conversion and revenue when purchases drop) that overlaps it is a true alert; any other alert on those metrics is a false one. Alerts on metrics the incident does not touch are counted apart ("other alerts"): they are quiet-traffic false alerts, measured by the quiet streams.',
      `- **Root cause.** Judged on the anomaly that detected the incident, as explained at its peak: top-1 exact when \`explanation.rootCause.set\` is exactly the injected conjunction, top-3 when the injected conjunction is among its first three candidates. ${sources.get('rca') ? `${sources.get('rca')} of the detected incidents carried the multi-dimensional root cause (lib/rca)` : 'No explanation carried the multi-dimensional root cause (lib/rca) yet'}${sources.get('breakdown') ? `; ${sources.get('breakdown')} had only the per-dimension breakdown, read as a root cause of one dimension (its top contributor; top-3: its first three contributors), which can never name a conjunction` : ''}.`,
      `- **Quiet traffic.** One stream of ${plan.quietWindows} windows (${(plan.quietWindows / 60).toFixed(0)} h) per noise level with no incident: every anomaly is a false alert; the rate is per metric per day of scored (not learning) windows.`,
    ].join('\n'),
    '',
  );

  const summaryRow = (label: string, s: Summary, extra: string[] = []) => [
    label,
    String(s.incidents),
    String(s.detected),
    fmt(s.precision),
    fmt(s.recall),
    fmt(s.f1),
    fmt(s.medianTtdWindows, 1),
    fmt(s.medianTtdSeconds, 2),
    fmt(s.rcaTop1),
    fmt(s.rcaTop3),
    ...extra,
  ];
  const header = [
    'Incidents',
    'Detected',
    'Precision',
    'Recall',
    'F1',
    'Median TTD (windows)',
    'Median TTD (s)',
    'RCA top-1',
    'RCA top-3',
  ];

  out.push('## Per family (default rule)', '');
  out.push(
    table(
      ['Family', ...header, 'F1 ≥ 4σ', 'Not injectable', 'Other alerts'],
      [
        ...families.map((f) => {
          const s = main.summary((i) => i.family === f);
          const big = main.summary((i) => i.family === f && i.magnitude >= 4);
          return summaryRow(f, s, [fmt(big.f1), String(s.infeasible), String(s.otherAlerts)]);
        }),
        (() => {
          const s = main.summary();
          const big = main.summary((i) => i.magnitude >= 4);
          return summaryRow('**all**', s, [
            fmt(big.f1),
            String(s.infeasible),
            String(s.otherAlerts),
          ]);
        })(),
      ],
    ),
    '',
  );

  out.push('## Per family and magnitude', '');
  out.push(
    table(
      ['Family', 'Magnitude', ...header],
      families.flatMap((f) =>
        plan.magnitudes.map((m) => {
          const s = main.summary((i) => i.family === f && i.magnitude === m);
          return summaryRow(f, s).toSpliced(1, 0, `${m}σ`);
        }),
      ),
    ),
    '',
  );

  out.push('## Root cause by cause dimensions', '');
  out.push(
    table(
      ['Cause dimensions', 'Magnitude', ...header],
      plan.dims.flatMap((d) => [
        ...plan.magnitudes.map((m) =>
          summaryRow(
            `${d}`,
            main.summary((i) => i.dims === d && i.magnitude === m),
          ).toSpliced(1, 0, `${m}σ`),
        ),
        summaryRow(
          `${d}`,
          main.summary((i) => i.dims === d),
        ).toSpliced(1, 0, 'all'),
      ]),
    ),
    '',
  );

  if (plan.noise.length > 1) {
    out.push('## Per noise level', '');
    out.push(
      table(
        ['Noise', ...header, 'F1 ≥ 4σ'],
        plan.noise.map((n) => {
          const s = main.summary((i) => i.noise === n.name);
          const big = main.summary((i) => i.noise === n.name && i.magnitude >= 4);
          return summaryRow(n.name, s, [fmt(big.f1)]);
        }),
      ),
      '',
    );
  }

  out.push('## How the root cause missed', '');
  out.push(
    'Detected incidents by what their root-cause set named: exactly the cause; nothing (the change looked spread or within noise); a more specific conjunction (the cause and more values); a less specific one (part of the cause); several conjunctions; something else.',
    '',
  );
  const verdictRows = (label: string, filter: (i: EvalIncident) => boolean) => {
    const counts = new Map<RcaVerdict, number>();
    let n = 0;
    for (const o of main.matched.incidents) {
      if (!o.detectedBy || !filter(o.incident)) continue;
      n++;
      const v = rcaVerdict(o.detectedBy.rootCause.set, o.incident.cause);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    return [label, String(n), ...VERDICTS.map((v) => String(counts.get(v) ?? 0))];
  };
  const metricsSeen = [...new Set(result.incidents.map((i) => i.metric))].sort();
  out.push(
    table(
      ['Incidents', 'Detected', ...VERDICTS],
      [
        ...plan.dims.map((d) => verdictRows(`${d}-dimension causes`, (i) => i.dims === d)),
        ...metricsSeen.map((m) => verdictRows(`metric ${m}`, (i) => i.metric === m)),
        verdictRows('**all**', () => true),
      ],
    ),
    '',
  );

  out.push('## Quiet traffic (default rule)', '');
  const metricKeys = [
    ...new Set(result.variants[0]!.quiet.flatMap((q) => Object.keys(q.alertsByMetric))),
  ].sort();
  out.push(
    table(
      ['Noise', 'Windows', 'Alerts', 'Per metric per day', 'Alerts by metric'],
      result.variants[0]!.quiet.map((q, i) => [
        q.noise,
        String(q.windows),
        String(q.alerts),
        fmt(main.quietRates[i]!.rate),
        metricKeys.map((k) => `${k} ${q.alertsByMetric[k] ?? 0}`).join(', ') || '—',
      ]),
    ),
    '',
  );

  out.push('## Incident grouping (default rule)', '');
  {
    const g = groupingChecks(result);
    const W = plan.windowMs;
    out.push(
      `What a person would be notified of, per injected incident: one notification per anomaly without grouping, one per incident with the grouping rule of lib/alerts/incidents.ts (tolerance ${DEFAULT_TOLERANCE_WINDOWS} windows). The anomalies of each stream are placed one by one in the order they opened, each earlier one seen with its last window as it was then (but with its final root cause, the one at its peak). An injected incident's anomalies are those that overlap it (when two overlap it, the one that moves the anomaly's metric owns it); two injected incidents are merged when one formed incident holds anomalies of both. The family streams inject one incident at a time (slots ${plan.leadWindows + plan.recoveryWindows} quiet windows apart), so they measure splitting; the concurrent stream (${result.concurrent.incidents.filter((i) => i.feasible).length} incidents injected, two at a time on different metrics with causes that are not nested, ${plan.noise[0]!.name} noise) measures merging.`,
      '',
    );
    out.push(
      table(
        ['Target', 'Wanted', 'Measured', ''],
        [
          [
            'One notification per injected incident',
            '≥ 95%',
            `${fmt(g.oneShare)} (${g.main.oneNotification + g.concurrent.oneNotification} of ${g.main.notified + g.concurrent.notified} incidents that notified anyone)`,
            met(atLeast(g.oneShare, 0.95)),
          ],
          [
            'Unrelated injected incidents merged',
            '0',
            String(g.mergedPairs),
            met(g.mergedPairs === 0),
          ],
        ],
      ),
      '',
    );
    const row = (label: string, f: GroupingFigures) => [
      label,
      String(f.notified),
      String(f.notificationsBefore),
      String(f.notificationsAfter),
      fmt(f.notified === 0 ? null : f.notificationsBefore / f.notified),
      fmt(f.notified === 0 ? null : f.notificationsAfter / f.notified),
      `${f.oneNotification} (${fmt(f.oneShare)})`,
      String(f.mergedPairs),
    ];
    const sub = (family: string) =>
      groupingFigures(
        result.incidents.filter((i) => i.family === family),
        result.variants[0]!.anomalies,
        W,
      );
    out.push(
      table(
        [
          'Incidents',
          'Notified',
          'Notifications before',
          'After',
          'Per incident before',
          'Per incident after',
          'One notification',
          'Merged pairs',
        ],
        [
          ...families.map((f) => row(f, sub(f))),
          row('**family streams**', g.main),
          row('concurrent pairs', g.concurrent),
        ],
      ),
      '',
    );
    out.push(
      `Quiet traffic: ${g.main.quiet.anomalies} false alerts grouped into ${g.main.quiet.incidents} incidents.`,
      '',
    );
    const odd = [...g.main.perIncident, ...g.concurrent.perIncident].filter(
      (o) => o.after > 1 || o.mergedWith.length > 0,
    );
    if (odd.length > 0) {
      out.push(
        table(
          [
            'Incident with more than one notification, or merged',
            'Metric',
            'Before',
            'After',
            'Merged with',
          ],
          odd.map((o) => [
            o.incident.id,
            o.incident.metric,
            String(o.before),
            String(o.after),
            o.mergedWith.join(', ') || '—',
          ]),
        ),
        '',
      );
    }
  }

  if (result.variants.length > 1) {
    out.push('## Other rules over the same traffic', '');
    out.push(
      "The same events scored with stricter rules (what the thresholds page can set per metric). The incidents were sized against the default rule's baseline.",
      '',
    );
    out.push(
      table(
        [
          'Rule',
          'F1 ≥ 4σ',
          'Recall ≥ 4σ',
          'Precision ≥ 4σ',
          'Recall 2σ',
          'Median TTD ≥ 4σ',
          ...plan.noise.map((n) => `False alerts / metric / day (${n.name})`),
        ],
        result.variants.map((v) => {
          const f = variantFigures(result, v);
          const big = f.summary((i) => i.magnitude >= 4);
          const small = f.summary((i) => i.magnitude < 4);
          return [
            v.variant.name,
            fmt(big.f1),
            fmt(big.recall),
            fmt(big.precision),
            fmt(small.recall),
            fmt(big.medianTtdWindows, 1),
            ...f.quietRates.map((q) => fmt(q.rate)),
          ];
        }),
      ),
      '',
    );
  }

  out.push('## Every incident (default rule)', '');
  out.push(
    '<details><summary>Incidents, their injected effect and what the engine made of them</summary>',
    '',
  );
  out.push(
    table(
      ['Incident', 'Metric', 'Size', 'Cause', 'Effect', 'Detected (TTD)', 'Root cause set'],
      result.incidents.map((incident) => {
        const o = main.matched.incidents.find((x) => x.incident.id === incident.id);
        const cause = Object.entries(incident.cause)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ∧ ');
        const set =
          o?.detectedBy?.rootCause.set
            .map((c) =>
              Object.entries(c)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ∧ '),
            )
            .join('; ') ?? '';
        return [
          incident.id,
          incident.metric,
          `${incident.magnitude}σ`,
          cause || '—',
          incident.effect,
          !incident.feasible ? 'not injected' : o?.detectedBy ? `yes (${o.ttdWindows})` : 'no',
          o?.detectedBy ? `${set || '(none)'}${o.rcaTop1 ? ' ✓' : ''}` : '',
        ];
      }),
    ),
    '',
    '</details>',
    '',
  );
  return out.join('\n');
}

/** A short plain-text summary for the terminal. */
export function renderSummary(result: SuiteResult): string {
  const main = variantFigures(result, result.variants[0]!);
  const lines = result.plan.families.map((f) => {
    const s = main.summary((i) => i.family === f);
    const big = main.summary((i) => i.family === f && i.magnitude >= 4);
    return `${f.padEnd(6)} incidents ${String(s.incidents).padStart(3)}  P ${fmt(s.precision)}  R ${fmt(s.recall)}  F1 ${fmt(s.f1)}  F1≥4σ ${fmt(big.f1)}  TTD ${fmt(s.medianTtdWindows, 1)} (${fmt(s.medianTtdSeconds, 2)} s)  RCA top-1 ${fmt(s.rcaTop1)} top-3 ${fmt(s.rcaTop3)}`;
  });
  const dims = result.plan.dims.map((d) => {
    const s = main.summary((i) => i.dims === d);
    return `${d}-dim causes: RCA top-1 ${fmt(s.rcaTop1)} top-3 ${fmt(s.rcaTop3)} (${s.rcaEvaluated} detected)`;
  });
  const quiet = main.quietRates.map(
    (q) => `quiet ${q.noise}: ${fmt(q.rate)} false alerts per metric per day (${q.alerts} alerts)`,
  );
  const interim = main.matched.anomalies.map((a) => a.anomaly);
  const eight = main.summary((i) => i.magnitude === 8 && i.family !== 'drift');
  quiet.push(
    `interim: ${interim.filter((a) => a.interim).length} anomalies opened early, ${interim.filter((a) => a.withdrawn).length} withdrawn; 8σ steps median TTD ${fmt(eight.medianTtdSeconds, 2)} s (${fmt(eight.medianTtdWindows, 1)} windows)`,
  );
  const targets = targetChecks(result).map(
    (c) =>
      `${c.met === null ? 'n/a    ' : c.met ? 'met    ' : 'NOT MET'}  ${c.name} ${c.target}: ${c.detail}`,
  );
  return [...lines, ...dims, ...quiet, '', ...targets, '', ...groupingLines(result)].join('\n');
}

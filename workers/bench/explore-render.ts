/**
 * `npm run bench:explore`: how fast a metric's explore page shows 30 days, against the same page
 * over the last hour measured in the same run (the baseline), in a real Chromium signed in to the
 * product as a user runs it (`workers/start.ts --no-build`).
 *
 * A paused metric of its own is seeded with 30 days of one-minute windows (43,200 scored windows
 * with a one-window spike a day, and the rollups of two regions under it), then each view is
 * opened `--runs` times:
 * - server: the navigation's request start to response end (PerformanceNavigationTiming): the
 *   page's reads — the metric downsampled in PostgreSQL, or for a slice its 30 days of rollups
 *   scored in the web process — and the server render;
 * - drawn: response end to the chart's value line in the DOM (a MutationObserver installed before
 *   the app's scripts): hydration and the chart's render, what "after its data arrives" means.
 * Reports the medians and maxima, the points the chart drew, the ratios to the hour, the
 * machine's load at start, and writes the "Explore page over 30 days" section of
 * docs/benchmarks.md. Requires a production build (`npx next build`) unless `--build`.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Browser, Page } from '@playwright/test';
import { summarize } from '@/lib/observability/board-latency';
import { bucketsFor } from '@/lib/explore/downsample';
import type { DbHandle } from '@/db/client';
import { metricSeries } from '@/db/queries/explore';
import { withBenchProduct, writeSection } from '@/workers/bench/browser-bench';
import { SoakSetupError } from '@/workers/bench/soak-product';

const HEADING = '## Explore page over 30 days';
const PORT = 3330;
const PG_PORT = 54383;
const ADMIN_PASSWORD = 'bench-explore-admin';
const KEY = 'bench_month';
const TYPE = 'bench_month_order';
const MINUTE = 60_000;
const DAYS = 30;

const VIEWS = [
  { name: 'last hour (baseline)', query: 'from=now-1h&to=now' },
  { name: '30 days', query: 'from=now-30d&to=now' },
  { name: '30 days, slice region=north', query: 'from=now-30d&to=now&filter=region:north' },
] as const;

/** Before the app's scripts: the time the chart's value line first has a path. */
const PAGE_INIT = `(() => {
  window.__drawn = null;
  new MutationObserver(() => {
    if (window.__drawn !== null) return;
    const line = document.querySelector('[data-testid="time-chart"] .recharts-line-curve[d]');
    if (line && line.getAttribute('d')) window.__drawn = performance.now();
  }).observe(document, { subtree: true, childList: true, attributes: true });
})()`;

/** The spikes (one a day) among the windows the 30-day view reads, as the page reads them. */
async function spikesKept(db: DbHandle): Promise<{ kept: number; of: number }> {
  const [metric] = await db.sql<{ id: number }[]>`select id from metrics where key = ${KEY}`;
  const to = Date.now();
  const { points } = await metricSeries(
    db.db,
    metric!.id,
    { from: to - DAYS * 24 * 60 * MINUTE, to },
    bucketsFor(undefined),
    MINUTE,
  );
  const [all] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from metric_points where metric_id = ${metric!.id} and value = 400
      and window_start >= ${new Date(to - DAYS * 24 * 60 * MINUTE).toISOString()}::timestamptz`;
  return { kept: points.filter((p) => p.value === 400).length, of: all!.n };
}

async function seed(db: DbHandle): Promise<void> {
  const { sql } = db;
  await sql`insert into metrics (key, name, kind, event_type, enabled)
    values (${KEY}, 'Bench month', 'count', ${TYPE}, false)`;
  const end = Math.floor(Date.now() / MINUTE) * MINUTE;
  const start = end - DAYS * 24 * 60 * MINUTE;
  // One row a minute; a spike at 03:00 every day, which downsampling must keep.
  await sql`insert into metric_points (metric_id, window_start, value, expected, sigma, z, volume, status)
    select m.id, t, v, 100, 5, (v - 100) / 5.0, v,
           case when v > 200 then 'critical' else 'ok' end
    from metrics m,
         generate_series(${new Date(start).toISOString()}::timestamptz, ${new Date(end - MINUTE).toISOString()}::timestamptz, interval '1 minute') t,
         lateral (select case when extract(hour from t) = 3 and extract(minute from t) = 0 then 400
                              else 95 + (extract(epoch from t)::bigint / 60 % 11) end as v) x
    where m.key = ${KEY}`;
  for (const [dim, value, share] of [
    ['*', '*', 1],
    ['region', 'north', 0.6],
    ['region', 'south', 0.4],
  ] as const) {
    await sql`insert into rollups (window_start, event_type, dim, value, measure, count, sum, sumsq, min, max)
      select t, ${TYPE}, ${dim}, ${value}, '',
             round(${share}::float8 * (95 + (extract(epoch from t)::bigint / 60 % 11)))::bigint, 0, 0, 0, 0
      from generate_series(${new Date(start).toISOString()}::timestamptz, ${new Date(end - MINUTE).toISOString()}::timestamptz, interval '1 minute') t`;
  }
}

async function signIn(page: Page, base: string) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/', { timeout: 60_000 });
}

interface Sample {
  server: number;
  drawn: number;
  points: number;
}

async function open(page: Page, url: string): Promise<Sample> {
  await page.goto(url);
  await page.waitForFunction(() => (window as { __drawn?: number | null }).__drawn != null, null, {
    timeout: 60_000,
  });
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const d =
      document
        .querySelector('[data-testid="time-chart"] .recharts-line-curve[d]')
        ?.getAttribute('d') ?? '';
    return {
      server: nav.responseEnd - nav.requestStart,
      drawn: (window as unknown as { __drawn: number }).__drawn - nav.responseEnd,
      points: (d.match(/[ML]/g) ?? []).length,
    };
  });
}

async function measure(browser: Browser, base: string, runs: number) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(PAGE_INIT);
  await signIn(page, base);
  const results = [];
  for (const view of VIEWS) {
    const url = `${base}/metrics/${KEY}?${view.query}`;
    await open(page, url); // warm: the first render of a route compiles nothing, but fills caches
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await open(page, url));
    results.push({
      view,
      server: summarize(samples.map((s) => s.server)),
      drawn: summarize(samples.map((s) => s.drawn)),
      points: Math.max(...samples.map((s) => s.points)),
    });
  }
  await page.close();
  return results;
}

type Results = Awaited<ReturnType<typeof measure>>;

function section(
  results: Results,
  spikes: { kept: number; of: number },
  command: string,
  load: number[],
  runs: number,
): string {
  const ms = (x: number) => `${Math.round(x)} ms`;
  const base = results[0]!;
  const rows = results.map(
    (r) =>
      `| ${r.view.name} | ${r.points.toLocaleString('en-US')} | ${ms(r.server.p50)} | ${ms(r.server.max)} | ${(r.server.p50 / base.server.p50).toFixed(1)}× | ${ms(r.drawn.p50)} | ${ms(r.drawn.max)} | ${(r.drawn.p50 / base.drawn.p50).toFixed(1)}× |`,
  );
  return [
    HEADING,
    '',
    `Measured by \`${command}\` on ${new Date().toISOString().slice(0, 10)}: the product as \`npm start\` runs it, a paused metric seeded with ${DAYS} days of one-minute windows (${(DAYS * 1440).toLocaleString('en-US')} scored windows, a one-window spike each day) and the rollups of two regions, each view opened ${runs} times in Chromium at 1440×900 after one warm-up. Machine load at start: ${load.map((l) => l.toFixed(2)).join(', ')} (2 cores).`,
    '',
    '- **server**: request start to response end — the page’s reads (the metric downsampled in PostgreSQL; for a slice, its rollups read and scored against its own history in the web process) and the server render.',
    '- **drawn**: response end to the chart’s value line in the DOM — hydration and the chart, the time “after its data arrives”.',
    '',
    '| View | Points drawn | Server p50 | Server max | vs hour | Drawn p50 | Drawn max | vs hour |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Spikes kept: ${spikes.kept} of the ${spikes.of} one-window daily spikes in the range are among the points the 30-day view reads (each bucket keeps its highest and lowest window).`,
  ].join('\n');
}

async function main(): Promise<void> {
  const load = loadavg();
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '8' },
      out: { type: 'string', default: 'docs/benchmarks.md' },
      build: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs: a positive integer');
  const command = `npm run bench:explore${runs === 8 ? '' : ` -- --runs ${runs}`}`;
  console.log(`explore bench: ${DAYS} days of one-minute windows, product on :${PORT}`);
  const { result } = await withBenchProduct(
    {
      name: 'bench-explore',
      port: PORT,
      pgPort: PG_PORT,
      adminPassword: ADMIN_PASSWORD,
      build: values.build!,
      env: { PULSE_WINDOW: '1m', PULSE_SIM_RATE: '50', PULSE_SIM_BACKFILL: '10m' },
    },
    async ({ base, db, browser }) => {
      await seed(db);
      return { results: await measure(browser, base, runs), spikes: await spikesKept(db) };
    },
  );
  const { results, spikes } = result;
  const text = section(results, spikes, command, load, runs);
  console.log(`\n${text}\n`);
  await writeSection(values.out!, HEADING, text);
  console.log(`→ ${values.out}`);
}

main().catch((error: unknown) => {
  if (error instanceof SoakSetupError) {
    console.error(`bench:explore: ${error.message}`);
    process.exit(2);
  }
  console.error('bench:explore failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});

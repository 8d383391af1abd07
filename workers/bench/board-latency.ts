/**
 * `npm run bench:board`: speed as felt — how long from a window being scored to the live board
 * showing it, in a real Chromium signed in to the product as a user runs it
 * (`workers/start.ts --no-build`: embedded PostgreSQL, the simulator, short windows, the
 * detector, the web process).
 *
 * The times, all `Date.now()` on this machine's one clock (the browser's and this process's read
 * the same system clock, so they compare directly; nothing is subtracted):
 * - scored: the window's NOTIFY (`{kind: 'window'}`), which the detector queues in the
 *   transaction that scores the window and PostgreSQL delivers at its commit, as a LISTEN in this
 *   process receives it — at the moment the web process's own LISTEN receives it. No column
 *   records when a window was scored, so this is the closest time there is to the commit.
 * - received: the socket.io `points` message of that window arriving in the page (a wrapper of
 *   the page's WebSocket, installed before the app's scripts).
 * - shown: the board's DOM update that advanced its newest window (the header's
 *   `data-window-start`) to it, seen by a MutationObserver; the metric cards (value, z, sparkline)
 *   change in the same React commit, and the report says how many did.
 * - painted: the next animation frame after that update (the browser paints right after it).
 *
 * Reports p50/p99/max over `--windows` windows scored live (default 100; the backfill's catch-up
 * is left out), the machine's load at start, and writes the "Board update latency" section of
 * docs/benchmarks.md. Requires a production build (`npx next build`) unless `--build`.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { devices, type Browser, type Page } from '@playwright/test';
import { parseDuration } from '@/lib/config/schema';
import {
  joinWindows,
  summarize,
  type BoardUpdate,
  type WindowStamp,
  type WindowTimes,
} from '@/lib/observability/board-latency';
import type { DbHandle } from '@/db/client';
import { CHANNEL, parseNotice } from '@/db/queries/notify';
import {
  assertPortFree,
  CHROMIUM,
  withBenchProduct,
  writeSection,
} from '@/workers/bench/browser-bench';
import { SoakSetupError, type Product } from '@/workers/bench/soak-product';

const HEADING = '## Board update latency';
const PORT = 3320;
const PG_PORT = 54381;
const WINDOW = '2s';
const WINDOW_MS = parseDuration(WINDOW)!;
const SIM_RATE = 1000;
const ADMIN_PASSWORD = 'bench-board-admin';
/** Time for the board to show its first window (the backfill scored) once the product is up. */
const FIRST_WINDOW_TIMEOUT_MS = 5 * 60_000;
/** A window notified within this long of its end is scored live (not the backfill's catch-up). */
const LIVE_LAG_MS = 10_000;
/** Windows notified without the board changing before the run gives up on the browser. */
const STALL_WINDOWS = 10;

/**
 * In the page, before the app's scripts: times every socket.io `points` message that arrives on
 * a WebSocket (engine.io message 4 + socket.io event 2: `42["points",{"windowStart":…`). A string,
 * not a function: tsx's compiled functions may call helpers that do not exist in the page.
 */
const PAGE_INIT = `(() => {
  const bench = { messages: [], updates: [] };
  window.__boardBench = bench;
  const Native = window.WebSocket;
  class TimedWebSocket extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const at = Date.now();
        if (typeof event.data !== 'string' || !event.data.startsWith('42["points"')) return;
        const match = /"windowStart":(\\d+)/.exec(event.data);
        if (match) bench.messages.push({ windowStart: Number(match[1]), at });
      });
    }
  }
  window.WebSocket = TimedWebSocket;
})()`;

/**
 * In the page, once the board shows: a MutationObserver that keeps every DOM update advancing
 * the header's newest window, with the metric cards it changed and the next animation frame.
 */
const OBSERVE_BOARD = `(() => {
  const bench = window.__boardBench;
  const newest = () =>
    Number(document.querySelector('[data-testid="last-window"]')?.getAttribute('data-window-start') ?? NaN);
  let last = newest();
  new MutationObserver((records) => {
    const at = Date.now();
    const now = newest();
    if (!(now > last)) return;
    last = now;
    const cards = new Set();
    for (const record of records) {
      const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const card = node?.closest('[data-testid^="metric-card-"]');
      if (card) cards.add(card.getAttribute('data-testid'));
    }
    const update = { windowStart: now, dom: at, frame: null, cards: cards.size };
    bench.updates.push(update);
    requestAnimationFrame(() => { update.frame = Date.now(); });
  }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  return last;
})()`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '—');

async function pageState(page: Page): Promise<{ messages: WindowStamp[]; updates: BoardUpdate[] }> {
  return page.evaluate(
    '({ messages: window.__boardBench.messages, updates: window.__boardBench.updates })',
  );
}

/** Signs in as the admin and waits for the board to show a scored window; how many metrics. */
async function openBoard(page: Page, base: string): Promise<number> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  try {
    await page.waitForURL((url) => url.pathname === '/', { timeout: 30_000 });
  } catch {
    throw new Error(`sign-in as admin did not reach the board (still at ${page.url()})`);
  }
  try {
    await page
      .locator('[data-testid="last-window"][data-window-start]')
      .waitFor({ timeout: FIRST_WINDOW_TIMEOUT_MS });
  } catch {
    throw new Error(
      `the board showed no scored window within ${FIRST_WINDOW_TIMEOUT_MS / 60_000} min of signing in`,
    );
  }
  return page.locator('[data-testid^="metric-card-"]').count();
}

interface Run {
  windows: WindowTimes[];
  metrics: number;
  from: number;
}

/** Everything between the product being up and the last window measured. */
async function measure(
  browser: Browser,
  db: DbHandle,
  product: Product,
  target: number,
  interrupted: () => boolean,
): Promise<Run> {
  const notices: WindowStamp[] = [];
  const listener = await db.sql.listen(CHANNEL, (payload) => {
    const at = Date.now();
    const notice = parseNotice(payload);
    if (notice?.kind === 'window') notices.push({ windowStart: notice.windowStart, at });
  });
  try {
    const context = await browser.newContext({ ...devices['Desktop Chrome'] });
    const page = await context.newPage();
    await page.addInitScript(PAGE_INIT);
    const metrics = await openBoard(page, `http://127.0.0.1:${PORT}`);
    const observedFrom = Date.now();
    await page.evaluate(OBSERVE_BOARD);

    // Measure from the window after the first one scored live once the observer runs.
    let from = NaN;
    let windows: WindowTimes[] = [];
    let lastProgress = 0;
    let lastShown = observedFrom;
    let shownCount = 0;
    const deadline = Date.now() + FIRST_WINDOW_TIMEOUT_MS + target * WINDOW_MS * 3 + 60_000;
    while (windows.length < target) {
      if (interrupted()) throw new Error(`interrupted after ${windows.length} windows`);
      if (product.child.exitCode !== null) {
        throw new Error(
          `the product exited during the run:\n${product.tail.slice(-15).join('\n')}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out with ${windows.length} of ${target} windows measured (${notices.length} window notices heard)`,
        );
      }
      await sleep(1000);
      const state = await pageState(page);
      if (state.updates.length > shownCount) {
        shownCount = state.updates.length;
        lastShown = Date.now();
      } else if (Date.now() - lastShown > STALL_WINDOWS * WINDOW_MS + LIVE_LAG_MS) {
        throw new Error(
          `the board has not changed for ${Math.round((Date.now() - lastShown) / 1000)} s while ` +
            `${notices.filter((n) => n.at > lastShown).length} windows were notified: is its socket connected?`,
        );
      }
      if (Number.isNaN(from)) {
        const live = notices.find(
          (n) => n.at >= observedFrom && n.at - (n.windowStart + WINDOW_MS) < LIVE_LAG_MS,
        );
        if (!live) continue;
        from = live.windowStart + WINDOW_MS;
        console.log(`  live: measuring windows from ${new Date(from).toISOString()}`);
      }
      windows = joinWindows({ notices, messages: state.messages, updates: state.updates, from });
      if (windows.length - lastProgress >= 10 || windows.length >= target) {
        lastProgress = windows.length;
        const last = windows.at(-1);
        console.log(
          `  ${windows.length}/${target} windows; last: ${last ? ms(last.shown - last.notified) : '—'} from NOTIFY to the DOM`,
        );
      }
    }
    // The animation frames of the last updates.
    await sleep(200);
    const state = await pageState(page);
    windows = joinWindows({ notices, messages: state.messages, updates: state.updates, from });
    await context.close();
    return { windows: windows.slice(0, target), metrics, from };
  } finally {
    await listener.unlisten().catch(() => undefined);
  }
}

function section(run: Run, command: string, load: number[]): string {
  const { windows } = run;
  const row = (label: string, xs: number[]) => {
    const s = summarize(xs);
    return `| ${label} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`;
  };
  const received = windows.filter((w) => w.received !== null);
  const painted = windows.filter((w) => w.frame !== null);
  const coalesced = windows.filter((w) => w.coalesced).length;
  const cards = windows.map((w) => w.cards);
  return [
    HEADING,
    '',
    `Measured by \`${command}\` on ${new Date().toISOString().slice(0, 10)}: the product as ` +
      `\`npm start\` runs it (embedded PostgreSQL, the simulator at ${SIM_RATE} events/s, ` +
      `${WINDOW_MS / 1000} s windows, ${run.metrics} metrics on the board), signed in to the live board in ` +
      `Chromium (${CHROMIUM}, headless) on the same machine. Machine: ${cpus().length} cores, ` +
      `load ${load.map((l) => l.toFixed(2)).join(' / ')} at start.`,
    '',
    `${windows.length} consecutive windows scored live (the backfill's catch-up left out). Every ` +
      'time is `Date.now()` on the one clock of this machine, in the browser or in the benchmark; ' +
      "nothing is subtracted. **Scored** is the window's NOTIFY, which the detector queues in the " +
      'transaction that scores it and PostgreSQL delivers at its commit, as a LISTEN in the ' +
      "benchmark received it (alongside the web process's LISTEN; no column records when a window " +
      'was scored). **Shown** is the DOM update that advanced the board to the window, seen by a ' +
      'MutationObserver in the page; the metric cards change in the same React commit.',
    '',
    '| from → to | windows | p50 | p99 | max |',
    '| --- | --: | --: | --: | --: |',
    row(
      '**scored (NOTIFY) → the board shows it (DOM)**',
      windows.map((w) => w.shown - w.notified),
    ),
    row(
      'scored (NOTIFY) → next animation frame (painted)',
      painted.map((w) => w.frame! - w.notified),
    ),
    row(
      'stage: NOTIFY → socket.io message in the page (web: LISTEN, read, emit)',
      received.map((w) => w.received! - w.notified),
    ),
    row(
      'stage: socket.io message → DOM (the app: reducer, React render)',
      received.map((w) => w.shown - w.received!),
    ),
    row(
      'end of the window (event time) → DOM (closing and scoring included)',
      windows.map((w) => w.shown - (w.windowStart + WINDOW_MS)),
    ),
    '',
    `Metric cards changed in the update that showed a window: ${Math.min(...cards) === Math.max(...cards) ? Math.min(...cards) : `${Math.min(...cards)}–${Math.max(...cards)}`} ` +
      `of ${run.metrics}. Windows shown together with the next one (both arrived before React ` +
      `rendered): ${coalesced}. Socket.io messages seen for ${received.length} of ${windows.length} ` +
      'windows (WebSocket transport).',
  ].join('\n');
}

async function main(): Promise<void> {
  const load = loadavg();
  const { values } = parseArgs({
    options: {
      windows: { type: 'string', default: '100' },
      out: { type: 'string', default: 'docs/benchmarks.md' },
      build: { type: 'boolean', default: false },
    },
  });
  const target = Number(values.windows);
  if (!Number.isInteger(target) || target < 1) throw new Error('--windows: a positive integer');
  const command = `npm run bench:board${target === 100 ? '' : ` -- --windows ${target}`}`;
  await assertPortFree(PORT, 'PORT');
  await assertPortFree(PG_PORT, 'PULSE_PG_PORT');
  console.log(
    `board bench: ${target} windows of ${WINDOW} from NOTIFY to the board's DOM, product on :${PORT}`,
  );
  const { result: run, stop } = await withBenchProduct(
    {
      name: 'bench-board',
      port: PORT,
      pgPort: PG_PORT,
      adminPassword: ADMIN_PASSWORD,
      build: values.build!,
      env: {
        PULSE_WINDOW: WINDOW,
        PULSE_OUT_OF_ORDER: '500ms',
        PULSE_FLUSH_INTERVAL: '250ms',
        PULSE_ALLOWED_LATENESS: '5s',
        PULSE_SIM_RATE: String(SIM_RATE),
        // Two minutes of history: the sparklines hold their full 60 windows from the start.
        PULSE_SIM_BACKFILL: '2m',
      },
    },
    ({ browser, db, product, interrupted }) => measure(browser, db, product, target, interrupted),
  );
  console.log(`${stop} The product's log is kept in .data/bench-board.log.`);

  const text = section(run, command, load);
  console.log(`\n${text}\n`);
  await writeSection(values.out!, HEADING, text);
  console.log(`→ ${values.out}`);
}

main().catch((error: unknown) => {
  if (error instanceof SoakSetupError) {
    console.error(`bench:board: ${error.message}`);
    process.exit(2);
  }
  console.error('bench:board failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});

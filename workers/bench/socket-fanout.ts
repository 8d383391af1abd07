/**
 * `npm run bench:sockets`: how many live boards one web process holds. The product runs as
 * `npm start` runs it (workers/start.ts --no-build: embedded PostgreSQL, the simulator, the
 * worker and its detector, the web process); this process — a second one — signs in over REST,
 * then opens `--clients` socket.io clients over WebSocket, each authenticated as a browser is (a
 * session cookie of its own, our Origin) and subscribed to the board, and measures:
 *
 * - connect time: from `io()` to 'connect' (handshake and session check), at most
 *   `--concurrency` handshakes in flight, and the time until all of them were subscribed;
 * - memory: the web process's VmRSS with the clients connected and idle, minus before any, per
 *   client (RSS, not heap: what the machine pays, garbage not yet collected included);
 * - fan-out: `--fanouts` times, a window's NOTIFY sent from here (as the detector sends it when
 *   it scores a window), which the web process hears on its LISTEN, reads (the window's points)
 *   and emits to the board room; the time from just before the NOTIFY to each client's 'points'
 *   handler, all `Date.now()` in this process: one clock. With it, the CPU time the web process
 *   and this one spent per fan-out (/proc/<pid>/stat), which says what bounds the tail.
 *
 * Client counts are reached in steps (`--clients 1000,10000`: 1,000, then 9,000 more), so the
 * memory per client is always measured against the same empty baseline. Prints the table, the
 * machine's load at start, and writes the "Live sockets" section of docs/benchmarks.md (`--save`
 * keeps the run as JSON; `--baseline <json>` puts an earlier run beside it).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { desc, eq, sql as dsql } from 'drizzle-orm';
import { classifyProcess } from '@/lib/observability/soak-report';
import { sessions, users } from '@/db/schema';
import { metricPoints } from '@/db/schema/detection';
import { hashToken } from '@/db/queries/auth';
import { CHANNEL, notifyInTransaction, parseNotice } from '@/db/queries/notify';
import { SESSION_COOKIE } from '@/app/_server/headers';
import {
  assertPortFree,
  withProduct,
  writeSection,
  type ProductContext,
} from '@/workers/bench/browser-bench';
import { productPids, SoakSetupError } from '@/workers/bench/soak-product';
import {
  cpuSplitMs,
  makeFleet,
  openFileLimit,
  rssBytes,
  type Arrivals,
  type ClientKind,
} from '@/workers/bench/socket-fleet';
import { requestHeap, type RequestHeapResult } from '@/workers/bench/socket-request-heap';
import {
  renderSection,
  SOCKETS_HEADING,
  type SocketRun,
  type SocketStep,
} from '@/workers/bench/socket-section';

const PORT = 3330;
const PG_PORT = 54391;
const ADMIN_PASSWORD = 'bench-sockets-admin';
/** File descriptors this process needs besides its clients (PostgreSQL, tsx, stdio). */
const SPARE_FDS = 256;
const SCORED_TIMEOUT_MS = 5 * 60_000;
const HANDSHAKE_TIMEOUT_MS = 60_000;
const FANOUT_TIMEOUT_MS = 30_000;
/** Quiet time after the clients connect before the idle RSS is read. */
const SETTLE_MS = 5_000;
/** Clients per variant of the request's heap measurement. */
const REQUEST_HEAP_CLIENTS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Signs in as the admin, as a browser does (POST /api/auth/login); the session token. */
async function signIn(base: string): Promise<string> {
  const response = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  if (!response.ok) throw new Error(`sign-in answered ${response.status}`);
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const token = cookie?.slice(SESSION_COOKIE.length + 1).split(';')[0];
  if (!token) throw new Error('sign-in set no session cookie');
  return token;
}

/** Sessions of `userId` for the other clients (each browser its own), written in bulk. */
async function moreSessions(ctx: ProductContext, userId: number, count: number) {
  const tokens: string[] = [];
  const expiresAt = new Date(Date.now() + 6 * 3600_000);
  for (let i = 0; i < count; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - i) }, () =>
      randomBytes(32).toString('base64url'),
    );
    await ctx.db.db
      .insert(sessions)
      .values(batch.map((token) => ({ tokenHash: hashToken(token), userId, expiresAt })));
    tokens.push(...batch);
  }
  return tokens;
}

/** The web process of the product (server.ts). */
async function webPid(pgid: number): Promise<number> {
  for (let i = 0; i < 60; i += 1) {
    for (const pid of productPids(pgid)) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        if (classifyProcess(argv) === 'web') return pid;
      } catch {
        // exited meanwhile
      }
    }
    await sleep(1000);
  }
  throw new Error('no web process (server.ts) in the product');
}

/** The newest scored window and how many metric points it holds. */
async function scoredWindow(ctx: ProductContext): Promise<{ windowStart: number; points: number }> {
  const deadline = Date.now() + SCORED_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const [row] = await ctx.db.db
      .select({ windowStart: metricPoints.windowStart, points: dsql<number>`count(*)::int` })
      .from(metricPoints)
      .groupBy(metricPoints.windowStart)
      .orderBy(desc(metricPoints.windowStart))
      .limit(1);
    if (row) return { windowStart: row.windowStart.getTime(), points: row.points };
    if (ctx.interrupted()) throw new Error('interrupted');
    await sleep(2000);
  }
  throw new Error(`no window scored within ${SCORED_TIMEOUT_MS / 60_000} min of start`);
}

async function measure(
  ctx: ProductContext,
  counts: number[],
  options: Options,
): Promise<Omit<SocketRun, 'meta'>> {
  const { base, db } = ctx;
  const pid = await webPid(ctx.product.pgid);
  const token = await signIn(base);
  const [admin] = await db.db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.username, 'admin'));
  if (!admin) throw new Error('no admin user');
  const userId = admin.id;
  const window = await scoredWindow(ctx);
  const most = counts.at(-1)!;
  const tokens = [token, ...(await moreSessions(ctx, userId, most - 1))];
  console.log(
    `  web pid ${pid}; window ${new Date(window.windowStart).toISOString()} with ${window.points} points; ${tokens.length} sessions`,
  );

  // When PostgreSQL delivered each of our NOTIFYs, as a LISTEN here hears it.
  const heard: number[] = [];
  const listener = await db.sql.listen(CHANNEL, (payload) => {
    const notice = parseNotice(payload);
    if (notice?.kind === 'window' && notice.windowStart === window.windowStart)
      heard.push(Date.now());
  });
  const trigger = () => notifyInTransaction(db.db, { kind: 'window', ...window });
  try {
    // Warm the web process's socket and relay paths, then read its baseline memory.
    const warm = makeFleet(
      options.client,
      base,
      Array.from({ length: 20 }, () => token),
    );
    await warm.open(20, 20, HANDSHAKE_TIMEOUT_MS);
    await warm.fanout(window.windowStart, trigger, FANOUT_TIMEOUT_MS);
    await warm.close();
    await sleep(SETTLE_MS);
    const rssBefore = rssBytes(pid);
    const clientRssBefore = rssBytes('self');

    const fleet = makeFleet(options.client, base, tokens);
    const steps: SocketStep[] = [];
    for (const count of counts) {
      if (ctx.interrupted()) throw new Error('interrupted');
      console.log(`  opening ${count - fleet.clients.length} clients (to ${count})…`);
      const opened = await fleet.open(
        count - fleet.clients.length,
        options.concurrency,
        HANDSHAKE_TIMEOUT_MS,
      );
      await sleep(SETTLE_MS);
      const connected = fleet.connected();
      const rssIdle = rssBytes(pid);
      const clientRss = rssBytes('self');
      console.log(
        `  ${connected} connected in ${(opened.wallMs / 1000).toFixed(1)} s; web RSS +${((rssIdle - rssBefore) / 2 ** 20).toFixed(0)} MiB`,
      );
      const trials: SocketStep['trials'] = [];
      for (let k = 0; k < options.fanouts; k += 1) {
        const foreign = fleet.foreign;
        const web0 = cpuSplitMs(pid);
        const self0 = process.cpuUsage();
        const arrivals: Arrivals & { triggeredAt: number } = await fleet.fanout(
          window.windowStart,
          trigger,
          FANOUT_TIMEOUT_MS,
        );
        const self = process.cpuUsage(self0);
        const web1 = cpuSplitMs(pid);
        const heardAt = heard.find((at) => at >= arrivals.triggeredAt);
        trials.push({
          latencyMs: arrivals.latencyMs,
          missing: arrivals.missing,
          webCpuMs: web1.user + web1.system - (web0.user + web0.system),
          webSystemMs: web1.system - web0.system,
          clientCpuMs: (self.user + self.system) / 1000,
          notifyMs: heardAt === undefined ? NaN : heardAt - arrivals.triggeredAt,
          noisy: fleet.foreign !== foreign,
        });
        const last = trials.at(-1)!;
        console.log(
          `  fan-out ${k + 1}: ${last.latencyMs.length} received, max ${Math.max(...last.latencyMs)} ms; web CPU ${last.webCpuMs} ms, client CPU ${last.clientCpuMs.toFixed(0)} ms`,
        );
        await sleep(1000);
      }
      steps.push({
        clients: count,
        connected,
        failures: Object.fromEntries(opened.failures),
        connectMs: opened.connectMs,
        openedInStep: opened.asked,
        wallMs: opened.wallMs,
        rssBefore,
        rssIdle,
        rssAfter: rssBytes(pid),
        clientRssPerClient: (clientRss - clientRssBefore) / count,
        trials,
      });
    }
    const dropped = Object.fromEntries(fleet.dropped);
    await fleet.close();
    return { steps, points: window.points, payloadBytes: fleet.payloadBytes, dropped };
  } finally {
    await listener.unlisten().catch(() => undefined);
  }
}

/** The handshake request's heap per connection, kept and dropped (no product needed). */
async function measureRequestHeap(): Promise<RequestHeapResult[]> {
  console.log('  the handshake request: heap per connection, kept and dropped…');
  const results: RequestHeapResult[] = [];
  for (const transports of ['websocket', 'polling+websocket'] as const) {
    results.push(await requestHeap(REQUEST_HEAP_CLIENTS, transports));
  }
  return results;
}

interface Options {
  concurrency: number;
  fanouts: number;
  client: ClientKind;
}

async function main(): Promise<void> {
  const load = loadavg();
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000,10000' },
      fanouts: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '100' },
      out: { type: 'string', default: 'docs/benchmarks.md' },
      label: { type: 'string', default: '' },
      save: { type: 'string' },
      baseline: { type: 'string' },
      build: { type: 'boolean', default: false },
      // Renders the section from a run saved with --save, measuring nothing but, with
      // --request-heap, the request's heap (workers/bench/socket-request-heap.ts).
      from: { type: 'string' },
      'request-heap': { type: 'boolean', default: false },
      // The clients: bare WebSockets (the server's delivery) or socket.io-client (what a
      // browser runs, its decoding and handlers included, all in this one process).
      client: { type: 'string', default: 'ws' },
    },
  });
  const baseline = values.baseline
    ? (JSON.parse(readFileSync(values.baseline, 'utf8')) as SocketRun)
    : null;
  if (values.from) {
    const saved = JSON.parse(readFileSync(values.from, 'utf8')) as SocketRun;
    if (values['request-heap']) {
      saved.requestHeap = await measureRequestHeap();
      writeFileSync(values.from, `${JSON.stringify(saved)}\n`);
    }
    await writeSection(values.out!, SOCKETS_HEADING, renderSection(saved, baseline));
    console.log(`${values.from} → ${values.out}`);
    return;
  }
  const counts = values
    .clients!.split(',')
    .map(Number)
    .sort((a, b) => a - b);
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error('--clients: positive integers, comma-separated (1000,10000)');
  if (values.client !== 'ws' && values.client !== 'socket.io-client')
    throw new Error('--client: ws or socket.io-client');
  const options: Options = {
    fanouts: Number(values.fanouts),
    concurrency: Number(values.concurrency),
    client: values.client,
  };
  if (!Number.isInteger(options.fanouts) || options.fanouts < 1)
    throw new Error('--fanouts: a positive integer');
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
    throw new Error('--concurrency: a positive integer');
  const most = counts.at(-1)!;
  // Every client is a socket here and one in the web process (which inherits this limit).
  const files = openFileLimit();
  if (files.soft < most + SPARE_FDS) {
    throw new SoakSetupError(
      `${most} clients need about ${most + SPARE_FDS} open files in this process and in the web ` +
        `process, but \`ulimit -n\` is ${files.soft}` +
        (files.hard >= most + SPARE_FDS
          ? `: run \`ulimit -n ${most + SPARE_FDS}\` in this shell first (the hard limit is ${files.hard}).`
          : ` and the hard limit ${files.hard}: raise it (limits.conf or the service's LimitNOFILE) or ask for fewer --clients.`),
    );
  }
  await assertPortFree(PORT, 'PORT');
  await assertPortFree(PG_PORT, 'PULSE_PG_PORT');
  // What reproduces the figures (where the results go is left out).
  const command =
    `npm run bench:sockets -- --clients ${counts.join(',')} --fanouts ${options.fanouts}` +
    (options.concurrency === 100 ? '' : ` --concurrency ${options.concurrency}`) +
    (options.client === 'ws' ? '' : ` --client ${options.client}`);
  console.log(
    `socket bench: ${counts.join(', ')} clients, ${options.fanouts} fan-outs each; load ${load.map((l) => l.toFixed(2)).join(' ')}; ulimit -n ${files.soft}`,
  );
  const { result, stop } = await withProduct(
    {
      name: 'bench-sockets',
      port: PORT,
      pgPort: PG_PORT,
      adminPassword: ADMIN_PASSWORD,
      build: values.build!,
      env: {
        // Long windows and no incidents: the detector's own board updates (a window scored every
        // ten minutes) rarely meet a measured fan-out; a trial that meets one is marked.
        PULSE_WINDOW: '10m',
        PULSE_SIM_RATE: '50',
        PULSE_SIM_BACKFILL: '40m',
        PULSE_SIM_FIRST_INCIDENT: '24h',
        // The default (10,000) would refuse the 10,000th client: one connection is the server's.
        PULSE_HTTP_MAX_CONNECTIONS: String(most + 1000),
      },
    },
    (ctx) => measure(ctx, counts, options),
  );
  console.log(stop);
  const run: SocketRun = {
    ...result,
    requestHeap: await measureRequestHeap(),
    meta: {
      label: values.label!,
      date: new Date().toISOString(),
      command,
      load,
      cores: cpus().length,
      concurrency: options.concurrency,
      fanouts: options.fanouts,
      openFiles: files.soft,
      node: process.version,
      client: options.client,
    },
  };
  if (values.save) writeFileSync(values.save, `${JSON.stringify(run)}\n`);
  const text = renderSection(run, baseline);
  console.log(`\n${text}\n`);
  await writeSection(values.out!, SOCKETS_HEADING, text);
  console.log(`→ ${values.out}`);
}

main().catch((error: unknown) => {
  if (error instanceof SoakSetupError) {
    console.error(`bench:sockets: ${error.message}`);
    process.exit(2);
  }
  console.error('bench:sockets failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});

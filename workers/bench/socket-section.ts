/**
 * The "Live sockets" section of docs/benchmarks.md, from a `npm run bench:sockets` run
 * (workers/bench/socket-fanout.ts measures; this module only renders), with an earlier run beside
 * it when one is given (`--baseline`).
 */
import { percentile } from '@/lib/observability/board-latency';
import type { ClientKind } from './socket-fleet';
import type { RequestHeapResult } from './socket-request-heap';

export const SOCKETS_HEADING = '## Live sockets: connections and fan-out';

/** Targets of issue 17. */
export const TARGET_P99_MS = 250;
export const TARGET_P99_AT = 10_000;
export const TARGET_BYTES_PER_CLIENT = 30 * 1024;

export interface SocketTrial {
  /** Per client that received the update: ms from the trigger. */
  latencyMs: number[];
  missing: number;
  /** CPU time the web process and this one spent from the trigger to the last arrival. */
  webCpuMs: number;
  /** Of {@link webCpuMs}, the kernel's on the web process's behalf (runs before 12-06: none). */
  webSystemMs?: number;
  clientCpuMs: number;
  /** From the trigger to PostgreSQL delivering the NOTIFY to a LISTEN in this process. */
  notifyMs: number;
  /** Another live message (the detector's) reached the clients during the trial. */
  noisy: boolean;
}

export interface SocketStep {
  clients: number;
  connected: number;
  failures: Record<string, number>;
  /** Connect times of the clients opened in this step ({@link openedInStep} of them). */
  connectMs: number[];
  openedInStep: number;
  wallMs: number;
  /** The web process's VmRSS before any client, idle with the clients, after the fan-outs. */
  rssBefore: number;
  rssIdle: number;
  rssAfter: number;
  clientRssPerClient: number;
  trials: SocketTrial[];
}

export interface SocketRun {
  meta: {
    label: string;
    date: string;
    command: string;
    load: number[];
    cores: number;
    concurrency: number;
    fanouts: number;
    openFiles: number;
    node: string;
    /** The benchmark's clients (runs before 12-06 used socket.io-client). */
    client?: ClientKind;
  };
  steps: SocketStep[];
  /** Metric points in the window fanned out, and the 'points' message's size. */
  points: number;
  payloadBytes: number;
  /** Sockets that ended before the benchmark closed them, by reason. */
  dropped: Record<string, number>;
  /** The handshake request's heap per connection, kept and dropped (same run, no product). */
  requestHeap?: RequestHeapResult[];
}

const num = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (x: number) => (Number.isFinite(x) ? `${num(x)} ms` : '—');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const loadText = (load: number[], cores: number) =>
  `${load.map((l) => l.toFixed(2)).join(' / ')} (1, 5, 15 min; ${cores} cores)`;

/** The trials without another live message in them; all of them if none is clean. */
function cleanTrials(step: SocketStep): SocketTrial[] {
  const clean = step.trials.filter((t) => !t.noisy);
  return clean.length > 0 ? clean : step.trials;
}

export interface StepFigures {
  clients: number;
  connected: number;
  connectP50: number;
  connectP99: number;
  wallMs: number;
  bytesPerClient: number;
  fanoutP50: number;
  fanoutP99: number;
  fanoutMax: number;
  missing: number;
  trials: number;
  webCpuMs: number;
  webSystemMs: number;
  clientCpuMs: number;
  notifyMs: number;
}

const median = (xs: number[]) => percentile(xs, 50);

export function figures(step: SocketStep): StepFigures {
  const trials = cleanTrials(step);
  const latencies = trials.flatMap((t) => t.latencyMs);
  return {
    clients: step.clients,
    connected: step.connected,
    connectP50: percentile(step.connectMs, 50),
    connectP99: percentile(step.connectMs, 99),
    wallMs: step.wallMs,
    bytesPerClient: (step.rssIdle - step.rssBefore) / step.clients,
    fanoutP50: percentile(latencies, 50),
    fanoutP99: percentile(latencies, 99),
    fanoutMax: latencies.reduce((a, b) => Math.max(a, b), -Infinity),
    missing: trials.reduce((n, t) => n + t.missing, 0),
    trials: trials.length,
    webCpuMs: median(trials.map((t) => t.webCpuMs)),
    webSystemMs: median(trials.map((t) => t.webSystemMs ?? NaN).filter(Number.isFinite)),
    clientCpuMs: median(trials.map((t) => t.clientCpuMs)),
    notifyMs: median(trials.map((t) => t.notifyMs).filter(Number.isFinite)),
  };
}

function table(run: SocketRun): string {
  const rows = run.steps.map((step) => {
    const f = figures(step);
    const opened = step.openedInStep === step.clients ? '' : ` (${num(step.openedInStep)} new)`;
    return (
      `| ${num(f.clients)} | ${num(f.connected)} | ${ms(f.connectP50)} / ${ms(f.connectP99)}${opened} | ` +
      `${(f.wallMs / 1000).toFixed(1)} s | ${kib(f.bytesPerClient)} | ${ms(f.fanoutP50)} | ` +
      `**${ms(f.fanoutP99)}** | ${ms(f.fanoutMax)} | ${f.missing} | ${ms(f.webCpuMs)} | ${ms(f.clientCpuMs)} |`
    );
  });
  return [
    '| clients | connected | connect p50 / p99 | step opened in | web RSS per idle client | fan-out p50 | fan-out p99 | max | missed | web CPU per fan-out | client CPU per fan-out |',
    '| --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...rows,
  ].join('\n');
}

function verdicts(run: SocketRun): string {
  const at = run.steps.find((s) => s.clients >= TARGET_P99_AT) ?? run.steps.at(-1)!;
  const f = figures(at);
  const fan = f.fanoutP99 <= TARGET_P99_MS && f.missing === 0;
  const mem = f.bytesPerClient <= TARGET_BYTES_PER_CLIENT;
  const scope = at.clients >= TARGET_P99_AT ? '' : ` (measured at ${num(at.clients)} only)`;
  return (
    `Targets at ${num(TARGET_P99_AT)} clients${scope}: fan-out p99 ≤ ${TARGET_P99_MS} ms — ` +
    `${fan ? 'met' : '**not met**'} (${ms(f.fanoutP99)}); ≤ 30 KB of web RSS per idle ` +
    `connection — ${mem ? 'met' : '**not met**'} (${kib(f.bytesPerClient)}).`
  );
}

const clientOf = (run: SocketRun): ClientKind => run.meta.client ?? 'socket.io-client';

/** What the clients of a run are, and what one of them does with an update. */
const CLIENTS: Record<ClientKind, { who: string; work: string }> = {
  ws: {
    who:
      'bare WebSockets (the `ws` package) that speak the protocol themselves (Engine.IO 4 and ' +
      "Socket.IO 5: open, namespace connect, the 'subscribe' and its acknowledgement, pongs), " +
      'each with a session cookie of its own and our Origin, subscribed to the board; an ' +
      "update's arrival is its frame's (the window is read from the frame's text, nothing else " +
      "is parsed), so the time is the server's delivery and not 10,000 handlers run one after " +
      'another in one process',
    work: 'a frame read and its window found',
  },
  'socket.io-client': {
    who:
      'socket.io-client over WebSocket only, each with a session cookie of its own and our ' +
      'Origin, subscribed to the board',
    work: 'a frame read, the packet parsed, the handler',
  },
};

/** Where the time of the largest fan-out went, from the CPU both processes spent on it. */
function bounds(run: SocketRun): string {
  const step = run.steps.at(-1)!;
  const f = figures(step);
  const perClient = (cpu: number) => `${((cpu * 1000) / f.connected).toFixed(1)} µs`;
  const larger = f.clientCpuMs > f.webCpuMs ? 'client' : 'web';
  const kernel = Number.isFinite(f.webSystemMs)
    ? ` Of the web process's time, ${ms(f.webSystemMs)} (${((100 * f.webSystemMs) / f.webCpuMs).toFixed(0)} %) was the kernel's: ` +
      "writing to a socket on loopback also runs the receiving side's TCP work on the " +
      "sender's core, which a network would take elsewhere."
    : '';
  return (
    `At ${num(f.clients)} clients one fan-out cost the web process ${ms(f.webCpuMs)} of CPU ` +
    `(${perClient(f.webCpuMs)} per client: one read of the window, the packet encoded once and ` +
    `one pre-encoded WebSocket frame written per socket) and the client process ` +
    `${ms(f.clientCpuMs)} (${perClient(f.clientCpuMs)} per client: ${CLIENTS[clientOf(run)].work}). ` +
    `PostgreSQL delivered the NOTIFY in ${ms(f.notifyMs)} (median).${kernel} Both ` +
    `processes share the machine's ${run.meta.cores} cores with each other and with whatever ` +
    `else ran (load at start above), so the last arrival comes no sooner than the larger of the ` +
    `two CPU times, and later when other work holds a core. Here the ${larger} process is the ` +
    `larger${larger === 'client' ? `: its share belongs to ${num(f.clients)} browsers on as many machines` : ''}. ` +
    `What bounds a web process of its own is its CPU per client: at ${perClient(f.webCpuMs)} ` +
    `one core writes the update to about ${num((TARGET_P99_MS * f.connected) / f.webCpuMs)} ` +
    `clients within ${TARGET_P99_MS} ms.`
  );
}

function runLine(run: SocketRun): string {
  const m = run.meta;
  const dropped = Object.entries(run.dropped);
  return (
    `\`${m.command}\`${m.label ? ` (${m.label})` : ''} on ${m.date.slice(0, 16).replace('T', ' ')} UTC, ` +
    `Node ${m.node}, load ${loadText(m.load, m.cores)} at start; handshakes ${m.concurrency} at a ` +
    `time; clients: ${clientOf(run)}; ${m.fanouts} fan-outs per step (pooled: every client of every trial without another ` +
    `live message in it); \`ulimit -n\` ${num(m.openFiles)}.` +
    (dropped.length > 0
      ? ` **Sockets dropped during the run**: ${dropped.map(([r, n]) => `${n} × ${r}`).join(', ')}.`
      : ' No socket dropped during the run.')
  );
}

/** What the web process applies of socket.io's guidance for many connections, and why not more. */
const GUIDANCE = [
  "### socket.io's guidance for many connections",
  '',
  "What socket.io's [performance tuning](https://socket.io/docs/v4/performance-tuning/) and " +
    '[memory usage](https://socket.io/docs/v4/memory-usage/) pages advise, and what ' +
    'app/_server/live.ts does with it:',
  '',
  '- **Drop the HTTP request after the handshake** — applied. socket.io keeps the request that ' +
    'opened each transport for the life of the connection; the only thing Pulse read from it ' +
    "later was the session cookie, in the namespace handshake. The transport's Cookie header is " +
    'now kept aside (until that handshake reads it) and the request dropped as the transport ' +
    'opens; the origin is checked on the request before (`allowRequest`). Its effect is measured ' +
    'in one run below (the handshake request, kept and dropped).',
  '- **perMessageDeflate** — off, now said explicitly. With it, every broadcast would be ' +
    "compressed once per socket (engine.io's pre-encoded frame needs it off) and ws would keep " +
    'a zlib context per connection; board messages are about a kilobyte.',
  '- **A binary parser** (socket.io-msgpack-parser) — not adopted. The in-memory adapter builds ' +
    'one WebSocket frame per broadcast and writes that same frame to every socket only when the ' +
    'encoded packet is one string; msgpack encodes to a buffer, so each socket would get its ' +
    'frame built anew, more work per client in the fan-out that bounds us, for messages with no ' +
    'binary data (the case the guidance names).',
  '- **ws native add-ons** — not needed: `utf-8-validate` is unused by ws 8 on this Node ' +
    "(`buffer.isUtf8`), and `bufferutil` masks and unmasks frames: the server's frames are " +
    'unmasked, and what it unmasks (pings, subscribes) is a few bytes.',
  '- **Another WebSocket server** (eiows, µWebSockets.js) — not adopted: native builds outside ' +
    'the ordinary npm install (µWebSockets.js is not on the registry), for memory the target ' +
    'does not need.',
  '- **One buffer per frame** (beyond the guidance) — applied. The in-memory adapter frames a ' +
    'broadcast as a header and a payload, two buffers, and ws writes those to each socket as a ' +
    'cork, two writes and an uncork; app/_server/frame-adapter.ts joins them once per broadcast, ' +
    'so each socket gets one write. In three alternating pairs of runs on 2026-12-06, the web ' +
    "process's CPU per fan-out to 10,000 clients was 150–170 ms with it and 200–240 ms " +
    'without, and the fan-out p99 163–239 ms against 226–293 ms; one pair is above.',
  '- **The operating system** — file descriptors: every client is one in the web process and ' +
    'one in the client process (the benchmark checks `ulimit -n` first and says how to raise ' +
    "it); ephemeral ports (one client machine's range, 32768–60999 here, bounds the clients " +
    "from one address); and Pulse's own guard, `PULSE_HTTP_MAX_CONNECTIONS` (10,000 by " +
    'default, counting every TCP connection, page loads included): an instance meant to hold ' +
    '10,000 boards needs it raised, as the benchmark does.',
].join('\n');

/** Why several web instances need no socket.io adapter (checked in app/_server/live.ts). */
const NO_ADAPTER = [
  '### Several web instances need no socket.io adapter',
  '',
  'Every web instance LISTENs to PostgreSQL itself and relays each notice to its own sockets: ' +
    "`relayNotice` emits through the instance's own in-memory adapter to the rooms its own " +
    "sockets joined, and a 'session' notice re-checks only the instance's own sockets; nothing " +
    'is ever emitted to a socket of another instance (no `serverSideEmit`, no `fetchSockets`, no ' +
    'emission from a route handler: use cases NOTIFY). Since every instance hears every NOTIFY, ' +
    "each browser gets each update from the instance it is connected to, and an adapter (Redis's " +
    "or socket.io's PostgreSQL adapter) would only forward broadcasts that every instance already " +
    'makes. What several instances do need is at the load balancer: the browser starts on HTTP ' +
    'long-polling before it upgrades, so the requests of one engine.io session must reach the ' +
    'same instance (sticky sessions, by cookie or client address), or the clients must use ' +
    'WebSocket only. Capacity then adds up: each instance pays the fan-out for its own clients ' +
    '(the web CPU per fan-out above), and PostgreSQL delivers each NOTIFY once per instance.',
].join('\n');

function requestHeapText(results: RequestHeapResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.transports === 'websocket' ? "WebSocket only (the benchmark's clients)" : 'long-polling, then WebSocket (a browser)'} | ` +
      `${kib(r.keep)} | ${kib(r.drop)} | ${kib(r.drop - r.keep)} | ${num(r.freed)} of ${num(r.clients)} |`,
  );
  return [
    '### The handshake request, kept and dropped',
    '',
    'RSS across two runs of the product cannot see a kilobyte per connection (the runs above), so ' +
      'workers/bench/socket-request-heap.ts measures it in one run: a socket.io server with the ' +
      'options live.ts gives it, in a child process, its JavaScript heap after a full collection ' +
      `with ${num(results[0]?.clients ?? 0)} clients connected minus before, per client, with the ` +
      'request kept and dropped (median of 3 alternating rounds), and how many handshake requests ' +
      'its collector freed with the request dropped.',
    '',
    '| clients | heap per connection, request kept | dropped | change | requests freed |',
    '| --- | --: | --: | --: | --: |',
    ...rows,
    '',
    "A browser's connection starts on long-polling, and dropping that request saves what the " +
      'table says. A WebSocket-only connection keeps its request whatever socket.io drops: ' +
      'engine.io (6.6) answers the upgrade with a response object that holds the request and ' +
      "listens for the TCP socket's close, so the request lives as long as the connection (the " +
      "upgrade request of a browser's connection too). Releasing it would mean reaching into " +
      "engine.io's internals; worth raising upstream rather than patching here.",
  ].join('\n');
}

export function renderSection(run: SocketRun, baseline: SocketRun | null): string {
  const last = run.steps.at(-1)!;
  const parts = [
    SOCKETS_HEADING,
    '',
    `Measured by ${runLine(run)}`,
    '',
    'The product runs as `npm start` runs it (embedded PostgreSQL, the simulator, a worker with ' +
      'the detector, the web process). A second process signs in over REST as a browser does, ' +
      `then opens the clients: ${CLIENTS[clientOf(run)].who}. Steps add clients (the memory of each is ` +
      'measured against the same empty baseline, read after 20 warm-up clients came and went). ' +
      "**Fan-out**: a window's NOTIFY sent from that process, as the detector sends it when it " +
      `scores a window (${run.points} metric points, a ${num(run.payloadBytes)}-byte 'points' ` +
      'message); the web process hears it on its LISTEN, reads the window and emits to the board ' +
      "room; the time runs from just before the NOTIFY to each client's handler, on the one clock " +
      "of the client process. **RSS per idle client**: the web process's VmRSS with the clients " +
      'connected and idle for 5 s, minus before any, divided by the clients (garbage not yet ' +
      'collected included). ' +
      (last.clientRssPerClient >= 0
        ? `The client process grew by ${kib(last.clientRssPerClient)} per client`
        : `The client process shrank by ${kib(-last.clientRssPerClient)} per client (garbage ` +
          'collected while the clients opened)') +
      ` at ${num(last.clients)} clients.`,
    '',
    table(run),
    '',
    verdicts(run),
    '',
    bounds(run),
    '',
    'Runs before 2026-12-06 21:00 reported a fan-out p99 of about 2.1 s at 10,000 clients. That ' +
      "was the benchmark's own doing: at each arrival its client process counted the connected " +
      'clients anew (10⁸ checks per fan-out at 10,000): most of the 1.2 s of CPU it spent per ' +
      'fan-out, which the server never spent. It now counts them once per fan-out; the same ' +
      'socket.io-client clients then measured a p99 of 581 ms (`--client socket.io-client`, load ' +
      '2.2 at start), bare WebSockets 315 ms.',
  ];
  if (baseline) {
    const change = run.steps
      .map((step) => {
        const before = baseline.steps.find((s) => s.clients === step.clients);
        if (!before) return null;
        const a = figures(before);
        const b = figures(step);
        return (
          `at ${num(step.clients)} clients, web RSS per idle client ${kib(a.bytesPerClient)} → ` +
          `${kib(b.bytesPerClient)} (${((b.bytesPerClient / a.bytesPerClient - 1) * 100).toFixed(0)} %), ` +
          `fan-out p99 ${ms(a.fanoutP99)} → ${ms(b.fanoutP99)}, web CPU per fan-out ` +
          `${ms(a.webCpuMs)} → ${ms(b.webCpuMs)}`
        );
      })
      .filter(Boolean);
    const otherClients = clientOf(baseline) !== clientOf(run);
    parts.push(
      '',
      otherClients
        ? `### The same with ${clientOf(baseline)} clients`
        : `### The run before the change${baseline.meta.label ? ` (${baseline.meta.label})` : ''}`,
      '',
      `Measured by ${runLine(baseline)} ` +
        (otherClients
          ? `The same web process and benchmark with other clients (${clientOf(baseline)}), in a ` +
            'separate run of the product, so the two runs also met different loads from the rest ' +
            'of the machine.'
          : 'A separate run of the product (the change is in the web process), so the two runs ' +
            'also met different loads from the rest of the machine: their difference is the ' +
            "change's and that load's together."),
      '',
      table(baseline),
      '',
      `${otherClients ? `${clientOf(baseline)} → ${clientOf(run)}` : 'Before → after'}: ${change.join('; ')}.`,
    );
  }
  parts.push('', GUIDANCE);
  if (run.requestHeap) parts.push('', requestHeapText(run.requestHeap));
  parts.push('', NO_ADAPTER);
  return parts.join('\n');
}

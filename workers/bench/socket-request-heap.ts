/**
 * Part of `npm run bench:sockets` (workers/bench/socket-fanout.ts): what socket.io keeps per
 * connection when it holds on to the HTTP request that opened the transport, and when it drops
 * it (app/_server/live.ts does, as socket.io's memory-usage page advises), in the same run. RSS
 * across two runs of the product cannot see a difference this small, so this measures the
 * JavaScript heap after a full collection: a socket.io server (the options live.ts gives it) in
 * a child process started with `--expose-gc`, once per variant, and the same clients from this
 * process (a browser's headers: cookie, origin, user agent), WebSocket-only ones and ones that
 * start on HTTP long-polling and upgrade, as a browser's do. It also counts the requests the
 * server's garbage collector freed: engine.io keeps the upgrade request of a WebSocket
 * (its WebSocketResponse listens for the TCP socket's close) whatever socket.io drops.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';

type Variant = 'keep' | 'drop';
export type Transports = 'websocket' | 'polling+websocket';
interface Heap {
  heapUsed: number;
  external: number;
}

export interface RequestHeapResult {
  clients: number;
  transports: Transports;
  /** Heap (+ external) bytes per connection, request kept and request dropped. */
  keep: number;
  drop: number;
  /** Requests the server freed with the request dropped, of `clients`. */
  freed: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** In the child: the server, answering 'measure' with the heap after a full collection. */
function serve(variant: Variant): void {
  const server = createServer();
  const io = new Server(server, { serveClient: false, perMessageDeflate: false });
  if (variant === 'drop') {
    io.engine.on('connection', (raw: { request: unknown }) => {
      raw.request = null;
    });
  }
  // Counts the handshake requests the collector frees.
  let freed = 0;
  const registry = new FinalizationRegistry(() => (freed += 1));
  io.engine.on('initial_headers', (_headers: unknown, req: object) => registry.register(req, 0));
  io.on('connection', (socket) => void socket.join('board'));
  const gc = (globalThis as { gc?: () => void }).gc!;
  server.listen(0, '127.0.0.1', () => {
    process.send!({ port: (server.address() as AddressInfo).port });
  });
  process.on('message', () => {
    gc();
    // Finalizers run after a collection, on a later turn.
    setTimeout(() => {
      gc();
      const { heapUsed, external } = process.memoryUsage();
      process.send!({ heapUsed, external, sockets: io.of('/').sockets.size, freed });
    }, 100);
  });
}

function ask<T>(child: ChildProcess, message?: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    if (message) child.send(message);
  });
}

async function measureVariant(
  variant: Variant,
  clients: number,
  transports: Transports,
): Promise<{ bytes: number; freed: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', variant], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
  });
  try {
    const { port } = await ask<{ port: number }>(child);
    const base = `http://127.0.0.1:${port}`;
    const before = await ask<Heap>(child, 'measure');
    const sockets: Socket[] = [];
    for (let i = 0; i < clients; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, clients - i) }, () => {
          const socket = connect(base, {
            transports: transports === 'websocket' ? ['websocket'] : ['polling', 'websocket'],
            forceNew: true,
            reconnection: false,
            extraHeaders: {
              cookie: `pulse_session=${'x'.repeat(43)}`,
              origin: base,
              'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0',
            },
          });
          sockets.push(socket);
          // Connected, and on WebSocket (a polling client upgrades just after it connects).
          return new Promise((resolve) => {
            const upgraded = () => socket.io.engine.transport.name === 'websocket';
            socket.once('connect', () => {
              if (upgraded()) resolve(undefined);
              else socket.io.engine.once('upgrade', () => resolve(undefined));
            });
          });
        }),
      );
    }
    await sleep(1000);
    const after = await ask<Heap & { sockets: number; freed: number }>(child, 'measure');
    for (const socket of sockets) socket.close();
    if (after.sockets !== clients) throw new Error(`${after.sockets} of ${clients} connected`);
    const bytes = (after.heapUsed + after.external - before.heapUsed - before.external) / clients;
    return { bytes, freed: after.freed };
  } finally {
    child.kill();
  }
}

/** Both variants, alternating, `rounds` times each; the median per variant. */
export async function requestHeap(
  clients: number,
  transports: Transports,
  rounds = 3,
): Promise<RequestHeapResult> {
  const keep: number[] = [];
  const drop: number[] = [];
  let freed = 0;
  for (let r = 0; r < rounds; r += 1) {
    keep.push((await measureVariant('keep', clients, transports)).bytes);
    const dropped = await measureVariant('drop', clients, transports);
    drop.push(dropped.bytes);
    freed = dropped.freed;
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { clients, transports, keep: median(keep), drop: median(drop), freed };
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) serve(process.argv[serveAt + 1] as Variant);

/**
 * The client side of `npm run bench:sockets` (workers/bench/socket-fanout.ts): many socket.io
 * clients in this one process, each what a signed-in browser's live board opens (the WebSocket
 * transport, the session cookie and our Origin on the handshake, subscribed to 'board'), opened
 * a bounded number at a time; one board update's arrival at every client, timed on this
 * process's clock; and a process's memory and CPU time read from /proc.
 */
import { readFileSync } from 'node:fs';
import { io as connect, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type { ClientToServerEvents, ServerToClientEvents } from '@/lib/views';
import { SESSION_COOKIE } from '@/app/_server/headers';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What a step of {@link BoardFleet.open} did. */
export interface OpenStep {
  /** Clients asked for in this step, and those connected and subscribed. */
  asked: number;
  opened: number;
  /** Per connected client: from `io()` to the 'connect' event (handshake and session check). */
  connectMs: number[];
  /** From the first `io()` of the step to the last client subscribed. */
  wallMs: number;
  /** Refusals and errors by message. */
  failures: Map<string, number>;
}

/** One board update's arrival at the clients. */
export interface Arrivals {
  /** Per client that received it: ms from the trigger to the 'points' handler. */
  latencyMs: number[];
  /** Clients it never reached within the timeout. */
  missing: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the benchmark asks of a fleet of board clients, whichever client library it uses. */
export interface Fleet {
  readonly clients: readonly unknown[];
  /** Other live messages seen by client 0 (the detector's windows, anomalies): noise in a trial. */
  readonly foreign: number;
  /** Size of the last 'points' message client 0 received, as JSON. */
  readonly payloadBytes: number;
  /** Sockets the server ended, or that dropped, while the fleet ran: by reason. */
  readonly dropped: Map<string, number>;
  open(count: number, concurrency: number, timeoutMs: number): Promise<OpenStep>;
  connected(): number;
  fanout(
    windowStart: number,
    trigger: () => Promise<void>,
    timeoutMs: number,
  ): Promise<Arrivals & { triggeredAt: number }>;
  close(): Promise<void>;
}

/** The clients a fleet is made of: socket.io's own, or bare WebSockets (see {@link RawBoardFleet}). */
export type ClientKind = 'socket.io-client' | 'ws';

export function makeFleet(kind: ClientKind, base: string, tokens: readonly string[]): Fleet {
  return kind === 'ws' ? new RawBoardFleet(base, tokens) : new BoardFleet(base, tokens);
}

/** Opens client `index` (its session is `tokens[index]`), noting in `step` what happened. */
type OpenOne = (index: number, step: OpenStep, fail: (message: string) => void) => Promise<void>;

/**
 * Opens clients `first` … `first + count − 1` with `one`, at most `concurrency` at a time (one
 * session each: `sessions` of them exist); what the step did.
 */
async function openClients(
  first: number,
  count: number,
  sessions: number,
  concurrency: number,
  one: OpenOne,
): Promise<OpenStep> {
  const step: OpenStep = { asked: count, opened: 0, connectMs: [], wallMs: 0, failures: new Map() };
  const fail = (message: string) =>
    step.failures.set(message, (step.failures.get(message) ?? 0) + 1);
  const end = first + count;
  if (end > sessions) throw new Error(`${end} clients but ${sessions} sessions`);
  let next = first;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < end) await one(next++, step, fail);
    }),
  );
  step.wallMs = Date.now() - started;
  return step;
}

/** Arrival bookkeeping of one fan-out, shared by both fleets. */
class ArrivalBook {
  expecting = NaN;
  private arrived = new Float64Array(0);
  private received = 0;
  /** Clients connected when the fan-out began: all of them have it once this many did. */
  private target = 0;
  private onAll: (() => void) | null = null;

  /** Records client `index`'s copy of the update of `windowStart`; false when not the one awaited. */
  arrive(index: number, windowStart: number): boolean {
    if (windowStart !== this.expecting) return false;
    if (!Number.isNaN(this.arrived[index]!)) return true;
    this.arrived[index] = Date.now();
    this.received += 1;
    if (this.received === this.target && this.onAll) this.onAll();
    return true;
  }

  async run(
    clients: number,
    target: number,
    windowStart: number,
    trigger: () => Promise<void>,
    timeoutMs: number,
  ): Promise<Arrivals & { triggeredAt: number }> {
    this.expecting = windowStart;
    this.arrived = new Float64Array(clients).fill(NaN);
    this.received = 0;
    this.target = target;
    const all = new Promise<void>((resolve) => (this.onAll = resolve));
    const triggeredAt = Date.now();
    await trigger();
    await Promise.race([all, sleep(timeoutMs)]);
    this.onAll = null;
    this.expecting = NaN;
    const latencyMs: number[] = [];
    for (const at of this.arrived) if (!Number.isNaN(at)) latencyMs.push(at - triggeredAt);
    return { latencyMs, missing: target - latencyMs.length, triggeredAt };
  }
}

/** A fleet of socket.io-client clients: what a browser's live board runs. */
export class BoardFleet implements Fleet {
  readonly clients: Client[] = [];
  /** Other live messages seen by client 0 (the detector's windows, anomalies): noise in a trial. */
  foreign = 0;
  /** Size of the last 'points' message client 0 received, as JSON. */
  payloadBytes = 0;
  /** Sockets the server ended, or that dropped, while the fleet ran: by reason. */
  readonly dropped = new Map<string, number>();
  private readonly book = new ArrivalBook();

  /** `tokens[i]` is the session of client i; `base` the product's origin. */
  constructor(
    private readonly base: string,
    private readonly tokens: readonly string[],
  ) {}

  /** Opens `count` more clients, at most `concurrency` handshakes in flight. */
  open(count: number, concurrency: number, timeoutMs: number): Promise<OpenStep> {
    const one: OpenOne = (index, step, fail) =>
      new Promise<void>((resolve) => {
        const t0 = Date.now();
        const client: Client = connect(this.base, {
          transports: ['websocket'],
          extraHeaders: {
            cookie: `${SESSION_COOKIE}=${this.tokens[index]}`,
            origin: this.base,
          },
          reconnection: false,
          forceNew: true,
          timeout: timeoutMs,
        });
        this.clients[index] = client;
        client.once('connect_error', (error) => {
          fail(`connect_error: ${error.message}`);
          client.close();
          resolve();
        });
        client.once('connect', () => {
          step.connectMs.push(Date.now() - t0);
          const timer = setTimeout(() => {
            fail('subscribe: no answer');
            resolve();
          }, timeoutMs);
          client.emit('subscribe', 'board', (result) => {
            clearTimeout(timer);
            if (!result.ok) fail(`subscribe: ${result.error}`);
            else step.opened += 1;
            resolve();
          });
        });
        client.on('disconnect', (reason) => {
          this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
        });
        client.on('points', (update) => {
          if (index === 0) this.payloadBytes = Buffer.byteLength(JSON.stringify(update));
          this.onPoints(index, update.windowStart);
        });
        if (index === 0) client.onAny((event) => event !== 'points' && (this.foreign += 1));
      });
    return openClients(this.clients.length, count, this.tokens.length, concurrency, one);
  }

  private onPoints(index: number, windowStart: number): void {
    if (!this.book.arrive(index, windowStart) && index === 0) this.foreign += 1;
  }

  /** Clients connected now. */
  connected(): number {
    let n = 0;
    for (const client of this.clients) if (client?.connected) n += 1;
    return n;
  }

  /**
   * Runs `trigger` (which makes the web tier emit the 'points' of `windowStart` to the board)
   * and waits until every connected client received it, or `timeoutMs`. Latencies from the
   * moment just before `trigger` was called.
   */
  async fanout(
    windowStart: number,
    trigger: () => Promise<void>,
    timeoutMs: number,
  ): Promise<Arrivals & { triggeredAt: number }> {
    return this.book.run(this.clients.length, this.connected(), windowStart, trigger, timeoutMs);
  }

  /** Closes every client and waits a moment for the closes to go out. */
  async close(): Promise<void> {
    for (const client of this.clients) client?.close();
    await sleep(500);
  }
}

/** The start of a 'points' event packet as socket.io writes it (EVENT, no namespace, no ack id). */
const POINTS_PREFIX = '42["points",';
const WINDOW_START = '"windowStart":';

/**
 * A fleet of bare WebSockets that speak the protocol themselves (Engine.IO 4, Socket.IO 5: open,
 * namespace connect, a 'subscribe' with its acknowledgement, pongs), each authenticated and
 * subscribed as socket.io-client is. A board update's arrival is its frame's: the client reads
 * the window from the frame's text and parses nothing else. socket.io-client, on the other hand,
 * decodes every packet and runs its handler, about 117 µs a client (docs/benchmarks.md): with
 * 10,000 clients in one process that is 1.2 s of one core spent after the server has written the
 * last frame, work that 10,000 browsers do each on their own machine. With these clients the
 * fan-out time is the server's delivery, which the target is about.
 */
export class RawBoardFleet implements Fleet {
  readonly clients: (WebSocket | undefined)[] = [];
  foreign = 0;
  payloadBytes = 0;
  readonly dropped = new Map<string, number>();
  private readonly ready: boolean[] = [];
  private readonly book = new ArrivalBook();
  private readonly url: string;

  constructor(
    private readonly base: string,
    private readonly tokens: readonly string[],
  ) {
    this.url = `${base.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  }

  open(count: number, concurrency: number, timeoutMs: number): Promise<OpenStep> {
    const one: OpenOne = (index, step, fail) =>
      new Promise<void>((resolve) => {
        const t0 = Date.now();
        let settled = false;
        const done = (failure?: string) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (failure) {
            fail(failure);
            socket.terminate();
          }
          resolve();
        };
        const timer = setTimeout(() => done('no answer'), timeoutMs);
        const socket = new WebSocket(this.url, {
          headers: { cookie: `${SESSION_COOKIE}=${this.tokens[index]}`, origin: this.base },
          perMessageDeflate: false,
        });
        this.clients[index] = socket;
        socket.on('error', (error) => done(`error: ${error.message}`));
        socket.on('close', (code) => {
          const was = this.ready[index];
          this.ready[index] = false;
          if (was) this.dropped.set(`close ${code}`, (this.dropped.get(`close ${code}`) ?? 0) + 1);
          done(`closed ${code} before subscribing`);
        });
        socket.on('message', (data: Buffer, isBinary: boolean) => {
          if (isBinary) return;
          const text = data.toString();
          if (text === '2') {
            socket.send('3'); // ping → pong
          } else if (text.startsWith('42')) {
            this.onEvent(index, text);
          } else if (text.startsWith('0')) {
            socket.send('40'); // open → connect to the main namespace
          } else if (text.startsWith('40')) {
            step.connectMs.push(Date.now() - t0);
            socket.send('420["subscribe","board"]');
          } else if (text.startsWith('44')) {
            done(`connect_error: ${text.slice(2)}`);
          } else if (text.startsWith('430')) {
            const [result] = JSON.parse(text.slice(3)) as [{ ok: boolean; error?: string }];
            if (!result.ok) return done(`subscribe: ${result.error}`);
            this.ready[index] = true;
            step.opened += 1;
            done();
          } else if (text.startsWith('41') || text === '1') {
            this.dropped.set('server disconnect', (this.dropped.get('server disconnect') ?? 0) + 1);
          }
        });
      });
    return openClients(this.clients.length, count, this.tokens.length, concurrency, one);
  }

  private onEvent(index: number, text: string): void {
    if (!text.startsWith(POINTS_PREFIX)) {
      if (index === 0) this.foreign += 1;
      return;
    }
    const at = text.indexOf(WINDOW_START);
    const windowStart = at < 0 ? NaN : parseInt(text.slice(at + WINDOW_START.length, at + 40), 10);
    if (index === 0) {
      const [, update] = JSON.parse(text.slice(2)) as [string, unknown];
      this.payloadBytes = Buffer.byteLength(JSON.stringify(update));
    }
    if (!this.book.arrive(index, windowStart) && index === 0) this.foreign += 1;
  }

  connected(): number {
    let n = 0;
    for (const ready of this.ready) if (ready) n += 1;
    return n;
  }

  fanout(
    windowStart: number,
    trigger: () => Promise<void>,
    timeoutMs: number,
  ): Promise<Arrivals & { triggeredAt: number }> {
    return this.book.run(this.clients.length, this.connected(), windowStart, trigger, timeoutMs);
  }

  async close(): Promise<void> {
    for (const [i, socket] of this.clients.entries()) {
      this.ready[i] = false;
      socket?.close();
    }
    await sleep(500);
  }
}

// ── a process, from /proc ────────────────────────────────────────────────────────────────────

/** Resident memory of `pid` (VmRSS), in bytes. */
export function rssBytes(pid: number | 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time `pid` used so far, in ms: in user space and in the kernel on its behalf. */
export function cpuSplitMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    user: (Number(fields[11]) * 1000) / TICKS_PER_SECOND,
    system: (Number(fields[12]) * 1000) / TICKS_PER_SECOND,
  };
}

/** This process's limit on open files (`ulimit -n`): soft and hard. */
export function openFileLimit(): { soft: number; hard: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  const parse = (x: string | undefined) => (x === 'unlimited' ? Infinity : Number(x));
  return { soft: parse(match?.[1]), hard: parse(match?.[2]) };
}

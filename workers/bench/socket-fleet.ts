/**
 * The client side of `npm run bench:sockets` (workers/bench/socket-fanout.ts): many socket.io
 * clients in this one process, each what a signed-in browser's live board opens (the WebSocket
 * transport, the session cookie and our Origin on the handshake, subscribed to 'board'), opened
 * a bounded number at a time; one board update's arrival at every client, timed on this
 * process's clock; and a process's memory and CPU time read from /proc.
 */
import { readFileSync } from 'node:fs';
import { io as connect, type Socket } from 'socket.io-client';
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

export class BoardFleet {
  readonly clients: Client[] = [];
  /** Other live messages seen by client 0 (the detector's windows, anomalies): noise in a trial. */
  foreign = 0;
  /** Size of the last 'points' message client 0 received, as JSON. */
  payloadBytes = 0;
  /** Sockets the server ended, or that dropped, while the fleet ran: by reason. */
  readonly dropped = new Map<string, number>();
  private expecting = NaN;
  private arrived = new Float64Array(0);
  private received = 0;
  private onAll: (() => void) | null = null;

  /** `tokens[i]` is the session of client i; `base` the product's origin. */
  constructor(
    private readonly base: string,
    private readonly tokens: readonly string[],
  ) {}

  /** Opens `count` more clients, at most `concurrency` handshakes in flight. */
  async open(count: number, concurrency: number, timeoutMs: number): Promise<OpenStep> {
    const step: OpenStep = {
      asked: count,
      opened: 0,
      connectMs: [],
      wallMs: 0,
      failures: new Map(),
    };
    const fail = (message: string) =>
      step.failures.set(message, (step.failures.get(message) ?? 0) + 1);
    const end = this.clients.length + count;
    if (end > this.tokens.length)
      throw new Error(`${end} clients but ${this.tokens.length} sessions`);
    let next = this.clients.length;
    const started = Date.now();
    const one = (index: number) =>
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
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, async () => {
        while (next < end) await one(next++);
      }),
    );
    step.wallMs = Date.now() - started;
    return step;
  }

  private onPoints(index: number, windowStart: number): void {
    if (windowStart !== this.expecting) {
      if (index === 0) this.foreign += 1;
      return;
    }
    if (!Number.isNaN(this.arrived[index]!)) return;
    this.arrived[index] = Date.now();
    this.received += 1;
    if (this.received === this.connected() && this.onAll) this.onAll();
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
    this.expecting = windowStart;
    this.arrived = new Float64Array(this.clients.length).fill(NaN);
    this.received = 0;
    const target = this.connected();
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

  /** Closes every client and waits a moment for the closes to go out. */
  async close(): Promise<void> {
    for (const client of this.clients) client?.close();
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

/** CPU time (user + system) `pid` used so far, in ms (10 ms resolution). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** This process's limit on open files (`ulimit -n`): soft and hard. */
export function openFileLimit(): { soft: number; hard: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  const parse = (x: string | undefined) => (x === 'unlimited' ? Infinity : Number(x));
  return { soft: parse(match?.[1]), hard: parse(match?.[2]) };
}

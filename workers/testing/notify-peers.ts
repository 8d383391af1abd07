/**
 * Real peers for the notifier's integration tests: an HTTP receiver (node:http on an ephemeral
 * port) whose answers a test scripts, and an SMTP server (the `smtp-server` package) that keeps
 * what it receives. Never a mocked transport: the notifier talks to them over sockets.
 */
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/** One request the receiver got. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, as sent (what the signature covers). */
  body: string;
  at: number;
}

/**
 * How the receiver answers: a status (after `delayMs`), or `hold` — keep the request open
 * without answering until the receiver stops (a receiver that hangs, or a worker killed while
 * it waits).
 */
export type Reply = { status: number; headers?: Record<string, string>; delayMs?: number } | 'hold';

export interface HttpReceiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  requests: Received[];
  /** Requests being answered or held right now, and the most at once so far. */
  open(): number;
  maxOpen(): number;
  /** Decides each answer; 200 by default. */
  reply: (request: Received) => Reply;
  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number, timeoutMs?: number): Promise<Received[]>;
  /** Stops listening and drops every connection (held requests included). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

/** A port nothing listens on (yet): connections to it are refused. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts an HTTP receiver on `port` (ephemeral by default). */
export async function startHttpReceiver(
  options: { port?: number; reply?: HttpReceiver['reply'] } = {},
): Promise<HttpReceiver> {
  const requests: Received[] = [];
  const waiters: (() => void)[] = [];
  const held = new Set<ServerResponse>();
  let open = 0;
  let maxOpen = 0;
  let server: Server | null = null;

  const receiver: HttpReceiver = {
    origin: '',
    port: options.port ?? 0,
    requests,
    open: () => open,
    maxOpen: () => maxOpen,
    reply: options.reply ?? (() => ({ status: 200 })),
    async waitForRequests(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${n} requests, got ${requests.length} in ${timeoutMs} ms`);
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return requests.slice(0, n);
    },
    async stop() {
      if (!server) return;
      const closing = server;
      server = null;
      for (const res of held) res.destroy();
      held.clear();
      closing.close();
      closing.closeAllConnections();
      await once(closing, 'close');
    },
    async restart() {
      await listen(receiver.port);
    },
  };

  async function listen(port: number): Promise<void> {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request: Received = {
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        requests.push(request);
        for (const wake of waiters.splice(0)) wake();
        open++;
        maxOpen = Math.max(maxOpen, open);
        res.on('close', () => open--);
        const reply = receiver.reply(request);
        if (reply === 'hold') {
          held.add(res);
          return;
        }
        const answer = () => {
          if (res.destroyed) return;
          res.writeHead(reply.status, reply.headers).end();
        };
        if (reply.delayMs) {
          held.add(res);
          setTimeout(answer, reply.delayMs).unref();
        } else answer();
      });
    });
    s.listen(port, '127.0.0.1');
    await once(s, 'listening');
    server = s;
    receiver.port = (s.address() as AddressInfo).port;
    receiver.origin = `http://127.0.0.1:${receiver.port}`;
  }

  await listen(receiver.port);
  return receiver;
}

/** A message the SMTP server accepted. */
export interface ReceivedMail {
  from: string | null;
  to: string[];
  /** The whole message as sent (headers and MIME parts). */
  raw: string;
  user: string | undefined;
}

export interface SmtpPeer {
  port: number;
  /** `smtp://user:password@127.0.0.1:<port>` */
  url(user: string, password: string): string;
  messages: ReceivedMail[];
  /** Messages offered so far (accepted or not). */
  offered: number;
  /**
   * Decides whether the `n`th message offered (1-based) is refused, and with what reply;
   * null accepts it. Accepts everything by default.
   */
  reject: (n: number) => { code: number; message: string } | null;
  stop(): Promise<void>;
}

/**
 * Starts an SMTP server on an ephemeral port that requires AUTH with `users` (over plain TCP:
 * STARTTLS is off, so the client needs no certificate) and keeps every message it accepts.
 */
export async function startSmtpPeer(users: Record<string, string>): Promise<SmtpPeer> {
  const messages: ReceivedMail[] = [];
  const peer: SmtpPeer = {
    port: 0,
    url: (user, password) =>
      `smtp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${peer.port}`,
    messages,
    offered: 0,
    reject: () => null,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const fail = (code: number, message: string) =>
    Object.assign(new Error(message), { responseCode: code });
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (users[auth.username ?? ''] === auth.password) callback(null, { user: auth.username });
      else callback(fail(535, 'Authentication credentials invalid'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const refusal = peer.reject(++peer.offered);
        if (refusal) return callback(fail(refusal.code, refusal.message));
        const address = (a: SMTPServerAddress | false) => (a ? a.address : null);
        messages.push({
          from: address(session.envelope.mailFrom),
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback(null, 'queued');
      });
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  peer.port = (server.server.address() as AddressInfo).port;
  return peer;
}

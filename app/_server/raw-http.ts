/**
 * Plain Node http for the endpoints server.ts serves itself, before Next (POST /api/ingest):
 * reading a body within a byte limit while it streams, and JSON answers that are never cached.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BodyCollector, tooLargeMessage } from '@/lib/ingest/http-body';

/** How long a refused body may keep streaming in (discarded) before the socket is closed. */
const DISCARD_GRACE_MS = 2000;

/** Closes the connection after the answer (the body was not, or not all, read). */
export const CLOSE = { connection: 'close' } as const;

/**
 * Reads the body within the limit. Null when it was answered already (413) or the client
 * went away. A body over the limit is answered 413 at once; what the client still sends is
 * discarded (never kept) for a short grace, so that it can read the answer, then the
 * connection is closed.
 */
export function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  max: number,
): Promise<string | null> {
  return new Promise((resolve) => {
    const collector = new BodyCollector(max);
    let settled = false;
    const finish = (value: string | null) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      if (collector.push(chunk)) return;
      finish(null);
      send(res, 413, { error: tooLargeMessage(max) }, CLOSE);
      discard(req);
    };
    const onEnd = () => finish(collector.text());
    const onGone = () => finish(null);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

/**
 * The largest body a route handler of Next.js reads (JSON mutations: a few hundred bytes in
 * practice). Next copies a request's body before any route sees it, up to 10 MB, so
 * {@link refuseUnboundedBody} enforces the limit in server.ts, before Next; the route helper
 * enforces it again while it reads (app/_server/api-route.ts readJson).
 */
export const MAX_JSON_BODY_BYTES = 16_384;

/**
 * For requests passed on to Next.js: a body must declare its length, within `max`. A larger
 * one is answered 413 and a body without a length (chunked) 411 at once, before anything is
 * buffered; what the client still sends is discarded and the connection closed. True when the
 * request was answered here.
 */
export function refuseUnboundedBody(
  req: IncomingMessage,
  res: ServerResponse,
  max = MAX_JSON_BODY_BYTES,
): boolean {
  const declared = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (declared === undefined || Number(declared) <= max)) return false;
  if (chunked) {
    send(res, 411, { error: 'Send the body with a Content-Length.' }, CLOSE);
  } else {
    send(res, 413, { error: `The request body is larger than ${max} bytes.` }, CLOSE);
  }
  discard(req);
  return true;
}

/** Swallows the rest of a refused body without keeping it, then closes the connection. */
function discard(req: IncomingMessage): void {
  const timer = setTimeout(() => req.socket.destroy(), DISCARD_GRACE_MS);
  timer.unref();
  req.on('error', () => undefined);
  req.on('end', () => clearTimeout(timer));
  req.resume();
}

/** Answers JSON (never cached, never sniffed); nothing when an answer went out already. */
export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/** The web server's limits against slow and greedy clients (PULSE_HTTP_*). */
export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}

/**
 * An http.Server with `limits`: a client must send its headers within `headersTimeoutMs` and
 * its whole request within `requestTimeoutMs` (checked every second, not Node's default 30 s);
 * a connection silent for `idleTimeoutMs` (a stalled body) is closed; beyond `maxConnections`
 * new connections are closed at once. WebSockets are not affected by the idle timeout (the ws
 * library clears it on upgrade: socket.io's own pings watch them).
 */
export function createLimitedServer(
  limits: ServerLimits,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      // Keep-alive ends before the idle timeout would cut a connection mid-request.
      keepAliveTimeout: Math.min(5000, limits.idleTimeoutMs),
    },
    listener,
  );
  // Node destroys a socket idle this long (the server has no 'timeout' listener).
  server.timeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  return server;
}

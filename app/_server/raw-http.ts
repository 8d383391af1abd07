/**
 * Plain Node http for the endpoints server.ts serves itself, before Next (POST /api/ingest):
 * reading a body within a byte limit while it streams, and JSON answers that are never cached.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/**
 * The web server's guards against slow and greedy clients, on a real http.Server and raw TCP
 * clients (findings: a slow body held open up to Node's 300 s; Next buffering 10 MB bodies
 * before any route limited them).
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLimitedServer, MAX_JSON_BODY_BYTES, refuseUnboundedBody } from './raw-http';

const LIMITS = {
  headersTimeoutMs: 600,
  requestTimeoutMs: 1500,
  idleTimeoutMs: 400,
  maxConnections: 5,
};

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server with the limits whose handler reads the body, then answers how much it read. */
async function start(): Promise<number> {
  server = createLimitedServer(LIMITS, (req, res) => {
    if (refuseUnboundedBody(req, res)) return;
    let size = 0;
    req.on('data', (chunk: Buffer) => (size += chunk.length));
    req.on('end', () => res.end(String(size)));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A raw client: what it receives, and when the server closed it (ms after connecting). */
function client(port: number) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => resolve(Date.now() - started)),
  );
  return { socket, closed, received: () => received };
}

describe('createLimitedServer', () => {
  it('closes a connection whose body stalls, after the idle timeout', async () => {
    const port = await start();
    const c = client(port);
    c.socket.write('POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 1000\r\n\r\n{"a":');
    const after = await c.closed;
    expect(after).toBeGreaterThanOrEqual(LIMITS.idleTimeoutMs - 50);
    expect(after).toBeLessThan(LIMITS.requestTimeoutMs + 1500);
  });

  it('closes a connection that drips its body, after the request timeout', async () => {
    const port = await start();
    const c = client(port);
    c.socket.write('POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 10000\r\n\r\n');
    // A byte every 100 ms: never idle, never done.
    const drip = setInterval(() => c.socket.writable && c.socket.write('x'), 100);
    const after = await c.closed;
    clearInterval(drip);
    expect(after).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs - 50);
    expect(after).toBeLessThan(LIMITS.requestTimeoutMs + 1500);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection that drips its headers, after the headers timeout', async () => {
    const port = await start();
    const c = client(port);
    const drip = setInterval(() => c.socket.writable && c.socket.write('x-slow: 1\r\n'), 100);
    c.socket.write('GET /x HTTP/1.1\r\nhost: a\r\n');
    const after = await c.closed;
    clearInterval(drip);
    expect(after).toBeLessThan(LIMITS.headersTimeoutMs + 1500);
  });

  it('holds at most maxConnections connections', async () => {
    const port = await start();
    const open = Array.from({ length: LIMITS.maxConnections }, () => client(port));
    for (const c of open)
      c.socket.write('POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const extra = client(port);
    // Closed at once, not after a timeout.
    expect(await extra.closed).toBeLessThan(LIMITS.idleTimeoutMs);
    expect(extra.received()).toBe('');
  });
});

describe('refuseUnboundedBody', () => {
  it('answers a declared body over the limit 413 before reading it', async () => {
    const port = await start();
    const c = client(port);
    c.socket.write(
      `POST /api/auth/login HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ncontent-length: ${10 * 1024 * 1024}\r\n\r\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(c.received()).toMatch(/^HTTP\/1\.1 413/);
    expect(c.received()).toContain(`larger than ${MAX_JSON_BODY_BYTES} bytes`);
    expect(c.received().toLowerCase()).toContain('connection: close');
  });

  it('answers a body without a length (chunked) 411', async () => {
    const port = await start();
    const c = client(port);
    c.socket.write(
      'POST /x HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(c.received()).toMatch(/^HTTP\/1\.1 411/);
  });

  it('lets a body within the limit through', async () => {
    const port = await start();
    const body = JSON.stringify({ username: 'a', password: 'b' });
    const response = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(String(body.length));
  });
});

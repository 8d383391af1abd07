/**
 * The web server's dispatch on a real http.Server: what route handlers trust about a request is
 * set here over anything the client sent (a client cannot claim our origin or another address),
 * bodies Next would buffer are refused before it, and every response carries the headers.
 */
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { createTelemetry } from '@/lib/observability/telemetry';
import type { Sql } from '@/db/client';
import { CLIENT_ADDRESS_HEADER, ORIGIN_HEADER } from './headers';
import { createWebServer, headersOnEveryResponse } from './web-server';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server whose "Next.js" answers with the trusted headers it was given. */
async function start(env: Record<string, string> = {}): Promise<string> {
  const config = parseConfig({ DATABASE_URL: 'postgres://x@localhost/x', ...env });
  server = createWebServer({
    config,
    ingest: { handle: (_req, res) => res.end('ingest') },
    next: (req: IncomingMessage, res) =>
      res.end(
        JSON.stringify({
          origin: req.headers[ORIGIN_HEADER],
          address: req.headers[CLIENT_ADDRESS_HEADER],
        }),
      ),
    sql: {} as Sql,
    telemetry: createTelemetry(),
    log: createLogger('test', 'silent'),
  });
  headersOnEveryResponse(server);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('createWebServer', () => {
  it('overwrites the origin and address a client claims with what the server saw', async () => {
    const base = await start();
    const response = await fetch(`${base}/metrics-page`, {
      headers: {
        [ORIGIN_HEADER]: 'https://evil.example',
        [CLIENT_ADDRESS_HEADER]: '203.0.113.1',
        'x-forwarded-for': '198.51.100.1',
        'x-forwarded-proto': 'https',
      },
    });
    expect(await response.json()).toEqual({ origin: base, address: '127.0.0.1' });
  });

  it('trusts a proxy only when told to, and then its last X-Forwarded-For entry', async () => {
    const base = await start({
      PULSE_TRUST_PROXY: 'true',
      PULSE_PUBLIC_URL: 'https://pulse.example.com',
    });
    const response = await fetch(`${base}/`, {
      headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' },
    });
    expect(await response.json()).toEqual({
      origin: 'https://pulse.example.com',
      address: '198.51.100.7',
    });
  });

  it('refuses a body Next.js would buffer, before Next sees it', async () => {
    const base = await start();
    const response = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(20_000),
    });
    expect(response.status).toBe(413);
  });

  it('puts the security headers on every response, its own included', async () => {
    const base = await start();
    for (const path of ['/api/health', '/anything', '/api/ingest']) {
      const response = await fetch(`${base}${path}`, {
        method: path === '/api/ingest' ? 'POST' : 'GET',
      });
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
    }
  });
});

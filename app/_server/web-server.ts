/**
 * The web process's http.Server and the order in which a request meets its guards and
 * handlers: what the request is trusted to say (our origin, the client's address) is set over
 * anything the client sent; then `/api/health`, `POST /api/ingest` (which limits its own body
 * while it streams) and, for everything else, the body guard (Next.js copies a body before any
 * route limits it), `/metrics`, and Next.js. The server's limits against slow and greedy
 * clients apply to every connection (./raw-http.ts). Security headers go on every response,
 * socket.io's included, once socket.io is attached ({@link headersOnEveryResponse}).
 *
 * Loaded by server.ts before Next.js is prepared: it receives Next's handler, never imports it.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Config } from '@/lib/config/schema';
import type { Logger } from '@/lib/observability/log';
import type { Telemetry } from '@/lib/observability/telemetry';
import type { Sql } from '@/db/client';
import { CLIENT_ADDRESS_HEADER, clientAddressOf, incomingOrigin, ORIGIN_HEADER } from './headers';
import { isMetricsRequest, serveMetrics } from './metrics-endpoint';
import { createLimitedServer, refuseUnboundedBody } from './raw-http';
import { applyBaseHeaders } from './security-headers';

type Handle = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface WebServerParts {
  config: Pick<Config, 'publicUrl' | 'trustProxy' | 'http'>;
  /** POST /api/ingest (./http-ingest.ts). */
  ingest: { handle: Handle };
  /** Next.js's request handler. */
  next: Handle;
  sql: Sql;
  telemetry: Telemetry;
  log: Logger;
}

export function createWebServer(parts: WebServerParts): Server {
  const { config, ingest, next, sql, telemetry, log } = parts;
  const originPolicy = { publicUrl: config.publicUrl, trustProxy: config.trustProxy };
  return createLimitedServer(config.http, (req, res) => {
    req.headers[ORIGIN_HEADER] = incomingOrigin(req, originPolicy) ?? '';
    req.headers[CLIENT_ADDRESS_HEADER] = clientAddressOf(req, config.trustProxy);
    if (req.url === '/api/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    if (req.url === '/api/ingest' || req.url?.startsWith('/api/ingest?')) {
      void ingest.handle(req, res);
      return;
    }
    if (refuseUnboundedBody(req, res)) return;
    // Prometheus: this process merged with the workers' snapshots (./metrics-endpoint.ts).
    if (isMetricsRequest(req)) {
      void serveMetrics(req, res, sql, telemetry, (error) =>
        log.warn({ err: error }, 'could not serve /metrics'),
      );
      return;
    }
    void next(req, res);
  });
}

/**
 * Puts the security headers on every response of `server`: a listener run first, added after
 * socket.io took over the request listener (it keeps the listeners it found for the requests
 * that are not its own), so that socket.io's own answers carry them too. proxy.ts gives pages
 * their own policy over these (./security-headers.ts).
 */
export function headersOnEveryResponse(server: Server): void {
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) =>
    applyBaseHeaders(res),
  );
}

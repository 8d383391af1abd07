/**
 * Composition root of the web process: one http.Server for Next.js and socket.io. LISTENs to
 * PostgreSQL notices from the workers, reads what changed and emits it to socket.io rooms.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import next from 'next';
import { Server, type Socket } from 'socket.io';
import { config } from './env';
import { ConfigError } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import type { ClientToServerEvents, ServerToClientEvents } from '@/lib/views';
import { createDb, type DbHandle } from '@/db/client';
import { sessionUser, type SessionUser } from '@/db/queries/auth';
import { pointsOfWindow, type PointRow } from '@/db/queries/detection';
import { getMetric, toRule } from '@/db/queries/metrics';
import { CHANNEL, parseNotice, type PulseNotice } from '@/db/queries/notify';
import { anomalySummary, toBoardPoint } from '@/db/queries/views';
import { registerDb } from '@/app/_server/context';
import { SESSION_COOKIE } from '@/app/_server/cookie';
import { startHttpIngest } from '@/app/_server/http-ingest';
import { isMetricsRequest, serveMetrics, webTelemetry } from '@/app/_server/metrics-endpoint';

type PulseSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  object,
  { user: SessionUser }
>;
type PulseIo = Server<ClientToServerEvents, ServerToClientEvents, object, { user: SessionUser }>;

const ROOM = /^(board|anomaly:\d{1,10})$/;

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

/** True when the request has no Origin (not a browser) or one matching its Host. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** Turns one NOTIFY into socket.io emissions. Reads by id: notices carry no payloads. */
export async function relayNotice(io: PulseIo, handle: DbHandle, notice: PulseNotice) {
  const { db } = handle;
  if (notice.kind === 'window') {
    const rows: PointRow[] = await pointsOfWindow(db, notice.windowStart);
    io.to('board').emit('points', {
      windowStart: notice.windowStart,
      points: rows.map((r) => ({ ...toBoardPoint(r), metricId: r.metricId })),
    });
  } else if (notice.kind === 'anomaly') {
    const summary = await anomalySummary(db, notice.id);
    if (summary) io.to('board').to(`anomaly:${summary.id}`).emit('anomaly', summary);
  } else if (notice.kind === 'rule') {
    const metric = await getMetric(db, notice.metricId);
    if (metric) io.to('board').emit('rule', { metricId: metric.id, rule: toRule(metric) });
  }
}

async function main(): Promise<void> {
  const cfg = config();
  const log = createLogger('web', cfg.logLevel);
  if (!cfg.databaseUrl) throw new ConfigError(['DATABASE_URL: required by the web process']);
  const handle = createDb(cfg.databaseUrl, { max: 10, appName: 'pulse-web' });
  registerDb(handle);
  const telemetry = webTelemetry();
  // POST /api/ingest is served here, before Next, not as a route handler: it limits the raw
  // body while it streams, and its group commit needs one flusher per process that owns source
  // http/0 (claimed now, written on shutdown). One web instance serves HTTP ingest: a second
  // one fences this one, which then answers 503 and logs it (app/_server/http-ingest.ts).
  const ingest = await startHttpIngest(
    { sql: handle.sql, db: handle.db, log: log.child({ component: 'ingest' }), telemetry },
    {
      owner: `web:${hostname()}:${process.pid}`,
      windowMs: cfg.windowMs,
      outOfOrderMs: cfg.outOfOrderMs,
      allowedLatenessMs: cfg.allowedLatenessMs,
      maxValuesPerDim: cfg.maxValuesPerDim,
      ...cfg.ingest,
    },
  );

  const dev = cfg.nodeEnv === 'development';
  const app = next({ dev, hostname: cfg.host, port: cfg.port, dir: process.cwd() });
  const handler = app.getRequestHandler();
  await app.prepare();

  const server = createServer((req, res) => {
    if (req.url === '/api/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    if (req.url === '/api/ingest' || req.url?.startsWith('/api/ingest?')) {
      void ingest.handle(req, res);
      return;
    }
    // Prometheus: this process merged with the workers' snapshots (see app/_server/metrics-endpoint.ts).
    if (isMetricsRequest(req)) {
      void serveMetrics(req, res, handle.sql, telemetry, (error) =>
        log.warn({ err: error }, 'could not serve /metrics'),
      );
      return;
    }
    void handler(req, res);
  });

  const io: PulseIo = new Server(server, {
    serveClient: false,
    // Cross-site WebSocket hijacking guard: a browser's handshake must come from our origin.
    allowRequest: (req, callback) => callback(null, sameOrigin(req)),
  });
  io.use((socket: PulseSocket, nextMiddleware) => {
    const token = readCookie(socket.request, SESSION_COOKIE);
    if (!token) return nextMiddleware(new Error('unauthorized'));
    sessionUser(handle.db, token)
      .then((user) => {
        if (!user) return nextMiddleware(new Error('unauthorized'));
        socket.data.user = user;
        nextMiddleware();
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'socket auth failed');
        nextMiddleware(new Error('unavailable'));
      });
  });
  io.on('connection', (socket: PulseSocket) => {
    telemetry.socketConnected();
    socket.on('disconnect', () => telemetry.socketDisconnected());
    socket.on('subscribe', (room) => {
      if (typeof room === 'string' && ROOM.test(room)) void socket.join(room);
    });
  });

  const listener = await handle.sql.listen(
    CHANNEL,
    (payload) => {
      const notice = parseNotice(payload);
      if (!notice) return;
      relayNotice(io, handle, notice).catch((error: unknown) =>
        log.warn({ err: error, notice }, 'could not relay notice'),
      );
    },
    () => log.info('listening for worker notices'),
  );

  await new Promise<void>((resolve) => server.listen(cfg.port, cfg.host, resolve));
  log.info({ url: `http://${cfg.host}:${cfg.port}` }, 'web server ready');

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    log.info('shutting down');
    const timeout = new Promise((resolve) => setTimeout(resolve, 5000));
    await Promise.race([
      (async () => {
        await ingest.stop(3000);
        await listener.unlisten().catch(() => undefined);
        await new Promise((resolve) => io.close(() => resolve(undefined)));
        await handle.close();
      })(),
      timeout,
    ]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

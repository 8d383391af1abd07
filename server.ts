/**
 * Composition root of the web process: one http.Server for Next.js (pages and route handlers),
 * HTTP ingest, /metrics and socket.io (live push, app/_server/live.ts). Parses configuration,
 * builds the clients, wires the services, and shuts them down on a signal.
 */
import { hostname } from 'node:os';
import next from 'next';
import { config } from '@/env';
import { ConfigError } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { createDb } from '@/db/client';
import { registerWeb } from '@/app/_server/context';
import { startHttpIngest } from '@/app/_server/http-ingest';
import { startLive } from '@/app/_server/live';
import { webTelemetry } from '@/app/_server/metrics-endpoint';
import { createWebServer, headersOnEveryResponse } from '@/app/_server/web-server';

async function main(): Promise<void> {
  const cfg = config();
  const log = createLogger('web', cfg.logLevel);
  if (!cfg.databaseUrl) throw new ConfigError(['DATABASE_URL: required by the web process']);
  const handle = createDb(cfg.databaseUrl, { max: 10, appName: 'pulse-web' });
  // Next's route handlers and pages reach these handles through app/_server/context.ts.
  registerWeb({ db: handle.db, sql: handle.sql, log, config: cfg });
  const telemetry = webTelemetry();
  // POST /api/ingest is served here, before Next, not as a route handler: it limits the raw
  // body while it streams, and its group commit needs one flusher per process, which owns
  // source partition http/<PULSE_INSTANCE> (claimed now, written on shutdown). Instances with
  // different numbers ingest side by side; one with the same number fences this one, which
  // then answers 503 and logs it (app/_server/http-ingest.ts).
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

  const server = createWebServer({
    config: cfg,
    ingest,
    next: handler,
    sql: handle.sql,
    telemetry,
    log,
  });

  const live = await startLive(
    server,
    { db: handle.db, sql: handle.sql, log, telemetry },
    {
      windowMs: cfg.windowMs,
      origin: { publicUrl: cfg.publicUrl, trustProxy: cfg.trustProxy },
      maxRooms: cfg.http.socketMaxRooms,
    },
  );
  headersOnEveryResponse(server);

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
        await live.close();
        await handle.close();
      })(),
      timeout,
    ]);
    process.exit(0);
  };
  // `on`, not `once`: a second signal must not end the process before ingest's final flush.
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  // Run by the supervisor (an IPC channel): stop when it is gone, killed without stopping us.
  if (process.send) process.on('disconnect', () => void shutdown());
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

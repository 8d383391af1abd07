/**
 * Live push: socket.io on the web process's http.Server. A browser's handshake must come from
 * our own origin and carry a valid session cookie; it then joins rooms (`board`,
 * `anomaly:<id>`). The service LISTENs to the workers' and use cases' NOTIFYs (ids, not
 * payloads: db/queries/notify.ts), reads what changed and emits it to the rooms that show it. A
 * browser that reconnects catches up over REST.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Logger } from '@/lib/observability/log';
import type { Telemetry } from '@/lib/observability/telemetry';
import type { ClientToServerEvents, ServerToClientEvents } from '@/lib/views';
import type { Db, Sql } from '@/db/client';
import { sessionUser, type SessionUser } from '@/db/queries/auth';
import { getMetric, toRule } from '@/db/queries/metrics';
import { CHANNEL, parseNotice, type PulseNotice } from '@/db/queries/notify';
import { pointsOfWindow } from '@/db/queries/points';
import { anomalySummary, loadBoardMetric, toBoardPoint } from '@/db/queries/views';
import {
  incomingOrigin,
  isSameOrigin,
  readCookie,
  SESSION_COOKIE,
  type OriginPolicy,
} from './headers';

type SocketData = { user: SessionUser };
type PulseSocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
export type PulseIo = Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>;

const ROOM = /^(board|anomaly:\d{1,10})$/;

/** True when the handshake has no Origin (not a browser) or our own (scheme, host, port). */
function sameOrigin(req: IncomingMessage, policy: OriginPolicy): boolean {
  const origin = req.headers.origin;
  return !origin || isSameOrigin(origin, incomingOrigin(req, policy));
}

/**
 * Turns one NOTIFY into socket.io emissions. Reads by id: notices carry no payloads. `windowMs`
 * (PULSE_WINDOW) sizes the recent points a metric's board view carries, as GET /api/board does.
 */
export async function relayNotice(
  io: PulseIo,
  reads: { db: Db; windowMs: number },
  notice: PulseNotice,
): Promise<void> {
  const { db } = reads;
  if (notice.kind === 'window') {
    const rows = await pointsOfWindow(db, notice.windowStart);
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
  } else if (notice.kind === 'metric') {
    const metric = await loadBoardMetric(db, notice.metricId, { windowMs: reads.windowMs });
    if (metric) io.to('board').emit('metric', metric);
  }
}

export interface Live {
  io: PulseIo;
  /** Stops listening and closes every socket. */
  close(): Promise<void>;
}

/** Attaches socket.io to `server` and starts relaying notices. */
export async function startLive(
  server: HttpServer,
  clients: { db: Db; sql: Sql; log: Logger; telemetry: Telemetry },
  options: { windowMs: number; origin: OriginPolicy },
): Promise<Live> {
  const { db, sql, log, telemetry } = clients;
  const io: PulseIo = new Server(server, {
    serveClient: false,
    // Cross-site WebSocket hijacking guard: a browser's handshake must come from our origin.
    allowRequest: (req, callback) => callback(null, sameOrigin(req, options.origin)),
  });
  io.use((socket: PulseSocket, next) => {
    const token = readCookie(socket.request.headers.cookie, SESSION_COOKIE);
    if (!token) return next(new Error('unauthorized'));
    sessionUser(db, token)
      .then((user) => {
        if (!user) return next(new Error('unauthorized'));
        socket.data.user = user;
        next();
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'socket auth failed');
        next(new Error('unavailable'));
      });
  });
  io.on('connection', (socket: PulseSocket) => {
    telemetry.socketConnected();
    socket.on('disconnect', () => telemetry.socketDisconnected());
    socket.on('subscribe', (room) => {
      if (typeof room === 'string' && ROOM.test(room)) void socket.join(room);
    });
  });

  const listener = await sql.listen(
    CHANNEL,
    (payload) => {
      const notice = parseNotice(payload);
      if (!notice) return;
      relayNotice(io, { db, windowMs: options.windowMs }, notice).catch((error: unknown) =>
        log.warn({ err: error, notice }, 'could not relay notice'),
      );
    },
    () => log.info('listening for notices'),
  );

  return {
    io,
    async close() {
      await listener.unlisten().catch(() => undefined);
      await new Promise((resolve) => io.close(() => resolve(undefined)));
    },
  };
}

/**
 * Live push: socket.io on the web process's http.Server. A browser's handshake must come from
 * our own origin and carry a valid session cookie; it then joins rooms (`board`,
 * `anomaly:<id>`), a limited number of them. The service LISTENs to the workers' and use cases'
 * NOTIFYs (ids, not payloads: db/queries/notify.ts), reads what changed and emits it to the
 * rooms that show it (an incident to the board and to the drill-downs of its anomalies). A
 * browser that reconnects catches up over REST.
 *
 * A socket follows its session, not just its handshake: it keeps the session's token hash, user
 * and role, and is disconnected (told why first: `session-ended`) once the session no longer
 * holds — signed out, expired, revoked, the password changed, the user disabled or deleted — or
 * the user's role changed. A 'session' notice re-checks that user's sockets at once; a periodic
 * re-check of every socket (one query) catches expiry and whatever a notice missed while LISTEN
 * was down.
 *
 * Every web instance LISTENs itself and emits only to its own sockets (nothing here reaches a
 * socket of another instance), so several instances need no socket.io adapter: each hears every
 * notice and relays it to the browsers connected to it.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { OneBufferFrameAdapter } from './frame-adapter';
import type { Logger } from '@/lib/observability/log';
import type { Telemetry } from '@/lib/observability/telemetry';
import type {
  ClientToServerEvents,
  ServerToClientEvents,
  SessionEndReason,
  SubscribeResult,
} from '@/lib/views';
import type { Db, Sql } from '@/db/client';
import { hashToken, liveSessions, type Role, type SessionUser } from '@/db/queries/auth';
import { incidentSummary } from '@/db/queries/incident-views';
import { getMetric, savedRule } from '@/db/queries/metrics';
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

interface SocketData {
  /** The user as of the handshake; its `role` decides what the socket may receive. */
  user: SessionUser;
  /** The session's token hash (db/queries/auth.ts `hashToken`): what the re-checks look up. */
  tokenHash: string;
  /** {@link Live}'s count of 'session' notices when the handshake read the session. */
  sessionNotices: number;
}
type PulseSocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
export type PulseIo = Server<ClientToServerEvents, ServerToClientEvents, object, SocketData>;

const ROOM = /^(board|anomaly:\d{1,10})$/;

const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];
/** The room every socket of a role is in (server-side only: no client may ask for it). */
const roleRoom = (role: Role) => `role:${role}`;

type RelayedEvent = 'points' | 'anomaly' | 'incident' | 'rule' | 'metric' | 'metric-removed';

/**
 * The least role that receives each relayed event. Everything live is viewer-level today: a
 * viewer sees the board, the anomalies and the rules, as the REST reads allow. An event meant
 * for editors or admins names that role here, and the relay leaves the sockets of lower roles
 * out (every socket is in its role's room).
 */
const EVENT_ROLE: Record<RelayedEvent, Role> = {
  points: 'viewer',
  anomaly: 'viewer',
  incident: 'viewer',
  rule: 'viewer',
  metric: 'viewer',
  'metric-removed': 'viewer',
};

/** The sockets in `rooms` of role `least` or above (what {@link relayNotice} emits to). */
export function audience(io: PulseIo, rooms: string[], least: Role) {
  let target = io.to(rooms);
  for (const role of ROLES.slice(0, ROLES.indexOf(least))) target = target.except(roleRoom(role));
  return target;
}

/** True when the handshake has no Origin (not a browser) or our own (scheme, host, port). */
function sameOrigin(req: IncomingMessage, policy: OriginPolicy): boolean {
  const origin = req.headers.origin;
  return !origin || isSameOrigin(origin, incomingOrigin(req, policy));
}

/**
 * Turns one NOTIFY into socket.io emissions. Reads by id: notices carry no payloads. `windowMs`
 * (PULSE_WINDOW) sizes the recent points a metric's board view carries, as GET /api/board does.
 * A 'session' notice is not relayed (startLive re-checks sockets on it).
 */
export async function relayNotice(
  io: PulseIo,
  reads: { db: Db; windowMs: number },
  notice: PulseNotice,
): Promise<void> {
  const { db } = reads;
  if (notice.kind === 'window') {
    const rows = await pointsOfWindow(db, notice.windowStart);
    audience(io, ['board'], EVENT_ROLE.points).emit('points', {
      windowStart: notice.windowStart,
      points: rows.map((r) => ({ ...toBoardPoint(r), metricId: r.metricId })),
    });
  } else if (notice.kind === 'anomaly') {
    const summary = await anomalySummary(db, notice.id);
    if (summary) {
      audience(io, ['board', `anomaly:${summary.id}`], EVENT_ROLE.anomaly).emit('anomaly', summary);
    }
  } else if (notice.kind === 'incident') {
    // To the board, and to the drill-downs of its anomalies (which show their incident).
    const summary = await incidentSummary(db, notice.id);
    if (summary) {
      const rooms = ['board', ...summary.anomalies.map((a) => `anomaly:${a.id}`)];
      audience(io, rooms, EVENT_ROLE.incident).emit('incident', summary);
    }
  } else if (notice.kind === 'rule') {
    const metric = await getMetric(db, notice.metricId);
    if (metric) {
      audience(io, ['board'], EVENT_ROLE.rule).emit('rule', {
        metricId: metric.id,
        rule: savedRule(metric),
      });
    }
  } else if (notice.kind === 'metric') {
    const metric = await loadBoardMetric(db, notice.metricId, { windowMs: reads.windowMs });
    if (metric) audience(io, ['board'], EVENT_ROLE.metric).emit('metric', metric);
    // The notice of a metric that no longer exists is its removal (a split's series deleted).
    else {
      audience(io, ['board'], EVENT_ROLE['metric-removed']).emit('metric-removed', {
        metricId: notice.metricId,
      });
    }
  }
}

/** Tells a socket why, then disconnects it (and closes its transport). */
function endSocket(socket: PulseSocket, reason: SessionEndReason): void {
  socket.emit('session-ended', { reason });
  socket.disconnect(true);
}

/**
 * Checks the sessions of the connected sockets — all, or those of `userId` — in one query, and
 * ends the sockets whose session no longer holds or whose user's role changed. How many ended.
 */
export async function recheckSessions(io: PulseIo, db: Db, userId?: number): Promise<number> {
  const sockets = [...io.of('/').sockets.values()].filter(
    (socket) => userId === undefined || socket.data.user.id === userId,
  );
  if (sockets.length === 0) return 0;
  const live = await liveSessions(
    db,
    sockets.map((socket) => socket.data.tokenHash),
  );
  let ended = 0;
  for (const socket of sockets) {
    if (!socket.connected) continue;
    const now = live.get(socket.data.tokenHash);
    const was = socket.data.user;
    const reason: SessionEndReason | null =
      !now || now.id !== was.id ? 'signed-out' : now.role !== was.role ? 'role-changed' : null;
    if (reason) {
      endSocket(socket, reason);
      ended += 1;
    }
  }
  return ended;
}

export interface LiveOptions {
  /** PULSE_WINDOW: the recent points a metric's board view carries. */
  windowMs: number;
  origin: OriginPolicy;
  /** Rooms one socket may join (PULSE_SOCKET_MAX_ROOMS); a subscribe beyond is refused. */
  maxRooms?: number;
  /** How often every socket's session is checked again (expiry; notices missed). */
  sessionRecheckMs?: number;
}

export const LIVE_DEFAULTS = { maxRooms: 32, sessionRecheckMs: 5000 } as const;

/** A socket.io message (polling payload or WebSocket frame) larger than this closes it. */
const MAX_MESSAGE_BYTES = 16 * 1024;
/** A transport that has not connected to the namespace (sent its handshake) by then is closed. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface Live {
  io: PulseIo;
  /**
   * Checks every socket's session now, as the periodic re-check does; how many sockets it ended
   * (0 when a re-check is running already).
   */
  recheck(): Promise<number>;
  /** Stops listening and closes every socket. */
  close(): Promise<void>;
}

/** Attaches socket.io to `server` and starts relaying notices and re-checking sessions. */
export async function startLive(
  server: HttpServer,
  clients: { db: Db; sql: Sql; log: Logger; telemetry: Telemetry },
  options: LiveOptions,
): Promise<Live> {
  const { db, sql, log, telemetry } = clients;
  const maxRooms = options.maxRooms ?? LIVE_DEFAULTS.maxRooms;
  const recheckMs = options.sessionRecheckMs ?? LIVE_DEFAULTS.sessionRecheckMs;
  const io: PulseIo = new Server(server, {
    serveClient: false,
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Cross-site WebSocket hijacking guard: a browser's handshake must come from our origin.
    allowRequest: (req, callback) => callback(null, sameOrigin(req, options.origin)),
    // socket.io's default, said here because it matters at scale: with compression every
    // broadcast is deflated once per socket (and ws keeps a zlib context per connection), where
    // without it the packet is framed once and the same frame written to every socket.
    perMessageDeflate: false,
    // Each broadcast's frame written to every socket in one write, not two (frame-adapter.ts).
    adapter: OneBufferFrameAdapter,
  });

  /**
   * The Cookie header of the HTTP request that opened each transport, until its handshake reads
   * the session from it. socket.io would keep that request for the life of the connection;
   * nothing here needs it after the handshake, so it is dropped as soon as the transport is open
   * (socket.io's memory-usage guidance): about 4 KB per browser connection, which opens on
   * long-polling (docs/benchmarks.md, "Live sockets"). engine.io itself keeps the upgrade
   * request of a WebSocket for the connection's life. The origin was checked on the request
   * itself (`allowRequest`, before this).
   */
  const handshakeCookies = new WeakMap<object, string | undefined>();
  io.engine.on('connection', (raw: { request: IncomingMessage | null }) => {
    handshakeCookies.set(raw, raw.request?.headers.cookie);
    raw.request = null;
  });

  /** 'session' notices so far: a handshake that read its session before one re-checks after. */
  let sessionNotices = 0;
  /** Transports that already sent their handshake: one per transport (a browser opens anew). */
  const handshaken = new WeakSet<object>();

  /**
   * Refuses a handshake. socket.io writes the refusal on the next tick and would then keep the
   * transport open — answering pings, reading more handshakes, each a session lookup — until
   * the connect timeout: close it once the refusal is out.
   */
  const refuse = (socket: PulseSocket, next: (err?: Error) => void, message: string) => {
    next(new Error(message));
    setImmediate(() => socket.conn.close());
  };

  io.use((socket: PulseSocket, next) => {
    // socket.io runs middleware inside an async function whose rejection nobody handles: a
    // throw here would be an unhandled rejection, no answer, and a transport left open until
    // the connect timeout. (So it went for a malformed cookie while a throwing decode sat here.)
    try {
      if (handshaken.has(socket.conn)) return refuse(socket, next, 'refused');
      handshaken.add(socket.conn);
      // Read from what the transport's request carried (the request itself is gone: above).
      const cookie = handshakeCookies.get(socket.conn);
      handshakeCookies.delete(socket.conn);
      const token = readCookie(cookie, SESSION_COOKIE);
      if (!token) return refuse(socket, next, 'unauthorized');
      const tokenHash = hashToken(token);
      const noticesBefore = sessionNotices;
      liveSessions(db, [tokenHash]).then(
        (found) => {
          const user = found.get(tokenHash);
          if (!user) return refuse(socket, next, 'unauthorized');
          socket.data = { user, tokenHash, sessionNotices: noticesBefore };
          next();
        },
        (error: unknown) => {
          log.error({ err: error }, 'socket auth failed');
          refuse(socket, next, 'unavailable');
        },
      );
    } catch (error) {
      log.warn({ err: error }, 'socket handshake refused');
      refuse(socket, next, 'unauthorized');
    }
  });

  const recheckUser = (userId: number) =>
    recheckSessions(io, db, userId).then(
      (ended) => {
        if (ended > 0) log.info({ userId, ended }, 'live sockets ended: their session changed');
      },
      (error: unknown) => log.warn({ err: error, userId }, 'could not re-check sessions'),
    );

  io.on('connection', (socket: PulseSocket) => {
    telemetry.socketConnected();
    socket.on('disconnect', () => telemetry.socketDisconnected());
    void socket.join(roleRoom(socket.data.user.role));
    // A 'session' notice came while the handshake read the session: this socket was not among
    // those it re-checked.
    if (socket.data.sessionNotices !== sessionNotices) void recheckUser(socket.data.user.id);
    socket.on('subscribe', (room, ack) => {
      const answer = (result: SubscribeResult) => {
        if (typeof ack === 'function') ack(result);
      };
      if (typeof room !== 'string' || !ROOM.test(room)) {
        return answer({ ok: false, error: 'unknown room' });
      }
      if (!socket.rooms.has(room)) {
        let joined = 0;
        for (const name of socket.rooms) if (ROOM.test(name)) joined += 1;
        if (joined >= maxRooms) return answer({ ok: false, error: 'too many rooms' });
        void socket.join(room);
      }
      answer({ ok: true });
    });
  });

  let rechecking = false;
  const recheckAll = async (): Promise<number> => {
    if (rechecking) return 0;
    rechecking = true;
    try {
      const ended = await recheckSessions(io, db);
      if (ended > 0) log.info({ ended }, 'live sockets ended: their session changed');
      return ended;
    } finally {
      rechecking = false;
    }
  };
  const periodic = () =>
    void recheckAll().catch((error: unknown) =>
      log.warn({ err: error }, 'could not re-check sessions'),
    );
  const timer = setInterval(periodic, recheckMs);
  timer.unref();

  const listener = await sql.listen(
    CHANNEL,
    (payload) => {
      const notice = parseNotice(payload);
      if (!notice) return;
      if (notice.kind === 'session') {
        sessionNotices += 1;
        if (Number.isSafeInteger(notice.userId)) void recheckUser(notice.userId);
        return;
      }
      relayNotice(io, { db, windowMs: options.windowMs }, notice).catch((error: unknown) =>
        log.warn({ err: error, notice }, 'could not relay notice'),
      );
    },
    () => {
      log.info('listening for notices');
      // Listening again after a lost connection: 'session' notices may have gone unheard.
      periodic();
    },
  );

  return {
    io,
    recheck: recheckAll,
    async close() {
      clearInterval(timer);
      await listener.unlisten().catch(() => undefined);
      await new Promise((resolve) => io.close(() => resolve(undefined)));
    },
  };
}

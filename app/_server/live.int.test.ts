/**
 * Live push over a real socket.io server and a real PostgreSQL: the handshake needs a session
 * and our own origin, and a NOTIFY committed by a use case reaches the board room as the event
 * its notice announces (the `metric` notice as the metric's board view). Sockets follow their
 * session: a 'session' notice ends the sockets of a session gone or a role changed within a
 * second, the periodic re-check ends the rest (expiry, a change nobody announced); others stay.
 * A socket holds a limited number of rooms, and a malformed cookie is a clean refusal.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import { createTelemetry } from '@/lib/observability/telemetry';
import type {
  BoardMetric,
  ClientToServerEvents,
  IncidentSummary,
  ServerToClientEvents,
  SessionEndReason,
} from '@/lib/views';
import { anomalies, incidents, sessions, users } from '@/db/schema';
import { createSession, createUser, hashToken, liveSessions, type Role } from '@/db/queries/auth';
import { ensureDefaultMetrics, getMetric, getMetricByKey, toRule } from '@/db/queries/metrics';
import { notifyInTransaction } from '@/db/queries/notify';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { SESSION_COOKIE } from './headers';
import { audience, startLive, type Live, type LiveOptions } from './live';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

interface Running {
  live: Live;
  url: string;
  close(): Promise<void>;
}

const MAX_ROOMS = 3;
const RECHECK_MS = 200;

let t: TestDatabase;
/** Re-checks only on notices within the tests (its periodic re-check is a minute away). */
let onNotice: Running;
/** Re-checks every {@link RECHECK_MS}. */
let periodic: Running;
let token: string;
let metricId: number;
const clients: Client[] = [];
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

async function start(options: Partial<LiveOptions>): Promise<Running> {
  const server: Server = createServer();
  const live = await startLive(
    server,
    { db: t.db, sql: t.sql, log: createLogger('test', 'silent'), telemetry: createTelemetry() },
    { windowMs: 60_000, origin: { trustProxy: false }, ...options },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    live,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await live.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  metricId = (await getMetricByKey(t.db, 'purchases'))!.id;
  const user = await createUser(t.db, { username: 'vera', passwordHash: 'x', role: 'viewer' });
  token = await createSession(t.db, user.id, 60_000);
  onNotice = await start({ maxRooms: MAX_ROOMS, sessionRecheckMs: 60_000 });
  periodic = await start({ sessionRecheckMs: RECHECK_MS });
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  await onNotice.close();
  await periodic.close();
  await t.drop();
});

/** A client of `to` with these headers; resolves once connected, rejects with the refusal. */
function open(
  headers: Record<string, string>,
  options: { to?: Running; transport?: 'polling' | 'websocket' } = {},
): Promise<Client> {
  const client: Client = connect((options.to ?? onNotice).url, {
    extraHeaders: headers,
    transports: [options.transport ?? 'polling'],
    reconnection: false,
    forceNew: true,
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('connect_error', (error) => reject(error));
  });
}

const cookie = (sessionToken: string) => ({ cookie: `${SESSION_COOKIE}=${sessionToken}` });

let users_ = 0;
/** A new user with `sessionCount` sessions; their tokens. */
async function userWithSessions(role: Role, sessionCount = 1) {
  users_ += 1;
  const user = await createUser(t.db, { username: `u${users_}`, passwordHash: 'x', role });
  const tokens: string[] = [];
  for (let i = 0; i < sessionCount; i += 1) tokens.push(await createSession(t.db, user.id, 60_000));
  return { user, tokens };
}

/** Resolves when the server disconnects `client`: what it said first, and how long it took. */
function whenEnded(
  client: Client,
): Promise<{ said?: SessionEndReason; reason: string; ms: number }> {
  const since = Date.now();
  let said: SessionEndReason | undefined;
  client.on('session-ended', (end) => {
    said = end.reason;
  });
  return new Promise((resolve) =>
    client.once('disconnect', (reason) =>
      resolve({ ...(said ? { said } : {}), reason, ms: Date.now() - since }),
    ),
  );
}

/** Subscribes and waits for the server's answer (so the room is joined before a notice). */
async function subscribe(client: Client, room: string) {
  return client.timeout(5000).emitWithAck('subscribe', room);
}

/** Every client in `receivers` gets the next 'metric' broadcast. */
async function broadcastReaches(receivers: Client[]): Promise<void> {
  const received = receivers.map(
    (client) =>
      new Promise<BoardMetric>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${client.id} got no broadcast`)), 5000);
        client.once('metric', (metric) => {
          clearTimeout(timer);
          resolve(metric);
        });
      }),
  );
  await t.db.transaction((tx) => notifyInTransaction(tx, { kind: 'metric', metricId }));
  for (const metric of await Promise.all(received)) expect(metric.id).toBe(metricId);
}

describe('live push', () => {
  it('refuses a handshake without a session, with an unknown one, or from another origin', async () => {
    await expect(open({})).rejects.toThrow('unauthorized');
    await expect(open(cookie('nope'))).rejects.toThrow('unauthorized');
    await expect(open({ ...cookie(token), origin: 'http://evil.test' })).rejects.toThrow();
  });

  it("relays a committed 'metric' notice to the board room as the metric's board view", async () => {
    const client = await open(cookie(token));
    expect(await subscribe(client, 'board')).toEqual({ ok: true });
    const received = new Promise<BoardMetric>((resolve) => client.once('metric', resolve));
    await t.db.transaction((tx) => notifyInTransaction(tx, { kind: 'metric', metricId }));
    const view = await received;
    expect(view).toMatchObject({ id: metricId, key: 'purchases', enabled: true, points: [] });
  });

  it("relays the 'metric' notice of a metric that no longer exists as its removal", async () => {
    const client = await open(cookie(token));
    expect(await subscribe(client, 'board')).toEqual({ ok: true });
    const removed = new Promise<{ metricId: number }>((resolve) =>
      client.once('metric-removed', resolve),
    );
    await t.db.transaction((tx) => notifyInTransaction(tx, { kind: 'metric', metricId: 987_654 }));
    expect(await removed).toEqual({ metricId: 987_654 });
  });

  it('keeps no HTTP request once a transport is open, on either transport: the session was read before', async () => {
    for (const transport of ['polling', 'websocket'] as const) {
      const client = await open(cookie(token), { transport });
      const socket = onNotice.live.io.of('/').sockets.get(client.id!)!;
      expect(socket.request).toBeNull();
      expect(socket.data.user.username).toBe('vera');
      expect(await subscribe(client, 'board')).toEqual({ ok: true });
    }
  });
});

describe('incidents, live', () => {
  it("relays a committed 'incident' notice to the board and its anomalies' drill-downs", async () => {
    const window = new Date(Date.UTC(2026, 0, 15, 12));
    const [incident] = await t.db
      .insert(incidents)
      .values({
        severity: 'critical',
        title: 'region=eu-west: Purchases −58%',
        cause: { region: 'eu-west' },
        firstWindow: window,
        lastWindow: window,
      })
      .returning({ id: incidents.id });
    const [anomaly] = await t.db
      .insert(anomalies)
      .values({
        metricId,
        incidentId: incident!.id,
        status: 'open',
        severity: 'critical',
        direction: 'down',
        firstWindow: window,
        lastWindow: window,
        peakWindow: window,
        value: 42,
        expected: 100,
        sigma: 5,
        z: -11,
        explanation: { dimensions: {}, top: [], sentence: 'a drop' },
        sentence: 'a drop',
      })
      .returning({ id: anomalies.id });
    const board = await open(cookie(token));
    const drill = await open(cookie(token));
    const elsewhere = await open(cookie(token));
    expect(await subscribe(board, 'board')).toEqual({ ok: true });
    expect(await subscribe(drill, `anomaly:${anomaly!.id}`)).toEqual({ ok: true });
    expect(await subscribe(elsewhere, `anomaly:${anomaly!.id + 1}`)).toEqual({ ok: true });
    const stray: IncidentSummary[] = [];
    elsewhere.on('incident', (summary) => stray.push(summary));
    const received = [board, drill].map(
      (client) => new Promise<IncidentSummary>((resolve) => client.once('incident', resolve)),
    );
    await t.db.transaction((tx) => notifyInTransaction(tx, { kind: 'incident', id: incident!.id }));
    for (const summary of await Promise.all(received)) {
      expect(summary).toMatchObject({
        id: incident!.id,
        title: 'region=eu-west: Purchases −58%',
        status: 'open',
        silenced: false,
        anomalies: [{ id: anomaly!.id, incidentId: incident!.id }],
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stray).toEqual([]);
  });
});

describe('a malformed session cookie', () => {
  it('is a clean refusal, on either transport, with no unhandled rejection', async () => {
    const before = rejections.length;
    for (const transport of ['polling', 'websocket'] as const) {
      await expect(open({ cookie: `${SESSION_COOKIE}=%E0%A4%A` }, { transport })).rejects.toThrow(
        'unauthorized',
      );
      await expect(
        open({ cookie: `a=%E0%A4%A; ${SESSION_COOKIE}=%` }, { transport }),
      ).rejects.toThrow('unauthorized');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rejections.slice(before)).toEqual([]);
  });

  /**
   * engine.io's polling protocol by hand, as a script (not socket.io-client, which closes its
   * side itself) sees it: sends `payload` on a new transport and reads until the server closes
   * it. Before, a refused transport stayed open 45 s (the connect timeout), answering pings and
   * taking handshake after handshake, each a session lookup.
   */
  async function rawPolling(payload: string) {
    const base = `${onNotice.url}/socket.io/?EIO=4&transport=polling`;
    const headers = { cookie: `${SESSION_COOKIE}=%E0%A4%A` };
    const opened = await (await fetch(base, { headers })).text();
    const poll = `${base}&sid=${(JSON.parse(opened.slice(1)) as { sid: string }).sid}`;
    const started = Date.now();
    await fetch(poll, { method: 'POST', headers, body: payload });
    const packets: string[] = [];
    while (!packets.includes('1') && Date.now() - started < 5000) {
      const response = await fetch(poll, { headers });
      if (response.status !== 200) break;
      // '6' is engine.io's noop, which it sends to deliver a close: not an answer.
      packets.push(...(await response.text()).split('\x1e').filter((packet) => packet !== '6'));
    }
    return { packets, ms: Date.now() - started };
  }

  it('gets its transport closed right after the refusal, not held open until a timeout', async () => {
    const { packets, ms } = await rawPolling('40');
    expect(packets).toEqual(['44{"message":"unauthorized"}', '1']); // 1: engine.io's close
    expect(ms).toBeLessThan(2000);
  });

  it('one handshake per transport: more in one payload are refused, and the transport closed', async () => {
    const { packets, ms } = await rawPolling('40\x1e40\x1e40');
    expect(packets.at(-1)).toBe('1');
    expect(packets.slice(0, -1).every((packet) => packet.startsWith('44'))).toBe(true);
    expect(ms).toBeLessThan(2000);
  });
});

describe('sockets follow their session', () => {
  it('a sign-out (session deleted, notice sent) ends that session’s sockets within a second; others stay', async () => {
    const { user, tokens } = await userWithSessions('viewer', 2);
    const other = await userWithSessions('viewer');
    const [signedOut, sameUser, otherUser] = await Promise.all([
      open(cookie(tokens[0]!)),
      open(cookie(tokens[1]!)),
      open(cookie(other.tokens[0]!)),
    ]);
    for (const client of [signedOut, sameUser, otherUser]) await subscribe(client, 'board');
    const ended = whenEnded(signedOut);
    await t.db.transaction(async (tx) => {
      await tx.delete(sessions).where(eq(sessions.tokenHash, hashToken(tokens[0]!)));
      await notifyInTransaction(tx, { kind: 'session', userId: user.id });
    });
    const end = await ended;
    expect(end).toMatchObject({ said: 'signed-out', reason: 'io server disconnect' });
    expect(end.ms).toBeLessThan(1000);
    expect(sameUser.connected && otherUser.connected).toBe(true);
    await broadcastReaches([sameUser, otherUser]);
    // The token is refused from now on.
    await expect(open(cookie(tokens[0]!))).rejects.toThrow('unauthorized');
  });

  it('a role change (with its notice) ends every socket of that user; they reconnect as the new role', async () => {
    const { user, tokens } = await userWithSessions('viewer', 2);
    const other = await userWithSessions('editor');
    const [first, second, otherUser] = await Promise.all([
      open(cookie(tokens[0]!)),
      open(cookie(tokens[1]!), { transport: 'websocket' }),
      open(cookie(other.tokens[0]!)),
    ]);
    await subscribe(otherUser, 'board');
    const ends = [whenEnded(first), whenEnded(second)];
    await t.db.transaction(async (tx) => {
      await tx.update(users).set({ role: 'editor' }).where(eq(users.id, user.id));
      await notifyInTransaction(tx, { kind: 'session', userId: user.id });
    });
    for (const end of await Promise.all(ends)) {
      expect(end).toMatchObject({ said: 'role-changed', reason: 'io server disconnect' });
      expect(end.ms).toBeLessThan(1000);
    }
    expect(otherUser.connected).toBe(true);
    await broadcastReaches([otherUser]);

    const again = await open(cookie(tokens[0]!));
    const [socket] = (await onNotice.live.io.fetchSockets()).filter((s) => s.id === again.id);
    expect(socket?.data.user).toMatchObject({ id: user.id, role: 'editor' });
    expect(socket?.rooms.has('role:editor')).toBe(true);
  });

  it('a disabled user (with its notice) is disconnected, and its handshake refused', async () => {
    const { user, tokens } = await userWithSessions('admin');
    const client = await open(cookie(tokens[0]!));
    const ended = whenEnded(client);
    await t.db.transaction(async (tx) => {
      await tx.update(users).set({ disabledAt: new Date() }).where(eq(users.id, user.id));
      await notifyInTransaction(tx, { kind: 'session', userId: user.id });
    });
    expect(await ended).toMatchObject({ said: 'signed-out', reason: 'io server disconnect' });
    await expect(open(cookie(tokens[0]!))).rejects.toThrow('unauthorized');
  });

  it('without a notice, the periodic re-check ends a deleted, an expired, a disabled session and a changed role', async () => {
    const deleted = await userWithSessions('viewer');
    const expired = await userWithSessions('viewer');
    const disabled = await userWithSessions('viewer');
    const promoted = await userWithSessions('viewer');
    const unchanged = await userWithSessions('viewer');
    const to = periodic;
    const [a, b, c, d, e] = await Promise.all(
      [deleted, expired, disabled, promoted, unchanged].map((u) =>
        open(cookie(u.tokens[0]!), { to }),
      ),
    );
    await subscribe(e!, 'board');
    const ends = [a, b, c, d].map((client) => whenEnded(client!));
    await t.db.delete(sessions).where(eq(sessions.tokenHash, hashToken(deleted.tokens[0]!)));
    await t.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.tokenHash, hashToken(expired.tokens[0]!)));
    await t.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, disabled.user.id));
    await t.db.update(users).set({ role: 'admin' }).where(eq(users.id, promoted.user.id));
    const results = await Promise.all(ends);
    expect(results.map((end) => end.said)).toEqual([
      'signed-out',
      'signed-out',
      'signed-out',
      'role-changed',
    ]);
    // Within the re-check period (and the time its query takes).
    for (const end of results) expect(end.ms).toBeLessThan(RECHECK_MS + 800);
    expect(e!.connected).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS * 3));
    expect(e!.connected).toBe(true);
  });

  it('re-checks a socket whose handshake raced a session notice', async () => {
    const { user, tokens } = await userWithSessions('viewer');
    // The session goes (with its notice) while the handshake may be reading it: either the
    // handshake is refused, or the socket is ended right after it connects.
    const opening = open(cookie(tokens[0]!));
    await t.db.transaction(async (tx) => {
      await tx.delete(sessions).where(eq(sessions.tokenHash, hashToken(tokens[0]!)));
      await notifyInTransaction(tx, { kind: 'session', userId: user.id });
    });
    const survived = new Promise<string>((resolve) => setTimeout(() => resolve('survived'), 3000));
    const outcome = await opening.then(
      (client) =>
        client.connected
          ? Promise.race([whenEnded(client).then((end) => end.said), survived])
          : 'ended-before',
      (error: Error) => error.message,
    );
    expect(['unauthorized', 'signed-out', 'ended-before']).toContain(outcome);
  });
});

describe('liveSessions', () => {
  it('finds the sessions that hold among thousands of hashes (batched), with their users now', async () => {
    const a = await userWithSessions('viewer', 2);
    const b = await userWithSessions('admin');
    const gone = await userWithSessions('viewer');
    await t.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, gone.user.id));
    const hashes = Array.from({ length: 2500 }, (_, i) => hashToken(`unknown-${i}`));
    hashes.splice(10, 0, hashToken(a.tokens[0]!));
    hashes.splice(1500, 0, hashToken(a.tokens[1]!), hashToken(gone.tokens[0]!));
    hashes.push(hashToken(b.tokens[0]!), hashToken(b.tokens[0]!));
    const found = await liveSessions(t.db, hashes);
    expect(found).toEqual(
      new Map([
        [hashToken(a.tokens[0]!), a.user],
        [hashToken(a.tokens[1]!), a.user],
        [hashToken(b.tokens[0]!), b.user],
      ]),
    );
    expect(await liveSessions(t.db, [])).toEqual(new Map());
    // Expired by the clock it is given.
    expect(
      (await liveSessions(t.db, [hashToken(a.tokens[0]!)], new Date(Date.now() + 120_000))).size,
    ).toBe(0);
  });
});

describe('what a socket may receive', () => {
  it("follows its role: an event for editors and up reaches the editor's socket, not the viewer's", async () => {
    const viewer = await userWithSessions('viewer');
    const editor = await userWithSessions('editor');
    const [v, e] = await Promise.all([
      open(cookie(viewer.tokens[0]!)),
      open(cookie(editor.tokens[0]!)),
    ]);
    await subscribe(v, 'board');
    await subscribe(e, 'board');
    const got = (client: Client) =>
      new Promise<boolean>((resolve) => {
        setTimeout(() => resolve(false), 500);
        client.once('rule', () => resolve(true));
      });
    const heard = [got(v), got(e)];
    const rule = toRule((await getMetric(t.db, metricId))!);
    audience(onNotice.live.io, ['board'], 'editor').emit('rule', { metricId, rule });
    expect(await Promise.all(heard)).toEqual([false, true]);
  });
});

describe('rooms per socket', () => {
  it(`refuses a subscribe beyond ${MAX_ROOMS} rooms, and unknown rooms`, async () => {
    const client = await open(cookie(token));
    expect(await subscribe(client, 'board')).toEqual({ ok: true });
    expect(await subscribe(client, 'anomaly:1')).toEqual({ ok: true });
    expect(await subscribe(client, 'anomaly:2')).toEqual({ ok: true });
    expect(await subscribe(client, 'anomaly:3')).toEqual({ ok: false, error: 'too many rooms' });
    // A room it is in already is fine; a room no one may ask for is not.
    expect(await subscribe(client, 'board')).toEqual({ ok: true });
    expect(await subscribe(client, 'role:admin')).toEqual({ ok: false, error: 'unknown room' });
    expect(await subscribe(client, 'x'.repeat(10_000))).toEqual({
      ok: false,
      error: 'unknown room',
    });
    expect(client.connected).toBe(true);
  });

  it('20,000 subscribes leave a socket in at most the cap, and the server’s rooms bounded', async () => {
    const client = await open(cookie(token), { transport: 'websocket' });
    const roomsBefore = onNotice.live.io.of('/').adapter.rooms.size;
    for (let i = 0; i < 20_000; i += 1) client.emit('subscribe', `anomaly:${i}`);
    // Acknowledged after the 20,000 above (one connection, in order).
    expect(await subscribe(client, 'anomaly:20001')).toEqual({
      ok: false,
      error: 'too many rooms',
    });
    const [socket] = (await onNotice.live.io.fetchSockets()).filter((s) => s.id === client.id);
    const joined = [...(socket?.rooms ?? [])].filter((room) => room.startsWith('anomaly:'));
    expect(joined).toEqual(['anomaly:0', 'anomaly:1', 'anomaly:2']);
    expect(onNotice.live.io.of('/').adapter.rooms.size - roomsBefore).toBeLessThanOrEqual(
      MAX_ROOMS,
    );
    expect(client.connected).toBe(true);
  });
});

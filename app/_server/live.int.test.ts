/**
 * Live push over a real socket.io server and a real PostgreSQL: the handshake needs a session
 * and our own origin, and a NOTIFY committed by a use case reaches the board room as the event
 * its notice announces (the `metric` notice as the metric's board view).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import { createTelemetry } from '@/lib/observability/telemetry';
import type { BoardMetric, ClientToServerEvents, ServerToClientEvents } from '@/lib/views';
import { createSession, createUser } from '@/db/queries/auth';
import { ensureDefaultMetrics, getMetricByKey } from '@/db/queries/metrics';
import { notifyInTransaction } from '@/db/queries/notify';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { SESSION_COOKIE } from './headers';
import { startLive, type Live } from './live';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

let t: TestDatabase;
let server: Server;
let live: Live;
let url: string;
let token: string;
const clients: Client[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  const user = await createUser(t.db, { username: 'vera', passwordHash: 'x', role: 'viewer' });
  token = await createSession(t.db, user.id, 60_000);
  server = createServer();
  live = await startLive(
    server,
    { db: t.db, sql: t.sql, log: createLogger('test', 'silent'), telemetry: createTelemetry() },
    { windowMs: 60_000, origin: { trustProxy: false } },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const client of clients) client.close();
  await live.close();
  await new Promise((resolve) => server.close(resolve));
  await t.drop();
});

/** A client with these headers; resolves once connected, rejects with the refusal. */
function open(headers: Record<string, string>): Promise<Client> {
  const client: Client = connect(url, {
    extraHeaders: headers,
    transports: ['polling'],
    reconnection: false,
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('connect_error', (error) => reject(error));
  });
}

describe('live push', () => {
  it('refuses a handshake without a session, with an unknown one, or from another origin', async () => {
    await expect(open({})).rejects.toThrow('unauthorized');
    await expect(open({ cookie: `${SESSION_COOKIE}=nope` })).rejects.toThrow('unauthorized');
    await expect(
      open({ cookie: `${SESSION_COOKIE}=${token}`, origin: 'http://evil.test' }),
    ).rejects.toThrow();
  });

  it("relays a committed 'metric' notice to the board room as the metric's board view", async () => {
    const client = await open({ cookie: `${SESSION_COOKIE}=${token}` });
    client.emit('subscribe', 'board');
    const metric = await getMetricByKey(t.db, 'purchases');
    // The room join travels on its own request: give it a moment before the notice.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const received = new Promise<BoardMetric>((resolve) => client.once('metric', resolve));
    await t.db.transaction((tx) =>
      notifyInTransaction(tx, { kind: 'metric', metricId: metric!.id }),
    );
    const view = await received;
    expect(view).toMatchObject({ id: metric!.id, key: 'purchases', enabled: true, points: [] });
  });
});

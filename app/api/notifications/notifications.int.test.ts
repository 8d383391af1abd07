/**
 * The notification settings over their API, against a real PostgreSQL: route handlers called as
 * Next calls them (plain `Request`s with a session cookie), and the use cases they call. No
 * answer ever holds a credential; validation errors name the field; provisioned settings are
 * read-only; the routes keep their order; silences expire and make open incidents re-check;
 * a test send without a worker says so after its wait, and reports the dispatcher's first
 * attempt (credentials masked) when one comes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { parseConfig } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { createSession, createUser, type Role, type SessionUser } from '@/db/queries/auth';
import {
  incidents,
  notificationAttempts,
  notificationChannels,
  notificationDeliveries,
  notificationRoutes,
  notifications,
  silences,
} from '@/db/schema';
import { incidentSummary } from '@/db/queries/incident-views';
import { CHANNEL, parseNotice, type PulseNotice } from '@/db/queries/notify';
import { loadRouting } from '@/db/queries/outbox';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { registerWeb } from '@/app/_server/context';
import { SESSION_COOKIE } from '@/app/_server/headers';
import { testChannel } from '@/app/_server/use-cases/test-channel';
import * as channelsRoute from './channels/route';
import * as channelRoute from './channels/[id]/route';
import * as testRoute from './channels/[id]/test/route';
import * as routesRoute from './routes/route';
import * as silencesRoute from './silences/route';
import * as silenceRoute from './silences/[id]/route';

const ORIGIN = 'http://pulse.test';
const SECRET = 'whsec-0123456789-abcdef';
const HOOK = 'http://127.0.0.1:9/hooks/private-path-token';
const SLACK = 'https://hooks.slack.com/services/T000/B000/slack-token-xyz';
const SMTP_PASSWORD = 'smtp-pass-987654';
const CREDENTIALS = [SECRET, 'private-path-token', 'slack-token-xyz', SMTP_PASSWORD];

const log = createLogger('test', 'silent');
let t: TestDatabase;
const people: Partial<Record<Role, SessionUser>> = {};
/** Every response body seen: none may hold a credential. */
const seen: string[] = [];

type Handler = (
  request: Request,
  context?: { params: Promise<Record<string, string>> },
) => Promise<Response>;

async function call(
  handler: Handler,
  init: {
    method: string;
    as?: Role;
    path?: string;
    params?: Record<string, string>;
    body?: unknown;
  },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { host: 'pulse.test' };
  const role = init.as ?? 'admin';
  headers.cookie = `${SESSION_COOKIE}=${await createSession(t.db, people[role]!.id, 60_000)}`;
  if (init.method !== 'GET') headers.origin = ORIGIN;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const response = await handler(
    new Request(`${ORIGIN}${init.path ?? '/api/notifications'}`, {
      method: init.method,
      headers,
      ...(body !== undefined ? { body } : {}),
    }),
    { params: Promise.resolve(init.params as Record<string, string>) },
  );
  const text = await response.text();
  seen.push(text);
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
}

const createChannel = (body: unknown, as?: Role) =>
  call(channelsRoute.POST, { method: 'POST', body, ...(as ? { as } : {}) });
const patchChannel = (id: string, body: unknown) =>
  call(channelRoute.PATCH, { method: 'PATCH', params: { id }, body });
const deleteChannel = (id: string) =>
  call(channelRoute.DELETE, { method: 'DELETE', params: { id } });
const putRoutes = (body: unknown) => call(routesRoute.PUT, { method: 'PUT', body });

async function storedSecret(id: string) {
  const [row] = await t.db
    .select({ secret: notificationChannels.secret })
    .from(notificationChannels)
    .where(eq(notificationChannels.id, id));
  return row?.secret;
}

async function openIncident() {
  const [row] = await t.db
    .insert(incidents)
    .values({
      severity: 'critical',
      title: 'region=eu-west: Purchases −58%',
      cause: { region: 'eu-west' },
      firstWindow: new Date(Date.now() - 120_000),
      lastWindow: new Date(Date.now() - 60_000),
    })
    .returning();
  return row!;
}

beforeAll(async () => {
  t = await createTestDatabase();
  for (const role of ['viewer', 'editor', 'admin'] as const) {
    people[role] = await createUser(t.db, { username: `n-${role}`, passwordHash: 'x', role });
  }
  registerWeb({
    db: t.db,
    sql: t.sql,
    log,
    config: parseConfig({ DATABASE_URL: t.url, PULSE_WINDOW: '1m' }),
  });
});
afterAll(async () => {
  // Whatever else failed: no answer of this file held a credential.
  for (const text of seen) for (const secret of CREDENTIALS) expect(text).not.toContain(secret);
  await t.drop();
});

describe('channels', () => {
  it('creates channels of each type and answers only their target and flags', async () => {
    const webhook = await createChannel({
      id: 'pager',
      type: 'webhook',
      url: HOOK,
      secret: SECRET,
    });
    expect(webhook.status).toBe(201);
    expect(webhook.body.channel).toMatchObject({
      id: 'pager',
      type: 'webhook',
      target: 'http://127.0.0.1:9',
      isDefault: false,
      enabled: true,
      provisioned: false,
      hasSecret: true,
      createdBy: 'n-admin',
      lastDelivery: null,
    });
    expect(Object.keys(webhook.body.channel as object).sort()).toEqual(
      [
        'createdAt',
        'createdBy',
        'enabled',
        'hasSecret',
        'id',
        'isDefault',
        'lastDelivery',
        'provisioned',
        'target',
        'type',
        'updatedAt',
      ].sort(),
    );
    expect(
      (await createChannel({ id: 'team', type: 'slack', webhookUrl: SLACK, isDefault: true }))
        .status,
    ).toBe(201);
    expect(
      (
        await createChannel({
          id: 'oncall',
          type: 'email',
          to: ['oncall@example.com', 'sre@example.com'],
          from: 'pulse@example.com',
          smtp: `smtp://pulse:${SMTP_PASSWORD}@mail.example.com:587`,
        })
      ).body.channel,
    ).toMatchObject({ target: 'oncall@example.com, sre@example.com' });

    const list = await call(channelsRoute.GET, { method: 'GET' });
    expect((list.body.channels as { id: string }[]).map((c) => c.id)).toEqual([
      'oncall',
      'pager',
      'team',
    ]);
    // Stored whole, for the dispatcher.
    expect(await storedSecret('pager')).toEqual({
      id: 'pager',
      type: 'webhook',
      url: HOOK,
      secret: SECRET,
    });
  });

  it('names the field in error, with the rules of the provisioning file', async () => {
    const bad = await createChannel({ id: 'x', type: 'webhook', url: 'ftp://x', secret: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({
      url: 'expected an http(s) URL',
      secret: 'expected a secret of at least 16 characters',
    });
    const slack = await createChannel({ id: 'x', type: 'slack', webhookUrl: 'http://insecure' });
    expect(slack.body.fields).toEqual({ webhookUrl: 'expected an https URL' });
    const taken = await createChannel({ id: 'pager', type: 'slack', webhookUrl: SLACK });
    expect(taken.status).toBe(409);
    expect(taken.body.fields).toEqual({ id: 'this id is taken: choose another' });
  });

  it('changes what is given and keeps the rest, credentials included', async () => {
    const moved = await patchChannel('pager', { url: 'https://pager.example.com/v2/hook' });
    expect(moved.status).toBe(200);
    expect(moved.body.channel).toMatchObject({ target: 'https://pager.example.com' });
    expect(await storedSecret('pager')).toMatchObject({
      url: 'https://pager.example.com/v2/hook',
      secret: SECRET,
    });
    await patchChannel('pager', { url: HOOK });

    const off = await patchChannel('oncall', { enabled: false, to: 'lead@example.com' });
    expect(off.body.channel).toMatchObject({ enabled: false, target: 'lead@example.com' });
    expect(await storedSecret('oncall')).toMatchObject({
      smtp: `smtp://pulse:${SMTP_PASSWORD}@mail.example.com:587`,
    });

    const wrong = await patchChannel('team', { secret: 'x'.repeat(20) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.fields).toEqual({ secret: 'a slack channel has no secret' });
    expect((await patchChannel('nope', { enabled: true })).status).toBe(404);
  });
});

describe('provisioned settings', () => {
  it('are read-only: a 409 that says where they are set', async () => {
    await t.db.insert(notificationChannels).values({
      id: 'webhook',
      type: 'webhook',
      target: 'https://ops.example.com',
      secret: { id: 'webhook', type: 'webhook', url: 'https://ops.example.com/x', secret: SECRET },
      provisioned: true,
    });
    await t.db.insert(notificationRoutes).values({
      position: 0,
      name: 'every incident (PULSE_WEBHOOK_URL)',
      match: {},
      channels: ['webhook'],
      continue: true,
      provisioned: true,
    });
    const [silence] = await t.db
      .insert(silences)
      .values({
        matchers: { severity: ['warn'] },
        comment: 'from the file',
        createdBy: 'PULSE_NOTIFY_CONFIG',
        startsAt: new Date(Date.now() - 60_000),
        endsAt: new Date(Date.now() + 3_600_000),
        provisioned: true,
      })
      .returning();

    for (const response of [
      await patchChannel('webhook', { enabled: false }),
      await deleteChannel('webhook'),
      await call(silenceRoute.DELETE, {
        method: 'DELETE',
        as: 'editor',
        params: { id: String(silence!.id) },
      }),
    ]) {
      expect(response.status).toBe(409);
      expect(response.body.error).toMatch(/PULSE_NOTIFY_CONFIG/);
    }
    const list = await call(channelsRoute.GET, { method: 'GET' });
    expect((list.body.channels as { id: string; provisioned: boolean }[])[0]).toMatchObject({
      id: 'webhook',
      provisioned: true,
    });
  });
});

describe('routes', () => {
  it('replaces the browser routes in order, after the provisioned ones', async () => {
    const saved = await putRoutes({
      routes: [
        {
          name: 'revenue to the pager',
          match: { minSeverity: 'critical', metrics: ['revenue*'] },
          channels: ['pager'],
          continue: true,
        },
        { match: { cause: { region: 'eu-*' } }, channels: ['team', 'pager'] },
        { match: { minSeverity: 'warn' }, channels: 'team' },
      ],
      defaultChannels: ['oncall'],
    });
    expect(saved.status).toBe(200);
    const names = (routes: unknown) =>
      (routes as { name: string | null; channels: string[]; provisioned: boolean }[]).map((r) => [
        r.name,
        r.channels,
        r.provisioned,
      ]);
    expect(names(saved.body.routes)).toEqual([
      ['every incident (PULSE_WEBHOOK_URL)', ['webhook'], true],
      ['revenue to the pager', ['pager'], false],
      [null, ['team', 'pager'], false],
      [null, ['team'], false],
    ]);
    expect(
      (saved.body.channels as { id: string; isDefault: boolean }[])
        .filter((c) => c.isDefault)
        .map((c) => c.id),
    ).toEqual(['oncall']);

    // Reversed: the same routes in the new order, as the writers apply them.
    const current = (await call(routesRoute.GET, { method: 'GET' })).body.routes as {
      name: string | null;
      match: unknown;
      channels: string[];
      continue: boolean;
      provisioned: boolean;
    }[];
    const browser = current.filter((r) => !r.provisioned).reverse();
    await putRoutes({
      routes: browser.map((r) => ({
        ...(r.name ? { name: r.name } : {}),
        match: r.match,
        channels: r.channels,
        continue: r.continue,
      })),
    });
    const { routing } = await loadRouting(t.db);
    expect(routing.routes.map((r) => r.name ?? r.channels.join('+'))).toEqual([
      'every incident (PULSE_WEBHOOK_URL)',
      'team',
      'team+pager',
      'revenue to the pager',
    ]);
    // The defaults were left as they were (no defaultChannels in that body).
    expect(routing.defaultChannels).toEqual([]); // oncall is the default, but disabled
  });

  it('refuses routes that name unknown channels, naming the field', async () => {
    const bad = await putRoutes({
      routes: [{ channels: ['pager'] }, { channels: ['pager', 'ghost'] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({ 'routes.1.channels': 'no channel has the id "ghost"' });
    const shape = await putRoutes({ routes: [{ channels: [], match: { minSeverity: 'high' } }] });
    expect(shape.status).toBe(400);
    expect(shape.body.fields).toMatchObject({
      'routes.0.channels': 'expected at least one',
      'routes.0.match.minSeverity': 'expected warn or critical',
    });
    const fixed = await putRoutes({ routes: [], defaultChannels: ['webhook'] });
    expect(fixed.status).toBe(409);
    expect(fixed.body.error).toMatch(/webhook.*PULSE_NOTIFY_CONFIG/);
  });

  it('a channel a route names is not deleted: the 409 names the routes', async () => {
    const refused = await deleteChannel('team');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe(
      'The channel team is used by route #2, route #3: remove it from those routes first.',
    );
    await putRoutes({ routes: [{ name: 'pager only', channels: ['pager'] }] });
    const deleted = await deleteChannel('team');
    expect(deleted).toEqual({ status: 200, body: { deleted: { id: 'team' } } });
    expect(await storedSecret('team')).toBeUndefined();
    expect((await deleteChannel('pager')).body.error).toBe(
      'The channel pager is used by route “pager only”: remove it from that route first.',
    );
  });
});

describe('silences', () => {
  it('an editor silences and expires; open incidents re-check at once', async () => {
    const incident = await openIncident();
    expect(incident.nextCheckAt).toBeNull();
    const endsAt = new Date(Date.now() + 4 * 3_600_000).toISOString();
    const created = await call(silencesRoute.POST, {
      method: 'POST',
      as: 'editor',
      body: {
        matchers: { cause: { region: 'eu-west' }, severity: 'critical' },
        comment: 'failover drill',
        endsAt,
        incidentId: incident.id,
      },
    });
    expect(created.status).toBe(201);
    const silence = created.body.silence as { id: number; state: string; createdBy: string };
    expect(silence).toMatchObject({
      state: 'active',
      createdBy: 'n-editor',
      matchers: { cause: { region: 'eu-west' }, severity: ['critical'] },
      incidentId: incident.id,
      provisioned: false,
    });
    const [after] = await t.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(after!.nextCheckAt).not.toBeNull();
    expect(Math.abs(after!.nextCheckAt!.getTime() - Date.now())).toBeLessThan(10_000);

    await t.db.update(incidents).set({ nextCheckAt: null }).where(eq(incidents.id, incident.id));
    const expired = await call(silenceRoute.DELETE, {
      method: 'DELETE',
      as: 'editor',
      params: { id: String(silence.id) },
    });
    expect(expired.status).toBe(200);
    expect(expired.body.silence).toMatchObject({ id: silence.id, state: 'ended' });
    const [released] = await t.db.select().from(incidents).where(eq(incidents.id, incident.id));
    expect(released!.nextCheckAt).not.toBeNull();
    // Idempotent.
    const again = await call(silenceRoute.DELETE, {
      method: 'DELETE',
      params: { id: String(silence.id) },
    });
    expect(again.status).toBe(200);

    const list = await call(silencesRoute.GET, { method: 'GET', as: 'viewer' });
    expect((list.body.silences as { id: number; state: string }[]).map((s) => s.state)).toEqual([
      'active', // the provisioned one
      'ended',
    ]);
  });

  it('names the fields in error', async () => {
    const bad = await call(silencesRoute.POST, {
      method: 'POST',
      as: 'editor',
      body: { matchers: {}, comment: 'x', endsAt: 'tomorrow' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({
      matchers: 'expected at least one matcher (metrics, severity or cause)',
      endsAt: 'expected an ISO 8601 date and time',
    });
    const past = await call(silencesRoute.POST, {
      method: 'POST',
      as: 'editor',
      body: { matchers: { metrics: 'a*' }, comment: 'x', endsAt: '2020-01-01T00:00:00Z' },
    });
    expect(past.status).toBe(400);
    expect(past.body.fields).toEqual({ endsAt: 'expected an end in the future, after the start' });
    const viewer = await call(silencesRoute.POST, {
      method: 'POST',
      as: 'viewer',
      body: { matchers: { metrics: 'a*' }, comment: 'x', endsAt: '2030-01-01T00:00:00Z' },
    });
    expect(viewer.status).toBe(403);
  });

  it('from an incident: recorded with it, the incident reads as silenced, and the board hears of it', async () => {
    const incident = await openIncident();
    const other = await openIncident();
    const [resolved] = await t.db
      .insert(incidents)
      .values({
        status: 'resolved',
        severity: 'critical',
        title: 'region=eu-west: Revenue −40%',
        cause: { region: 'eu-west' },
        firstWindow: new Date(Date.now() - 600_000),
        lastWindow: new Date(Date.now() - 540_000),
        resolvedAt: new Date(Date.now() - 500_000),
      })
      .returning();
    expect((await incidentSummary(t.db, incident.id))!.silenced).toBe(false);

    const heard: (PulseNotice | null)[] = [];
    const listener = await t.sql.listen(CHANNEL, (payload) => heard.push(parseNotice(payload)));
    try {
      const endsAt = new Date(Date.now() + 3_600_000);
      const created = await call(silencesRoute.POST, {
        method: 'POST',
        as: 'editor',
        body: {
          matchers: { cause: { region: 'eu-west' } },
          comment: 'known: the eu-west failover',
          endsAt: endsAt.toISOString(),
          incidentId: incident.id,
        },
      });
      expect(created.status).toBe(201);
      expect(created.body.silence).toMatchObject({ incidentId: incident.id, state: 'active' });
      const [stored] = await t.db
        .select()
        .from(silences)
        .where(eq(silences.id, (created.body.silence as { id: number }).id));
      expect(stored).toMatchObject({ incidentId: incident.id, createdBy: 'n-editor' });

      // The board and the drill-downs hear of each open incident (after the commit), which
      // now reads as silenced until the silence ends; a resolved one is left alone.
      await expect
        .poll(() => heard.filter((n) => n?.kind === 'incident').map((n) => n && 'id' in n && n.id))
        .toEqual(expect.arrayContaining([incident.id, other.id]));
      expect(heard).not.toContainEqual({ kind: 'incident', id: resolved!.id });
      const summary = await incidentSummary(t.db, incident.id);
      expect(summary).toMatchObject({ silenced: true, silencedUntil: endsAt.getTime() });
    } finally {
      await listener.unlisten();
    }

    const missing = await call(silencesRoute.POST, {
      method: 'POST',
      as: 'editor',
      body: {
        matchers: { cause: { region: 'eu-west' } },
        comment: 'x',
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        incidentId: 999_999,
      },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.fields).toEqual({ incidentId: 'no such incident' });
  });
});

describe('test send', () => {
  const deps = () => ({
    db: t.db,
    log,
    now: Date.now,
    publicUrl: 'http://pulse.test',
    waitMs: 400,
    pollMs: 50,
  });
  const admin = () => people.admin!;

  it('without a worker, says so after its wait and withdraws the test', async () => {
    const started = Date.now();
    const result = await testChannel(deps(), { actor: admin(), id: 'pager' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result).toEqual({
      outcome: 'timeout',
      statusCode: null,
      latencyMs: null,
      error: null,
      message: 'No worker delivered it within 1 s: is the worker running?',
    });
    const left = await t.db.select().from(notifications).where(eq(notifications.kind, 'test'));
    expect(left).toEqual([]);
  });

  it("reports the dispatcher's first attempt, credentials masked", async () => {
    const dispatcher = async (outcome: 'delivered' | 'retry', error: string | null) => {
      for (;;) {
        const [delivery] = await t.db
          .select()
          .from(notificationDeliveries)
          .where(eq(notificationDeliveries.status, 'pending'));
        if (delivery) {
          await t.db
            .update(notificationDeliveries)
            .set({ status: outcome === 'delivered' ? 'delivered' : 'pending', attempts: 1 })
            .where(eq(notificationDeliveries.id, delivery.id));
          await t.db.insert(notificationAttempts).values({
            deliveryId: delivery.id,
            attempt: 1,
            startedAt: new Date(),
            latencyMs: 37,
            outcome,
            statusCode: outcome === 'delivered' ? 200 : 503,
            error,
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const [delivered] = await Promise.all([
      testChannel({ ...deps(), waitMs: 5000 }, { actor: admin(), id: 'pager' }),
      dispatcher('delivered', null),
    ]);
    expect(delivered).toEqual({
      outcome: 'delivered',
      statusCode: 200,
      latencyMs: 37,
      error: null,
      message: 'Delivered in 37 ms (status 200).',
    });
    const [[message]] = [
      await t.db.select().from(notifications).where(eq(notifications.kind, 'test')),
    ];
    expect(message!.message.incident.title).toMatch(/^Test from Pulse/);
    expect(message!.key).toMatch(/^pulse-test-/);

    const [retry] = await Promise.all([
      testChannel({ ...deps(), waitMs: 5000 }, { actor: admin(), id: 'pager' }),
      dispatcher('retry', `POST ${HOOK} answered 503 (secret ${SECRET})`),
    ]);
    expect(retry.outcome).toBe('retry');
    expect(retry.error).toBe('POST … answered 503 (secret …)');
    seen.push(JSON.stringify(retry));
  });

  it('over the API: a 404 for no such channel, at once', async () => {
    const missing = await call(testRoute.POST, {
      method: 'POST',
      params: { id: 'ghost' },
    });
    expect(missing.status).toBe(404);
  });
});

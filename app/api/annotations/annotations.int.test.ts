/**
 * Annotations over their API, against a real PostgreSQL: route handlers called as Next calls
 * them (plain `Request`s), by a signed-in user with a session cookie or by a deploy script with
 * an API key. Keys are verified as ingest verifies them, skip the origin check (no cookie, no
 * CSRF) and record their use; cookie sessions keep the origin check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import type { AnnotationView } from '@/lib/views';
import { createApiKey, findApiKey, revokeApiKey } from '@/db/queries/api-keys';
import { createSession, createUser, type Role } from '@/db/queries/auth';
import { ensureDefaultMetrics } from '@/db/queries/metrics';
import { annotations } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { registerWeb } from '@/app/_server/context';
import { SESSION_COOKIE } from '@/app/_server/headers';
import * as listRoute from './route';
import * as oneRoute from './[id]/route';

const ORIGIN = 'http://pulse.test';
const HOUR = 3_600_000;

let t: TestDatabase;
const userIds: Partial<Record<Role, number>> = {};
let key: string;
let keyId: number;
let revoked: string;

type Handler = (
  request: Request,
  context?: { params: Promise<Record<string, string>> },
) => Promise<Response>;

interface Call {
  method: string;
  path?: string;
  as?: Role;
  bearer?: string;
  origin?: string | null;
  params?: Record<string, string>;
  body?: unknown;
}

async function call(
  handler: Handler,
  init: Call,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { host: 'pulse.test' };
  if (init.as) {
    headers.cookie = `${SESSION_COOKIE}=${await createSession(t.db, userIds[init.as]!, 60_000)}`;
  }
  if (init.bearer !== undefined) headers.authorization = `Bearer ${init.bearer}`;
  const origin = init.origin === undefined ? ORIGIN : init.origin;
  if (init.method !== 'GET' && origin !== null) headers.origin = origin;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const response = await handler(
    new Request(`${ORIGIN}${init.path ?? '/api/annotations'}`, {
      method: init.method,
      headers,
      ...(body !== undefined ? { body } : {}),
    }),
    { params: Promise.resolve(init.params as Record<string, string>) },
  );
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

const post = (body: unknown, init: Omit<Call, 'method' | 'body'> = {}) =>
  call(listRoute.POST, { method: 'POST', body, ...init });
const list = (query = '', as: Role = 'viewer') =>
  call(listRoute.GET, { method: 'GET', path: `/api/annotations${query}`, as });
const remove = (id: number | string, as: Role = 'editor') =>
  call(oneRoute.DELETE, {
    method: 'DELETE',
    path: `/api/annotations/${id}`,
    params: { id: String(id) },
    as,
  });

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  for (const role of ['viewer', 'editor', 'admin'] as const) {
    userIds[role] = (await createUser(t.db, { username: `a-${role}`, passwordHash: 'x', role })).id;
  }
  const made = await createApiKey(t.db, { name: 'deploys', createdBy: null });
  key = made.secret;
  keyId = made.key.id;
  const old = await createApiKey(t.db, { name: 'old', createdBy: null });
  await revokeApiKey(t.db, old.key.id, null);
  revoked = old.secret;
  registerWeb({
    db: t.db,
    sql: t.sql,
    log: createLogger('test', 'silent'),
    config: parseConfig({ DATABASE_URL: t.url, PULSE_WINDOW: '1m' }),
  });
});
afterAll(() => t.drop());

describe('POST /api/annotations', () => {
  it('creates one for a signed-in editor, who is its author (201)', async () => {
    const startsAt = Date.now() - HOUR;
    const created = await post(
      {
        title: 'Deploy 2026.12.6',
        text: 'Checkout service v2\nrolled out to eu-west',
        startsAt,
        metrics: ['purchases'],
        tags: ['deploy'],
      },
      { as: 'editor' },
    );
    expect(created.status).toBe(201);
    expect(created.body.annotation).toEqual({
      id: expect.any(Number) as number,
      startsAt,
      endsAt: null,
      title: 'Deploy 2026.12.6',
      text: 'Checkout service v2\nrolled out to eu-west',
      metrics: ['purchases'],
      tags: ['deploy'],
      author: { kind: 'user', username: 'a-editor' },
      createdAt: expect.any(Number) as number,
    });
  });

  it('creates one with an API key, from any origin or none, and records the key’s use', async () => {
    expect((await findApiKey(t.db, key))!.lastUsedAt).toBeNull();
    for (const origin of ['https://ci.example', null]) {
      const created = await post(
        {
          title: 'Campaign',
          startsAt: '2026-12-06T10:00:00Z',
          endsAt: '2026-12-06T12:00:00+01:00',
        },
        { bearer: key, origin },
      );
      expect(created.status).toBe(201);
      expect(created.body.annotation).toMatchObject({
        startsAt: Date.UTC(2026, 11, 6, 10),
        endsAt: Date.UTC(2026, 11, 6, 11),
        metrics: [],
        author: { kind: 'api-key', name: 'deploys' },
      });
    }
    // Recorded in the background.
    await expect.poll(async () => (await findApiKey(t.db, key))!.lastUsedAt).not.toBeNull();
    const [row] = await t.sql<{ api_key_id: number; created_by: number | null }[]>`
      select api_key_id, created_by from annotations order by id desc limit 1`;
    expect(row).toEqual({ api_key_id: keyId, created_by: null });
  });

  it('prefers the key to a cookie that comes with it', async () => {
    const created = await post(
      { title: 'both', startsAt: Date.now() },
      { bearer: key, as: 'viewer' },
    );
    expect(created.status).toBe(201);
    expect(created.body.annotation).toMatchObject({ author: { kind: 'api-key', name: 'deploys' } });
  });

  it('refuses unknown, revoked and malformed keys (401, ingest’s words), never falling back to the cookie', async () => {
    const cases: [string, string][] = [
      [revoked, 'This API key was revoked.'],
      [`pk_${'A'.repeat(43)}`, 'Unknown API key.'],
      ['not-a-key', 'Send an API key: Authorization: Bearer pk_…'],
      ['', 'Send an API key: Authorization: Bearer pk_…'],
    ];
    for (const [bearer, error] of cases) {
      const refused = await post({ title: 'x', startsAt: Date.now() }, { bearer, as: 'editor' });
      expect([bearer, refused.status, refused.body]).toEqual([bearer, 401, { error }]);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(JSON.stringify(await list())).not.toContain('"title":"x"');
  });

  it('refuses a viewer (403) and a cookie session from another origin (403)', async () => {
    const viewer = await post({ title: 'x', startsAt: Date.now() }, { as: 'viewer' });
    expect(viewer).toMatchObject({ status: 403, body: { error: 'This needs the editor role.' } });
    const crossSite = await post(
      { title: 'x', startsAt: Date.now() },
      { as: 'editor', origin: 'https://evil.example' },
    );
    expect(crossSite).toMatchObject({
      status: 403,
      body: { error: 'Cross-site request refused.' },
    });
    const noOrigin = await post(
      { title: 'x', startsAt: Date.now() },
      { as: 'editor', origin: null },
    );
    expect(noOrigin).toMatchObject({ status: 403, body: { error: 'Missing Origin header.' } });
    // A proxy's Basic credentials are not a key: the cookie session decides, origin check and all.
    const basic = await listRoute.POST(
      new Request(`${ORIGIN}/api/annotations`, {
        method: 'POST',
        headers: {
          host: 'pulse.test',
          origin: 'https://evil.example',
          authorization: 'Basic dXNlcjpwYXNz',
          cookie: `${SESSION_COOKIE}=${await createSession(t.db, userIds.editor!, 60_000)}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ title: 'x', startsAt: Date.now() }),
      }),
    );
    expect(basic.status).toBe(403);
  });

  it('answers 400 naming each wrong field, and unknown fields', async () => {
    const now = Date.now();
    const invalid = await post(
      { title: ' ', startsAt: now, endsAt: now - 1, metrics: ['Purchases'], tags: ['a b'] },
      { bearer: key },
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({
      error: 'Check the highlighted fields.',
      fields: {
        title: 'Give the annotation a title.',
        endsAt: 'The end must not be before the start.',
        metrics:
          '"Purchases" is not a metric key: keys are lowercase letters, digits, _ or -, starting with a letter (at most 48 characters).',
        tags: '"a b" is not a tag: tags are lowercase letters, digits, _ . or -, starting with a letter or digit (at most 32 characters).',
      },
    });
    const seconds = await post({ title: 'x', startsAt: 1_765_000_000 }, { as: 'editor' });
    expect(seconds.body.fields).toEqual({
      startsAt:
        'The start is before 2000: give epoch milliseconds (not seconds) or an ISO 8601 time.',
    });
    const unknown = await post({ title: 'x', startsAt: now, author: 'me' }, { bearer: key });
    expect(unknown).toMatchObject({
      status: 400,
      body: { error: 'Unknown field: author.', fields: { author: 'Unknown field.' } },
    });
    const missingMetric = await post(
      { title: 'x', startsAt: now, metrics: ['purchases', 'nope'] },
      { as: 'editor' },
    );
    expect(missingMetric).toMatchObject({
      status: 400,
      body: { fields: { metrics: 'No metric has the key "nope".' } },
    });
    // Line breaks in the text only.
    const broken = await post({ title: 'a\nb', startsAt: now }, { as: 'editor' });
    expect(broken.status).toBe(400);
    expect(Object.keys(broken.body.fields as object)).toEqual(['title']);
  });
});

describe('GET /api/annotations', () => {
  it('answers those overlapping the range, for a metric those naming it or none, newest first', async () => {
    await t.db.delete(annotations);
    const T = Date.UTC(2026, 10, 20, 12);
    const add = async (title: string, startsAt: number, endsAt?: number, metrics?: string[]) => {
      const made = await post(
        { title, startsAt, ...(endsAt ? { endsAt } : {}), ...(metrics ? { metrics } : {}) },
        { bearer: key },
      );
      expect(made.status).toBe(201);
    };
    await add('before', T - 2 * HOUR);
    await add('instant', T + HOUR, undefined, ['purchases']);
    await add('span into', T - 3 * HOUR, T + 30 * 60_000);
    await add('other metric', T + 2 * HOUR, undefined, ['revenue']);
    await add('after', T + 5 * HOUR);

    const range = `?from=${T}&to=${T + 3 * HOUR}`;
    const all = await list(range);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ from: T, to: T + 3 * HOUR, truncated: false });
    expect((all.body.annotations as AnnotationView[]).map((a) => a.title)).toEqual([
      'other metric',
      'instant',
      'span into',
    ]);
    const purchases = await list(`${range}&metric=purchases`);
    expect((purchases.body.annotations as AnnotationView[]).map((a) => a.title)).toEqual([
      'instant',
      'span into',
    ]);
    // ISO 8601 in the query too.
    const iso = await list(
      `?from=${new Date(T - 2 * HOUR).toISOString()}&to=${new Date(T - 2 * HOUR).toISOString()}`,
    );
    expect((iso.body.annotations as AnnotationView[]).map((a) => a.title)).toEqual([
      'before',
      'span into',
    ]);
  });

  it('reads the last 24 hours by default', async () => {
    await t.db.delete(annotations);
    await post({ title: 'recent', startsAt: Date.now() - HOUR }, { bearer: key });
    await post({ title: 'old', startsAt: Date.now() - 25 * HOUR }, { bearer: key });
    const recent = await list();
    expect((recent.body.annotations as AnnotationView[]).map((a) => a.title)).toEqual(['recent']);
    expect((recent.body.to as number) - (recent.body.from as number)).toBe(24 * HOUR);
  });

  it('refuses a bad range or metric (400) and anonymous callers (401)', async () => {
    expect(await list('?from=10&to=5')).toMatchObject({ status: 400 });
    expect(await list(`?from=${Date.now()}&to=${Date.now() - HOUR}`)).toMatchObject({
      status: 400,
      body: { fields: { from: 'The range start must not be after its end.' } },
    });
    expect(await list('?from=yesterday')).toMatchObject({ status: 400 });
    expect(await list('?metric=Bad%20Key')).toMatchObject({
      status: 400,
      body: { fields: { metric: 'metric must be a metric key.' } },
    });
    const anonymous = await call(listRoute.GET, { method: 'GET' });
    expect(anonymous.status).toBe(401);
    // A key reads nothing: GET does not take keys.
    const withKey = await call(listRoute.GET, { method: 'GET', bearer: key });
    expect(withKey).toMatchObject({ status: 401, body: { error: 'Sign in first.' } });
  });
});

describe('DELETE /api/annotations/[id]', () => {
  it('lets an editor delete any annotation, a key’s included; 404 after; viewers and keys may not', async () => {
    const made = await post({ title: 'to delete', startsAt: Date.now() }, { bearer: key });
    const id = (made.body.annotation as AnnotationView).id;
    expect(await remove(id, 'viewer')).toMatchObject({ status: 403 });
    const byKey = await call(oneRoute.DELETE, {
      method: 'DELETE',
      path: `/api/annotations/${id}`,
      params: { id: String(id) },
      bearer: key,
    });
    expect(byKey.status).toBe(401);

    const deleted = await remove(id, 'editor');
    expect(deleted.status).toBe(200);
    expect(deleted.body.annotation).toMatchObject({ id, title: 'to delete' });
    expect(await remove(id, 'editor')).toMatchObject({
      status: 404,
      body: { error: 'No such annotation.' },
    });
    expect(await remove('abc', 'admin')).toMatchObject({
      status: 404,
      body: { error: 'No such annotation.' },
    });
  });
});

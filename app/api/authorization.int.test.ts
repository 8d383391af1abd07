/**
 * The authorisation matrix, over every route handler in app/api, generated from the files: each
 * exported method must have an entry below saying who may call it and whether it reads a body,
 * so a new route without an entry fails here. Every entry is then called as anonymous, viewer,
 * editor and admin (the role's outcome must be "let through" or "refused", as the table says),
 * from a foreign origin, and with bodies a strict parser must refuse; with an API key, which only
 * the routes marked `apiKey` take (from any origin) and every other route ignores. Handlers are
 * called as Next calls them, with plain `Request`s, against a real PostgreSQL.
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { createApiKey, revokeApiKey } from '@/db/queries/api-keys';
import { createSession, createUser, type Role } from '@/db/queries/auth';
import { ensureDefaultMetrics } from '@/db/queries/metrics';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { registerWeb } from '@/app/_server/context';
import { SESSION_COOKIE } from '@/app/_server/headers';

type Access = 'public' | Role;
interface Entry {
  /** Who may call it: anyone, or a signed-in user with at least this role. */
  role: Access;
  /** Whether it reads a JSON body (a strict schema); else a body is refused. */
  body: boolean;
  /** Whether an API key (`Authorization: Bearer pk_…`) may call it too, whatever the role. */
  apiKey?: true;
}

/** Who may call what. A route or method missing here fails the test that lists them. */
const MATRIX: Record<string, Entry> = {
  'POST /api/auth/login': { role: 'public', body: true },
  'POST /api/auth/logout': { role: 'public', body: false },
  'PUT /api/account/password': { role: 'viewer', body: true },
  'GET /api/account/sessions': { role: 'viewer', body: false },
  'POST /api/account/sessions/[id]/revoke': { role: 'viewer', body: false },
  'GET /api/annotations': { role: 'viewer', body: false },
  'POST /api/annotations': { role: 'editor', body: true, apiKey: true },
  'DELETE /api/annotations/[id]': { role: 'editor', body: false },
  'GET /api/anomalies': { role: 'viewer', body: false },
  'GET /api/anomalies/[id]': { role: 'viewer', body: false },
  'GET /api/anomalies/[id]/history': { role: 'viewer', body: false },
  'POST /api/anomalies/[id]/actions': { role: 'editor', body: true },
  'GET /api/board': { role: 'viewer', body: false },
  'GET /api/incidents': { role: 'viewer', body: false },
  'GET /api/incidents/[id]': { role: 'viewer', body: false },
  'POST /api/incidents/[id]/actions': { role: 'editor', body: true },
  'GET /api/health/details': { role: 'viewer', body: false },
  'GET /api/health/metrics': { role: 'viewer', body: false },
  'GET /api/metrics': { role: 'viewer', body: false },
  'POST /api/metrics': { role: 'editor', body: true },
  'POST /api/metrics/preview': { role: 'viewer', body: true },
  'GET /api/metrics/[key]': { role: 'viewer', body: false },
  'PATCH /api/metrics/[key]': { role: 'editor', body: true },
  'POST /api/metrics/[key]/preview': { role: 'editor', body: true },
  'PUT /api/metrics/[key]/rule': { role: 'editor', body: true },
  'GET /api/api-keys': { role: 'admin', body: false },
  'POST /api/api-keys': { role: 'admin', body: true },
  'POST /api/api-keys/[id]/revoke': { role: 'admin', body: false },
  'GET /api/notifications/channels': { role: 'admin', body: false },
  'POST /api/notifications/channels': { role: 'admin', body: true },
  'PATCH /api/notifications/channels/[id]': { role: 'admin', body: true },
  'DELETE /api/notifications/channels/[id]': { role: 'admin', body: false },
  'POST /api/notifications/channels/[id]/test': { role: 'admin', body: false },
  'GET /api/notifications/routes': { role: 'admin', body: false },
  'PUT /api/notifications/routes': { role: 'admin', body: true },
  'GET /api/notifications/silences': { role: 'viewer', body: false },
  'POST /api/notifications/silences': { role: 'editor', body: true },
  'DELETE /api/notifications/silences/[id]': { role: 'editor', body: false },
  'POST /api/quarantine/reingest': { role: 'admin', body: true },
  'GET /api/users': { role: 'admin', body: false },
  'POST /api/users': { role: 'admin', body: true },
  'PATCH /api/users/[id]': { role: 'admin', body: true },
  'DELETE /api/users/[id]': { role: 'admin', body: false },
  'POST /api/users/[id]/password': { role: 'admin', body: true },
  'GET /api/users/[id]/sessions': { role: 'admin', body: false },
  'POST /api/users/[id]/sessions/revoke-all': { role: 'admin', body: false },
  'POST /api/users/[id]/sessions/[sessionId]/revoke': { role: 'admin', body: false },
};

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const ORIGIN = 'http://pulse.test';
/** Values for dynamic segments: a metric that exists; ids that name nothing (404 past the guard). */
const PARAMS: Record<string, string> = {
  key: 'purchases',
  id: '987654',
  sessionId: '00000000-0000-4000-8000-000000000000',
};

type Handler = (
  request: Request,
  context?: { params: Promise<Record<string, string>> },
) => Promise<Response>;
interface Route {
  name: string;
  method: string;
  path: string;
  params: Record<string, string>;
  handler: Handler;
}

/** Every exported method of every app/api/**\/route.ts, as `METHOD /api/path/[param]`. */
async function discover(): Promise<Route[]> {
  const root = join(process.cwd(), 'app', 'api');
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file === 'route.ts' || file.endsWith(`${sep}route.ts`))
    .sort();
  const routes: Route[] = [];
  for (const file of files) {
    const dir = relative(root, join(root, file, '..'))
      .split(sep)
      .filter(Boolean);
    const pattern = ['/api', ...dir].join('/');
    // The file itself: the list is what is on disk, not what someone remembered to import.
    const handlers = (await import(/* @vite-ignore */ join(root, file))) as Record<string, unknown>;
    const params: Record<string, string> = {};
    for (const segment of dir) {
      const match = /^\[(\w+)\]$/.exec(segment);
      if (match) params[match[1]!] = PARAMS[match[1]!] ?? '1';
    }
    const path = pattern.replace(/\[(\w+)\]/g, (_, name: string) => params[name]!);
    for (const method of METHODS) {
      if (typeof handlers[method] === 'function') {
        routes.push({
          name: `${method} ${pattern}`,
          method,
          path,
          params,
          handler: handlers[method] as Handler,
        });
      }
    }
  }
  return routes;
}

let t: TestDatabase;
let routes: Route[];
const userIds: Partial<Record<Role, number>> = {};
/** An API key in force, and one revoked. */
let key: string;
let revokedKey: string;

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  for (const role of ['viewer', 'editor', 'admin'] as const) {
    userIds[role] = (
      await createUser(t.db, { username: `matrix-${role}`, passwordHash: 'x', role })
    ).id;
  }
  key = (await createApiKey(t.db, { name: 'matrix', createdBy: null })).secret;
  const revoked = await createApiKey(t.db, { name: 'matrix-revoked', createdBy: null });
  await revokeApiKey(t.db, revoked.key.id, null);
  revokedKey = revoked.secret;
  registerWeb({
    db: t.db,
    sql: t.sql,
    log: createLogger('test', 'silent'),
    config: parseConfig({ DATABASE_URL: t.url, PULSE_WINDOW: '1m' }),
  });
  routes = await discover();
});
afterAll(() => t.drop());

interface Call {
  as?: Role;
  /** Sent as `Authorization: Bearer <bearer>`. */
  bearer?: string;
  origin?: string;
  body?: string;
  contentType?: string;
}

/** Calls a route with a fresh session of `as` (a handler may end the session it is given). */
async function call(route: Route, init: Call = {}): Promise<Response> {
  const headers: Record<string, string> = { host: 'pulse.test' };
  if (init.as) {
    headers.cookie = `${SESSION_COOKIE}=${await createSession(t.db, userIds[init.as]!, 60_000)}`;
  }
  if (init.bearer !== undefined) headers.authorization = `Bearer ${init.bearer}`;
  const mutation = route.method !== 'GET' && route.method !== 'HEAD';
  if (mutation) headers.origin = init.origin ?? ORIGIN;
  if (init.body !== undefined) {
    headers['content-type'] = init.contentType ?? 'application/json';
    // As a client sends it (a plain Request leaves it to the transport).
    headers['content-length'] = String(Buffer.byteLength(init.body));
  }
  const request = new Request(`${ORIGIN}${route.path}`, {
    method: route.method,
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  // As Next does: a route without dynamic segments gets params that resolve to undefined.
  const params = Object.keys(route.params).length > 0 ? route.params : undefined;
  return route.handler(request, { params: Promise.resolve(params as Record<string, string>) });
}

const ROLES = ['viewer', 'editor', 'admin'] as const;
const RANK = { public: -1, viewer: 0, editor: 1, admin: 2 } as const;

describe('the authorisation matrix', () => {
  it('has an entry for every route and method, and no entry without a route', () => {
    const found = routes.map((r) => r.name).sort();
    expect(found).toEqual(Object.keys(MATRIX).sort());
  });

  it('refuses anonymous callers of every route but sign-in and sign-out (401)', async () => {
    for (const route of routes) {
      const entry = MATRIX[route.name]!;
      const { status } = await call(route, entry.body ? { body: '{}' } : {});
      if (entry.role === 'public') expect([route.name, status]).not.toEqual([route.name, 401]);
      else expect([route.name, status]).toEqual([route.name, 401]);
    }
  });

  it('lets each role through exactly where the table says (403 below it)', async () => {
    for (const route of routes) {
      const entry = MATRIX[route.name]!;
      if (entry.role === 'public') continue;
      for (const role of ROLES) {
        const { status } = await call(route, { as: role, ...(entry.body ? { body: '{}' } : {}) });
        if (RANK[role] < RANK[entry.role]) {
          expect([route.name, role, status]).toEqual([route.name, role, 403]);
        } else {
          expect([route.name, role, status]).not.toContain(401);
          expect([route.name, role, status]).not.toContain(403);
        }
      }
    }
  });

  it('refuses every mutation from another origin, another scheme or another port (403)', async () => {
    for (const route of routes.filter((r) => r.method !== 'GET')) {
      const entry = MATRIX[route.name]!;
      for (const origin of [
        'https://evil.example',
        'https://pulse.test',
        'http://pulse.test:8080',
        'null',
      ]) {
        const response = await call(route, {
          as: 'admin',
          origin,
          ...(entry.body ? { body: '{}' } : {}),
        });
        expect([route.name, origin, response.status]).toEqual([route.name, origin, 403]);
      }
    }
  });

  it('lets an API key through only where the table says, from any origin; elsewhere it is no credential (401)', async () => {
    for (const route of routes) {
      const entry = MATRIX[route.name]!;
      if (entry.role === 'public') continue;
      const body = entry.body ? { body: '{}' } : {};
      const { status } = await call(route, { bearer: key, ...body });
      if (entry.apiKey) {
        expect([route.name, status]).not.toContain(401);
        expect([route.name, status]).not.toContain(403);
        // No cookie, so no CSRF: a key's request is not held to our origin.
        const foreign = await call(route, { bearer: key, origin: 'https://ci.example', ...body });
        expect([route.name, foreign.status]).not.toContain(401);
        expect([route.name, foreign.status]).not.toContain(403);
        const revoked = await call(route, { bearer: revokedKey, ...body });
        expect([route.name, revoked.status]).toEqual([route.name, 401]);
        expect(await revoked.json()).toEqual({ error: 'This API key was revoked.' });
      } else {
        expect([route.name, status]).toEqual([route.name, 401]);
      }
    }
  });

  it('parses every mutation body strictly: unknown fields, __proto__, arrays, the wrong type', async () => {
    for (const route of routes.filter((r) => MATRIX[r.name]!.body)) {
      const as = MATRIX[route.name]!.role === 'public' ? undefined : 'admin';
      const unknown = await call(route, { as, body: '{"evil":1}' });
      expect([route.name, unknown.status]).toEqual([route.name, 400]);
      expect((await unknown.json()) as unknown).toMatchObject({
        fields: { evil: 'Unknown field.' },
      });

      const proto = await call(route, { as, body: '{"__proto__":{"role":"admin"}}' });
      expect([route.name, proto.status]).toEqual([route.name, 400]);
      expect((await proto.json()) as unknown).toMatchObject({
        fields: { __proto__: 'Unknown field.' },
      });

      const array = await call(route, { as, body: '[{"evil":1}]' });
      expect([route.name, array.status]).toEqual([route.name, 400]);
      expect(((await array.json()) as { error: string }).error).toBe(
        'The request body must be a JSON object, not an array.',
      );

      const text = await call(route, {
        as,
        body: '{}',
        contentType: 'text/plain; x=application/json',
      });
      expect([route.name, text.status]).toEqual([route.name, 415]);
    }
  });

  it('refuses a body on every mutation that reads none', async () => {
    for (const route of routes.filter((r) => r.method !== 'GET' && !MATRIX[r.name]!.body)) {
      const as = MATRIX[route.name]!.role === 'public' ? undefined : 'admin';
      const response = await call(route, { as, body: '{"evil":1}' });
      expect([route.name, response.status]).toEqual([route.name, 400]);
      expect(((await response.json()) as { error: string }).error).toBe(
        'This request takes no body.',
      );
    }
  });
});

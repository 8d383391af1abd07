/**
 * Regression tests of the security review's findings on the routes (issue 13), each named
 * after what was found. The other findings have their tests beside the code they concern:
 * sign-in throttling (app/_server/use-cases/attempt-sign-in.int.test.ts), the open redirect
 * (app/_lib/safe-next.test.ts), sockets (app/_server/live.int.test.ts), slow and large bodies
 * (app/_server/raw-http.test.ts, app/_server/api-route.test.ts), the authorisation matrix,
 * origins and strict bodies (./authorization.int.test.ts), log forging
 * (lib/observability/log.test.ts), headers and CSP in a browser (e2e/security-headers.spec.ts),
 * and accounts (app/_server/use-cases/*.int.test.ts, e2e/accounts.spec.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@/lib/auth/password';
import { parseConfig } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { createSession, createUser } from '@/db/queries/auth';
import { ensureDefaultMetrics } from '@/db/queries/metrics';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { registerWeb } from '@/app/_server/context';
import { CLIENT_ADDRESS_HEADER, SESSION_COOKIE } from '@/app/_server/headers';
import { POST as login } from '@/app/api/auth/login/route';
import { PUT as changePassword } from '@/app/api/account/password/route';
import { GET as listAnomalies } from '@/app/api/anomalies/route';
import { POST as act } from '@/app/api/anomalies/[id]/actions/route';
import { POST as createKey } from '@/app/api/api-keys/route';
import { GET as getMetric, PATCH as patchMetric } from '@/app/api/metrics/[key]/route';
import { POST as createMetric } from '@/app/api/metrics/route';

const ORIGIN = 'http://pulse.test';
let t: TestDatabase;
let admin: string;

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  const a = await createUser(t.db, {
    username: 'ada',
    passwordHash: await hashPassword('the right one'),
    role: 'admin',
  });
  admin = await createSession(t.db, a.id, 600_000);
  registerWeb({
    db: t.db,
    sql: t.sql,
    log: createLogger('test', 'silent'),
    config: parseConfig({ DATABASE_URL: t.url, PULSE_WINDOW: '1m' }),
  });
});
afterAll(() => t.drop());

function request(
  path: string,
  init: { method?: string; body?: string; session?: string; address?: string } = {},
) {
  const headers: Record<string, string> = { host: 'pulse.test', origin: ORIGIN };
  if (init.session) headers.cookie = `${SESSION_COOKIE}=${init.session}`;
  if (init.address) headers[CLIENT_ADDRESS_HEADER] = init.address;
  if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(init.body));
  }
  return new Request(`${ORIGIN}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}
const params = (values: Record<string, string>) => ({ params: Promise.resolve(values) });

async function answer(response: Response) {
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('NUL and other control characters are a 400 naming the field, never a 500', () => {
  it('in the sign-in username, even without signing in', async () => {
    const nul = await answer(
      await login(
        request('/api/auth/login', {
          method: 'POST',
          body: '{"username":"a\\u0000b","password":"x"}',
        }),
      ),
    );
    expect(nul).toEqual({
      status: 400,
      body: {
        error: 'username: Must not contain control characters (U+0000).',
        fields: { username: 'Must not contain control characters (U+0000).' },
      },
    });
    // A line feed would have forged a line in the log.
    const lf = await login(
      request('/api/auth/login', {
        method: 'POST',
        body: JSON.stringify({
          username: 'ann\n12:00:00 web info signed in user=admin',
          password: 'x',
        }),
      }),
    );
    expect(lf.status).toBe(400);
  });

  it('a password is taken as typed: a NUL in it is only a wrong password', async () => {
    const response = await login(
      request('/api/auth/login', {
        method: 'POST',
        body: '{"username":"ada","password":"a\\u0000b"}',
        address: '10.20.30.40',
      }),
    );
    expect(response.status).toBe(401);
  });

  it("in a metric's name, unit and filter", async () => {
    const base = { key: 'nul_test', name: 'NUL test', kind: 'count', eventType: 'purchase' };
    for (const [field, patch] of [
      ['name', { name: 'a\u0000b' }],
      ['unit', { unit: 'ms\u0000' }],
      ['filters.region', { filters: { region: 'eu\u0000west' } }],
      ['filters', { filters: { 're\u0000gion': 'eu-west' } }],
    ] as const) {
      const response = await answer(
        await createMetric(
          request('/api/metrics', {
            method: 'POST',
            session: admin,
            body: JSON.stringify({ ...base, ...patch }),
          }),
        ),
      );
      expect(response.status).toBe(400);
      expect(Object.keys(response.body.fields as object)).toEqual([field]);
    }
    const patched = await patchMetric(
      request('/api/metrics/purchases', {
        method: 'PATCH',
        session: admin,
        body: JSON.stringify({ name: 'x\u0000' }),
      }),
      params({ key: 'purchases' }),
    );
    expect(patched.status).toBe(400);
  });

  it('in a path segment: /api/metrics/%00 names nothing (404)', async () => {
    for (const key of ['%00', '\u0000', 'a%0Ab', '%E2%80%AE']) {
      const response = await getMetric(
        request(`/api/metrics/${encodeURIComponent(key)}`, { session: admin }),
        params({ key }),
      );
      expect([key, response.status]).toEqual([key, 404]);
    }
  });

  it('in a query value', async () => {
    const response = await answer(
      await listAnomalies(request('/api/anomalies?status=%00', { session: admin })),
    );
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual({
      status: 'Must not contain control characters (U+0000).',
    });
  });

  it("in an action's note, where line breaks are welcome", async () => {
    const nul = await answer(
      await act(
        request('/api/anomalies/1/actions', {
          method: 'POST',
          session: admin,
          body: JSON.stringify({ action: 'acknowledge', note: 'on it\u0000' }),
        }),
        params({ id: '1' }),
      ),
    );
    expect(nul.status).toBe(400);
    expect(nul.body.fields).toEqual({ note: 'Must not contain control characters (U+0000).' });
    const lines = await act(
      request('/api/anomalies/1/actions', {
        method: 'POST',
        session: admin,
        body: JSON.stringify({ action: 'acknowledge', note: 'line one\nline two' }),
      }),
      params({ id: '1' }),
    );
    // Past the text check: there is no anomaly 1 in this database.
    expect(lines.status).toBe(404);
  });
});

describe('spoofing: bidi controls are refused in names', () => {
  it("in an API key's name", async () => {
    const response = await answer(
      await createKey(
        request('/api/api-keys', {
          method: 'POST',
          session: admin,
          body: JSON.stringify({ name: 'ingest\u202Egnp.exe' }),
        }),
      ),
    );
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual({
      name: 'Must not contain bidirectional formatting characters (U+202E).',
    });
  });
});

describe('brute force: sign-in answers 429 with Retry-After', () => {
  it('after the free failures, and the right password does not get through the block', async () => {
    const attempt = (password: string) =>
      login(
        request('/api/auth/login', {
          method: 'POST',
          body: JSON.stringify({ username: 'ada', password }),
          address: '192.0.2.50',
        }),
      );
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await attempt('wrong')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    const right = await attempt('the right one');
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await right.json()) as { error: string }).error).toMatch(/^Too many failed sign-ins/);
  });
});

describe('brute force with a stolen cookie: guessing the current password is throttled too', () => {
  it('on the same counts as sign-in', async () => {
    const pat = await createUser(t.db, {
      username: 'pat',
      passwordHash: await hashPassword('pats password'),
      role: 'viewer',
    });
    const session = await createSession(t.db, pat.id, 600_000);
    const attempt = (currentPassword: string) =>
      changePassword(
        request('/api/account/password', {
          method: 'PUT',
          session,
          address: '192.0.2.60',
          body: JSON.stringify({ currentPassword, newPassword: 'a new password' }),
        }),
      );
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await attempt('guess')).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 429]);
    const right = await attempt('pats password');
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

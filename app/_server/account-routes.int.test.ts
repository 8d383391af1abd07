/**
 * The account routes (app/api/account/**, app/api/users/**) called as Next calls them, with
 * plain `Request`s against a real PostgreSQL: who may call which, strict bodies, the answers
 * (never a hash or a token), and what a change does to the sessions behind the cookies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '@/lib/auth/password';
import type { SessionView, UserView } from '@/lib/auth/accounts';
import { parseConfig } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { createSession, createUser, hashToken, type SessionUser } from '@/db/queries/auth';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { PUT as changePassword } from '@/app/api/account/password/route';
import { GET as mySessions } from '@/app/api/account/sessions/route';
import { POST as revokeMine } from '@/app/api/account/sessions/[id]/revoke/route';
import { GET as listUsers, POST as createUser_ } from '@/app/api/users/route';
import { DELETE as deleteUser, PATCH as patchUser } from '@/app/api/users/[id]/route';
import { POST as resetPassword } from '@/app/api/users/[id]/password/route';
import { GET as userSessions } from '@/app/api/users/[id]/sessions/route';
import { POST as revokeAll } from '@/app/api/users/[id]/sessions/revoke-all/route';
import { POST as revokeOne } from '@/app/api/users/[id]/sessions/[sessionId]/revoke/route';
import { registerWeb } from './context';
import { SESSION_COOKIE } from './headers';

const ORIGIN = 'http://pulse.test';
const TTL = 60 * 60_000;

let t: TestDatabase;
let admin: SessionUser;
let adminToken: string;
const tokens: Record<'viewer' | 'editor', string> = { viewer: '', editor: '' };
let target: SessionUser;

type Handler = (
  request: Request,
  context?: { params: Promise<Record<string, string>> },
) => Promise<Response>;

function call(
  handler: Handler,
  path: string,
  init: {
    method?: string;
    session?: string | undefined;
    body?: unknown;
    params?: Record<string, string>;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = { host: 'pulse.test', origin: ORIGIN };
  if (init.session) headers.cookie = `${SESSION_COOKIE}=${init.session}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const request = new Request(`${ORIGIN}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return handler(request, { params: Promise.resolve(init.params ?? {}) });
}

async function person(username: string, role: SessionUser['role'], password = 'first-password') {
  const user = await createUser(t.db, {
    username,
    passwordHash: await hashPassword(password),
    role,
  });
  return { user, token: await createSession(t.db, user.id, TTL) };
}

beforeAll(async () => {
  t = await createTestDatabase();
  registerWeb({
    db: t.db,
    sql: t.sql,
    log: createLogger('test', 'silent'),
    config: parseConfig({ DATABASE_URL: t.url, PULSE_WINDOW: '1m' }),
  });
  ({ user: admin, token: adminToken } = await person('root', 'admin'));
  tokens.viewer = (await person('vera', 'viewer')).token;
  tokens.editor = (await person('eddie', 'editor')).token;
  target = (await person('tess', 'viewer')).user;
});
afterAll(() => t.drop());

const SOME_SESSION = '00000000-0000-4000-8000-000000000000';

/** Every admin route, with what a valid call needs. */
const ADMIN_ROUTES = () =>
  [
    ['GET /api/users', listUsers, { method: 'GET' }],
    [
      'POST /api/users',
      createUser_,
      { method: 'POST', body: { username: 'sneaky', role: 'admin' } },
    ],
    [
      'PATCH /api/users/[id]',
      patchUser,
      { method: 'PATCH', body: { role: 'admin' }, params: { id: String(target.id) } },
    ],
    ['DELETE /api/users/[id]', deleteUser, { method: 'DELETE', params: { id: String(target.id) } }],
    [
      'POST /api/users/[id]/password',
      resetPassword,
      { method: 'POST', body: {}, params: { id: String(target.id) } },
    ],
    ['GET /api/users/[id]/sessions', userSessions, { params: { id: String(target.id) } }],
    [
      'POST /api/users/[id]/sessions/revoke-all',
      revokeAll,
      { method: 'POST', params: { id: String(target.id) } },
    ],
    [
      'POST /api/users/[id]/sessions/[sessionId]/revoke',
      revokeOne,
      { method: 'POST', params: { id: String(target.id), sessionId: SOME_SESSION } },
    ],
  ] as const;

describe('who may call the account routes', () => {
  it('viewers and editors get 403 on every admin route, anonymous 401', async () => {
    for (const [name, handler, init] of ADMIN_ROUTES()) {
      for (const role of ['viewer', 'editor'] as const) {
        const response = await call(handler as Handler, '/api/users', {
          ...init,
          session: tokens[role],
        });
        expect(response.status, `${role} ${name}`).toBe(403);
        expect(await response.json()).toEqual({ error: 'This needs the admin role.' });
      }
      const anonymous = await call(handler as Handler, '/api/users', init);
      expect(anonymous.status, `anonymous ${name}`).toBe(401);
    }
    // Nothing happened to the target.
    const list = (await (await call(listUsers, '/api/users', { session: adminToken })).json()) as {
      users: UserView[];
    };
    expect(list.users.find((u) => u.id === target.id)).toMatchObject({ role: 'viewer' });
    expect(list.users.map((u) => u.username)).not.toContain('sneaky');
  });

  it('anyone signed in has their own account routes; anonymous gets 401', async () => {
    expect((await call(mySessions, '/api/account/sessions')).status).toBe(401);
    const put = await call(changePassword, '/api/account/password', {
      method: 'PUT',
      body: { currentPassword: 'x', newPassword: 'yyyyyyyy' },
    });
    expect(put.status).toBe(401);
    const mine = await call(mySessions, '/api/account/sessions', { session: tokens.viewer });
    expect(mine.status).toBe(200);
  });
});

describe('users, as an admin', () => {
  it('creates a user with a generated password shown once; lists never show a hash', async () => {
    const response = await call(createUser_, '/api/users', {
      method: 'POST',
      session: adminToken,
      body: { username: 'newbie', role: 'editor' },
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { user: UserView; password: string };
    expect(body.user).toMatchObject({ username: 'newbie', role: 'editor', disabledAt: null });
    expect(body.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const list = await (await call(listUsers, '/api/users', { session: adminToken })).text();
    expect(list).not.toContain('scrypt$');
    expect(list).not.toContain(body.password);
    expect(list).not.toMatch(/hash/i);
  });

  it('answers 400 naming a field, an unknown field, and 409 for a taken name', async () => {
    const bad = await call(createUser_, '/api/users', {
      method: 'POST',
      session: adminToken,
      body: { username: 'a b', role: 'boss', password: 'short' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'Check the highlighted fields.',
      fields: {
        username: 'Use only letters, digits, _ . and -.',
        role: 'Choose viewer, editor or admin.',
        password: 'Use at least 8 characters.',
      },
    });
    const unknown = await call(createUser_, '/api/users', {
      method: 'POST',
      session: adminToken,
      body: { username: 'ok', role: 'viewer', admin: true },
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toBe('Unknown field: admin.');
    const taken = await call(createUser_, '/api/users', {
      method: 'POST',
      session: adminToken,
      body: { username: 'vera', role: 'viewer' },
    });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toEqual({
      error: 'A user named vera already exists.',
      fields: { username: 'This username is taken.' },
    });
  });

  it('refuses to disable, demote or delete the last admin, or oneself (409), and 404s', async () => {
    const id = String(admin.id);
    const disable = await call(patchUser, `/api/users/${id}`, {
      method: 'PATCH',
      session: adminToken,
      body: { disabled: true },
      params: { id },
    });
    expect(disable.status).toBe(409);
    expect(((await disable.json()) as { error: string }).error).toBe(
      'You cannot disable your own account: ask another admin.',
    );
    const demote = await call(patchUser, `/api/users/${id}`, {
      method: 'PATCH',
      session: adminToken,
      body: { role: 'viewer' },
      params: { id },
    });
    expect(demote.status).toBe(409);
    expect(((await demote.json()) as { error: string }).error).toBe(
      'root is the last enabled admin and cannot be made a non-admin: make another user an admin first.',
    );
    const remove = await call(deleteUser, `/api/users/${id}`, {
      method: 'DELETE',
      session: adminToken,
      params: { id },
    });
    expect(remove.status).toBe(409);
    const empty = await call(patchUser, `/api/users/${id}`, {
      method: 'PATCH',
      session: adminToken,
      body: {},
      params: { id },
    });
    expect(empty.status).toBe(400);
    for (const missing of ['999999', 'abc', '0']) {
      const response = await call(deleteUser, `/api/users/${missing}`, {
        method: 'DELETE',
        session: adminToken,
        params: { id: missing },
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: 'No such user.' });
    }
  });

  it("resets a password: the user's cookies stop working; shows a generated one once", async () => {
    const { user, token } = await person('rosa', 'viewer');
    const id = String(user.id);
    const response = await call(resetPassword, `/api/users/${id}/password`, {
      method: 'POST',
      session: adminToken,
      body: {},
      params: { id },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { user: UserView; password: string };
    expect(body.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect((await call(mySessions, '/api/account/sessions', { session: token })).status).toBe(401);
    const own = await call(resetPassword, `/api/users/${admin.id}/password`, {
      method: 'POST',
      session: adminToken,
      body: { password: 'whatever-123' },
      params: { id: String(admin.id) },
    });
    expect(own.status).toBe(409);
  });

  it("lists and revokes a user's sessions; a disabled user's cookie stops working", async () => {
    const { user, token } = await person('sam', 'editor');
    const id = String(user.id);
    const list = await call(userSessions, `/api/users/${id}/sessions`, {
      session: adminToken,
      params: { id },
    });
    const { sessions } = (await list.json()) as { sessions: SessionView[] };
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.current).toBe(false);
    expect(JSON.stringify(sessions)).not.toContain(hashToken(token));

    const revoked = await call(revokeOne, `/api/users/${id}/sessions/${sessions[0]!.id}/revoke`, {
      method: 'POST',
      session: adminToken,
      params: { id, sessionId: sessions[0]!.id },
    });
    expect(revoked.status).toBe(200);
    expect((await call(mySessions, '/api/account/sessions', { session: token })).status).toBe(401);

    const again = await createSession(t.db, user.id, TTL);
    const disabled = await call(patchUser, `/api/users/${id}`, {
      method: 'PATCH',
      session: adminToken,
      body: { disabled: true },
      params: { id },
    });
    expect(disabled.status).toBe(200);
    expect(((await disabled.json()) as { user: UserView }).user.disabledAt).not.toBeNull();
    expect((await call(mySessions, '/api/account/sessions', { session: again })).status).toBe(401);
  });
});

describe('my account', () => {
  it('changes my password: this cookie keeps working, my other one does not', async () => {
    const { user, token } = await person('mia', 'viewer');
    const other = await createSession(t.db, user.id, TTL);
    const wrong = await call(changePassword, '/api/account/password', {
      method: 'PUT',
      session: token,
      body: { currentPassword: 'nope', newPassword: 'second-password' },
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({
      error: 'Check the highlighted fields.',
      fields: { currentPassword: 'This is not your current password.' },
    });
    const ok = await call(changePassword, '/api/account/password', {
      method: 'PUT',
      session: token,
      body: { currentPassword: 'first-password', newPassword: 'second-password' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sessionsEnded: 1 });
    expect((await call(mySessions, '/api/account/sessions', { session: token })).status).toBe(200);
    expect((await call(mySessions, '/api/account/sessions', { session: other })).status).toBe(401);
  });

  it("lists my sessions with this one marked; revokes mine, never another's", async () => {
    const { user, token } = await person('noa', 'editor');
    const second = await createSession(t.db, user.id, TTL);
    const response = await call(mySessions, '/api/account/sessions', { session: token });
    const { sessions } = (await response.json()) as { sessions: SessionView[] };
    expect(sessions.map((s) => s.current).sort()).toEqual([false, true]);
    const text = JSON.stringify(sessions);
    for (const secret of [token, second, hashToken(token), hashToken(second)]) {
      expect(text).not.toContain(secret);
    }

    // Someone else's session id is not found, as one that does not exist.
    const theirs = (await (
      await call(mySessions, '/api/account/sessions', { session: tokens.viewer })
    ).json()) as { sessions: SessionView[] };
    for (const id of [theirs.sessions[0]!.id, SOME_SESSION, 'not-a-uuid']) {
      const refused = await call(revokeMine, `/api/account/sessions/${id}/revoke`, {
        method: 'POST',
        session: token,
        params: { id },
      });
      expect(refused.status).toBe(404);
      expect(await refused.json()).toEqual({ error: 'No such session.' });
    }
    expect(
      (await call(mySessions, '/api/account/sessions', { session: tokens.viewer })).status,
    ).toBe(200);

    const other = sessions.find((s) => !s.current)!;
    const revoked = await call(revokeMine, `/api/account/sessions/${other.id}/revoke`, {
      method: 'POST',
      session: token,
      params: { id: other.id },
    });
    expect(revoked.status).toBe(200);
    expect((await call(mySessions, '/api/account/sessions', { session: second })).status).toBe(401);
    expect((await call(mySessions, '/api/account/sessions', { session: token })).status).toBe(200);
  });
});

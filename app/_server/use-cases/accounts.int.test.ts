/**
 * The account use cases against a real PostgreSQL: what each change does to sessions, the
 * notice each queues in its transaction (heard on the channel after the commit, never for a
 * refused change), sign-in of a disabled user, and the rules that keep an enabled admin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@/lib/errors';
import { hashPassword } from '@/lib/auth/password';
import { createLogger } from '@/lib/observability/log';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  createSession,
  createUser,
  findUser,
  listSessions,
  sessionUser,
  updateUser as setUserRow,
  type SessionUser,
} from '@/db/queries/auth';
import { CHANNEL, parseNotice, type PulseNotice } from '@/db/queries/notify';
import { changeOwnPassword } from './change-password';
import { createUserAccount } from './create-user';
import { deleteUserAccount } from './delete-user';
import { resetPassword } from './reset-password';
import { revokeAllSessions, revokeSession } from './revoke-session';
import { signIn } from './sign-in';
import { signOut } from './sign-out';
import { updateUser } from './update-user';
import { actorOf, COMMAND_LINE } from './user-admin';

let t: TestDatabase;
const log = createLogger('test', 'silent');
let deps: { db: TestDatabase['db']; log: typeof log };
let root: SessionUser;

const TTL = 60 * 60_000;
let serial = 0;

/** A user with a real password hash, and `n` sessions. */
async function person(role: SessionUser['role'] = 'viewer', password = 'first-password', n = 2) {
  const user = await createUser(t.db, {
    username: `u${++serial}`,
    passwordHash: await hashPassword(password),
    role,
  });
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) tokens.push(await createSession(t.db, user.id, TTL));
  return { user, tokens, password };
}

/** The notices heard on the channel while `run` runs (and shortly after its commit). */
async function heard(run: () => Promise<unknown>): Promise<PulseNotice[]> {
  const notices: PulseNotice[] = [];
  const listener = await t.sql.listen(CHANNEL, (payload) => {
    const notice = parseNotice(payload);
    if (notice) notices.push(notice);
  });
  try {
    await run().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 150));
    return notices;
  } finally {
    await listener.unlisten();
  }
}

const signInAs = (username: string, password: string) =>
  signIn(deps, {
    username,
    password,
    sessionTtlMs: TTL,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0',
    clientAddress: '198.51.100.4',
  });

beforeAll(async () => {
  t = await createTestDatabase();
  deps = { db: t.db, log };
  root = (await person('admin')).user;
});
afterAll(() => t.drop());

describe('changing your own password', () => {
  it('needs the current one, ends every other session, keeps this one, and notifies', async () => {
    const { user, tokens, password } = await person();
    const [mine, other] = tokens as [string, string];
    const wrong = changeOwnPassword(
      { ...deps, now: Date.now },
      {
        clientAddress: '10.0.0.1',
        user,
        token: mine,
        currentPassword: 'not-it',
        newPassword: 'second-password',
      },
    );
    await expect(wrong).rejects.toMatchObject({
      fields: { currentPassword: 'This is not your current password.' },
    });
    await expect(
      changeOwnPassword(
        { ...deps, now: Date.now },
        {
          clientAddress: '10.0.0.1',
          user,
          token: mine,
          currentPassword: password,
          newPassword: 'short',
        },
      ),
    ).rejects.toMatchObject({ fields: { newPassword: 'Use at least 8 characters.' } });
    expect(await sessionUser(t.db, other)).toEqual(user);

    const notices = await heard(() =>
      changeOwnPassword(
        { ...deps, now: Date.now },
        {
          clientAddress: '10.0.0.1',
          user,
          token: mine,
          currentPassword: password,
          newPassword: 'second-password',
        },
      ),
    );
    expect(notices).toEqual([{ kind: 'session', userId: user.id }]);
    expect(await sessionUser(t.db, mine)).toEqual(user);
    expect(await sessionUser(t.db, other)).toBeNull();
    await expect(signInAs(user.username, password)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(signInAs(user.username, 'second-password')).resolves.toMatchObject({
      user: { username: user.username },
    });
  });

  it('refuses the current password as the new one, and notifies nothing for a refusal', async () => {
    const { user, tokens, password } = await person();
    const notices = await heard(() =>
      changeOwnPassword(
        { ...deps, now: Date.now },
        {
          clientAddress: '10.0.0.1',
          user,
          token: tokens[0]!,
          currentPassword: password,
          newPassword: password,
        },
      ),
    );
    expect(notices).toEqual([]);
    expect(await sessionUser(t.db, tokens[1]!)).toEqual(user);
  });
});

describe('an admin resetting a password', () => {
  it('sets a generated password shown once, ends every session, and notifies', async () => {
    const { user, tokens, password } = await person();
    let issued: Awaited<ReturnType<typeof resetPassword>> | undefined;
    const notices = await heard(async () => {
      issued = await resetPassword(deps, { actor: actorOf(root), id: user.id });
    });
    expect(notices).toEqual([{ kind: 'session', userId: user.id }]);
    expect(issued!.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(issued!.user).toMatchObject({ id: user.id, sessions: 0 });
    for (const token of tokens) expect(await sessionUser(t.db, token)).toBeNull();
    await expect(signInAs(user.username, password)).rejects.toBeInstanceOf(UnauthorizedError);
    await signInAs(user.username, issued!.password!);
  });

  it('sets a given password (no password in the answer); not your own', async () => {
    const { user } = await person();
    const issued = await resetPassword(deps, {
      actor: COMMAND_LINE,
      id: user.id,
      password: 'chosen-password',
    });
    expect(issued).not.toHaveProperty('password');
    await signInAs(user.username, 'chosen-password');
    await expect(resetPassword(deps, { actor: actorOf(root), id: root.id })).rejects.toThrow(
      'Change your own password on your account page.',
    );
    await expect(resetPassword(deps, { actor: COMMAND_LINE, id: 999_999 })).rejects.toThrow(
      'No such user.',
    );
  });
});

describe('disabling a user', () => {
  it('ends its sessions, refuses its old token and its sign-in with the usual 401, and notifies', async () => {
    const { user, tokens, password } = await person('editor');
    const notices = await heard(() =>
      updateUser(deps, { actor: actorOf(root), id: user.id, change: { disabled: true } }),
    );
    expect(notices).toEqual([{ kind: 'session', userId: user.id }]);
    for (const token of tokens) expect(await sessionUser(t.db, token)).toBeNull();
    expect(await listSessions(t.db, user.id)).toEqual([]);
    const refused = signInAs(user.username, password);
    await expect(refused).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(refused).rejects.toThrow('Wrong username or password.');

    const enabled = await updateUser(deps, {
      actor: actorOf(root),
      id: user.id,
      change: { disabled: false },
    });
    expect(enabled.disabledAt).toBeNull();
    const { token } = await signInAs(user.username, password);
    expect(await sessionUser(t.db, token)).toEqual(user);
  });

  it('refuses a session of a user disabled after it was made (sessionUser checks the user)', async () => {
    const { user, tokens } = await person();
    // A session created while enabled, the user disabled behind its back: still refused.
    await setUserRow(t.db, user.id, { disabledAt: new Date() });
    expect(await sessionUser(t.db, tokens[0]!)).toBeNull();
  });
});

describe('roles', () => {
  it('changes the role, keeps the sessions, and notifies', async () => {
    const { user, tokens } = await person('viewer');
    const notices = await heard(() =>
      updateUser(deps, { actor: actorOf(root), id: user.id, change: { role: 'editor' } }),
    );
    expect(notices).toEqual([{ kind: 'session', userId: user.id }]);
    expect(await sessionUser(t.db, tokens[0]!)).toEqual({ ...user, role: 'editor' });
  });

  it('a change to the same role changes nothing and notifies nothing', async () => {
    const { user } = await person('viewer');
    const notices = await heard(() =>
      updateUser(deps, { actor: actorOf(root), id: user.id, change: { role: 'viewer' } }),
    );
    expect(notices).toEqual([]);
  });
});

describe('the last enabled admin, and oneself', () => {
  it('keeps one enabled admin whatever is asked, and says why', async () => {
    // A database of its own kind: root and one more admin; the other admins disabled.
    const other = (await person('admin')).user;
    const others = await t.db.query.users.findMany();
    for (const u of others) {
      if (u.role === 'admin' && u.id !== root.id && u.id !== other.id) {
        await updateUser(deps, { actor: COMMAND_LINE, id: u.id, change: { disabled: true } });
      }
    }
    // Two enabled admins: one may go.
    await updateUser(deps, { actor: actorOf(root), id: other.id, change: { disabled: true } });
    const last = `${root.username} is the last enabled admin`;
    const notices = await heard(async () => {
      await expect(
        updateUser(deps, { actor: COMMAND_LINE, id: root.id, change: { disabled: true } }),
      ).rejects.toThrow(`${last} and cannot be disabled`);
      await expect(
        updateUser(deps, { actor: COMMAND_LINE, id: root.id, change: { role: 'editor' } }),
      ).rejects.toThrow(`${last} and cannot be made a non-admin`);
      await expect(deleteUserAccount(deps, { actor: COMMAND_LINE, id: root.id })).rejects.toThrow(
        `${last} and cannot be deleted`,
      );
    });
    expect(notices).toEqual([]);
    expect((await findUser(t.db, root.id))!).toMatchObject({ role: 'admin', disabledAt: null });

    // A disabled admin is not counted, nor protected: it may be demoted or deleted.
    await updateUser(deps, { actor: actorOf(root), id: other.id, change: { role: 'viewer' } });
    await updateUser(deps, { actor: actorOf(root), id: other.id, change: { role: 'admin' } });
    // Enabled again, it lets root go (root demotes itself: allowed while another admin is left).
    await updateUser(deps, { actor: actorOf(root), id: other.id, change: { disabled: false } });
    await updateUser(deps, { actor: actorOf(root), id: root.id, change: { role: 'editor' } });
    await updateUser(deps, { actor: actorOf(other), id: root.id, change: { role: 'admin' } });
  });

  it('an admin cannot disable or delete themselves', async () => {
    await expect(
      updateUser(deps, { actor: actorOf(root), id: root.id, change: { disabled: true } }),
    ).rejects.toThrow('You cannot disable your own account: ask another admin.');
    await expect(deleteUserAccount(deps, { actor: actorOf(root), id: root.id })).rejects.toThrow(
      'You cannot delete your own account: ask another admin.',
    );
  });

  it('two admins disabling each other at once leave one enabled admin', async () => {
    const a = (await person('admin', 'pw-aaaaaaaa', 0)).user;
    const b = (await person('admin', 'pw-bbbbbbbb', 0)).user;
    // Every other admin out of the way, so a and b are the only enabled admins.
    for (const u of await t.db.query.users.findMany()) {
      if (u.role === 'admin' && u.disabledAt === null && u.id !== a.id && u.id !== b.id) {
        await updateUser(deps, { actor: actorOf(a), id: u.id, change: { role: 'editor' } });
      }
    }
    const results = await Promise.allSettled([
      updateUser(deps, { actor: actorOf(a), id: b.id, change: { disabled: true } }),
      updateUser(deps, { actor: actorOf(b), id: a.id, change: { disabled: true } }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const admins = (await t.db.query.users.findMany()).filter(
      (u) => u.role === 'admin' && u.disabledAt === null,
    );
    expect(admins).toHaveLength(1);
    // Back to a root admin for the other tests.
    await updateUser(deps, { actor: COMMAND_LINE, id: root.id, change: { role: 'admin' } });
  });
});

describe('creating and deleting users', () => {
  it('creates with a generated password shown once, refuses a taken name', async () => {
    const created = await createUserAccount(deps, {
      actor: actorOf(root),
      username: 'new.person',
      role: 'editor',
    });
    expect(created.user).toMatchObject({ username: 'new.person', role: 'editor', sessions: 0 });
    await signInAs('new.person', created.password!);
    await expect(
      createUserAccount(deps, { actor: COMMAND_LINE, username: 'new.person', role: 'viewer' }),
    ).rejects.toMatchObject({ fields: { username: 'This username is taken.' } });
    await expect(
      createUserAccount(deps, { actor: COMMAND_LINE, username: 'bad name', role: 'viewer' }),
    ).rejects.toMatchObject({ fields: { username: 'Use only letters, digits, _ . and -.' } });
  });

  it('deletes a user with its sessions, and notifies', async () => {
    const { user, tokens } = await person('editor');
    const notices = await heard(() =>
      deleteUserAccount(deps, { actor: actorOf(root), id: user.id }),
    );
    expect(notices).toEqual([{ kind: 'session', userId: user.id }]);
    expect(await findUser(t.db, user.id)).toBeUndefined();
    expect(await sessionUser(t.db, tokens[0]!)).toBeNull();
  });
});

describe('sessions', () => {
  it('signing in records the client; signing out ends the session and notifies', async () => {
    const { user, password } = await person('viewer', 'first-password', 0);
    const { token } = await signInAs(user.username, password);
    const [session] = await listSessions(t.db, user.id, { currentToken: token });
    expect(session).toMatchObject({
      current: true,
      clientAddress: '198.51.100.4',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0',
    });
    const notices = await heard(() => signOut(deps, { token }));
    expect(notices).toEqual([{ kind: 'session', userId: user.id }]);
    expect(await sessionUser(t.db, token)).toBeNull();
    // A stale cookie: nothing to end, nothing to say.
    expect(await heard(() => signOut(deps, { token }))).toEqual([]);
  });

  it('revokes one session by its id (only among that user’s), or all, and notifies', async () => {
    const { user, tokens } = await person('viewer', 'first-password', 3);
    const stranger = await person();
    const [first] = await listSessions(t.db, user.id);
    await expect(
      revokeSession(deps, {
        actor: actorOf(stranger.user),
        userId: stranger.user.id,
        sessionId: first!.id,
      }),
    ).rejects.toThrow('No such session.');
    const one = await heard(() =>
      revokeSession(deps, { actor: actorOf(user), userId: user.id, sessionId: first!.id }),
    );
    expect(one).toEqual([{ kind: 'session', userId: user.id }]);
    expect(await listSessions(t.db, user.id)).toHaveLength(2);

    let ended = 0;
    const all = await heard(async () => {
      ({ sessionsEnded: ended } = await revokeAllSessions(deps, {
        actor: actorOf(root),
        userId: user.id,
      }));
    });
    expect(ended).toBe(2);
    expect(all).toEqual([{ kind: 'session', userId: user.id }]);
    for (const token of tokens) expect(await sessionUser(t.db, token)).toBeNull();
    expect(await sessionUser(t.db, stranger.tokens[0]!)).toEqual(stranger.user);
  });
});

/**
 * Sign-in throttling against a real PostgreSQL: the finding was 50 wrong passwords in 5.8 s,
 * all 401, and the right one straight after accepted. Now guesses are blocked with a growing
 * delay, a burst of parallel guesses meets the block at once, and a real user is never locked
 * out for longer than a minute by guesses from elsewhere.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '@/lib/auth/password';
import { TooManyRequestsError, UnauthorizedError } from '@/lib/errors';
import { createLogger } from '@/lib/observability/log';
import { createUser } from '@/db/queries/auth';
import { forgetOldFailures } from '@/db/queries/login-throttle';
import { loginThrottle } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { attemptSignIn } from './attempt-sign-in';

let t: TestDatabase;
const PASSWORD = 'correct horse battery';
let clock = Date.UTC(2026, 11, 5, 12);
const log = createLogger('test', 'silent');

function attempt(password: string, clientAddress = '10.0.0.1', username = 'ann') {
  return attemptSignIn(
    { db: t.db, log, now: () => clock },
    { username, password, clientAddress, sessionTtlMs: 60_000 },
  );
}

/** What one attempt came to: 'ok', 401 or 429 (with its Retry-After). */
async function outcome(password: string, address?: string, username?: string) {
  try {
    await attempt(password, address, username);
    return 'ok';
  } catch (error) {
    if (error instanceof UnauthorizedError) return 401;
    if (error instanceof TooManyRequestsError) return 429;
    throw error;
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  await createUser(t.db, {
    username: 'ann',
    passwordHash: await hashPassword(PASSWORD),
    role: 'viewer',
  });
});
afterAll(() => t.drop());
beforeEach(async () => {
  await t.db.delete(loginThrottle);
  clock += 24 * 3_600_000;
});

describe('attemptSignIn', () => {
  it('blocks a run of wrong passwords, the right one included, until the delay has passed', async () => {
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await outcome('wrong'));
    // 5 free failures, the 6th sets a 1 s block: the next ones are refused unchecked.
    expect(results).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    expect(await outcome(PASSWORD)).toBe(429);
    clock += 1000;
    expect(await outcome('wrong')).toBe(401);
    // The 7th failure doubles the delay: 2 s.
    clock += 1999;
    expect(await outcome(PASSWORD)).toBe(429);
    clock += 1;
    expect(await outcome(PASSWORD)).toBe('ok');
    // Success clears the username's counts: a slip later starts from zero.
    expect(await outcome('wrong')).toBe(401);
    expect(await outcome(PASSWORD)).toBe('ok');
  });

  it('says when to try again, in Retry-After seconds and in words', async () => {
    for (let i = 0; i < 9; i++) {
      expect(await outcome('wrong')).toBe(401);
      clock += 10_000;
    }
    clock -= 10_000;
    // The 9th failure set an 8 s block (1, 2, 4, 8 s from the 6th on).
    const error = await attempt(PASSWORD).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRequestsError);
    expect((error as TooManyRequestsError).retryAfterSeconds).toBe(8);
    expect((error as TooManyRequestsError).message).toBe(
      'Too many failed sign-ins. Try again in 8 seconds.',
    );
  });

  it('a burst of parallel guesses meets the block as soon as the count reaches it', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => outcome('wrong')));
    const checked = results.filter((r) => r === 401).length;
    // Only the free failures and the one that set the block were checked against the hash.
    expect(checked).toBe(6);
    expect(results.filter((r) => r === 429)).toHaveLength(24);
  });

  it('guesses at one user from many addresses lock that user out for at most a minute', async () => {
    // 200 guesses from 40 addresses: each address stays under its own limits.
    for (let i = 0; i < 200; i++) {
      await outcome('wrong', `192.0.2.${i % 40}`);
      clock += 100;
    }
    // The real user, from home, waits at most a minute, then gets in.
    const refused = await attempt(PASSWORD, '198.51.100.7').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).retryAfterSeconds).toBeLessThanOrEqual(60);
    clock += 60_000;
    expect(await outcome(PASSWORD, '198.51.100.7')).toBe('ok');
  });

  it('one address spraying many usernames is blocked by its address count', async () => {
    const results = [];
    for (let i = 0; i < 25; i++) results.push(await outcome('wrong', '203.0.113.9', `user${i}`));
    expect(results.slice(0, 21).every((r) => r === 401)).toBe(true);
    expect(results.slice(21).every((r) => r === 429)).toBe(true);
    // Another address is not affected.
    expect(await outcome(PASSWORD, '203.0.113.10')).toBe('ok');
  });

  it('a successful sign-in does not use up its address count', async () => {
    for (let i = 0; i < 40; i++) expect(await outcome(PASSWORD, '10.9.9.9')).toBe('ok');
  });

  it('logs every failed and every refused attempt as one structured line', async () => {
    const lines: Record<string, unknown>[] = [];
    const spy = createLogger('test', 'info');
    vi.spyOn(spy, 'warn').mockImplementation(((obj: Record<string, unknown>, msg: string) => {
      lines.push({ ...obj, msg });
    }) as never);
    const run = (password: string) =>
      attemptSignIn(
        { db: t.db, log: spy, now: () => clock },
        { username: 'ann', password, clientAddress: '10.1.1.1', sessionTtlMs: 60_000 },
      ).catch(() => undefined);
    for (let i = 0; i < 7; i++) await run('wrong');
    expect(lines.map((l) => l.msg)).toEqual([
      ...Array<string>(6).fill('sign-in failed'),
      'sign-in throttled',
    ]);
    expect(lines[0]).toMatchObject({
      user: 'ann',
      address: '10.1.1.1',
      failures: { pair: 1, address: 1, user: 1 },
    });
    expect(lines[5]).toHaveProperty('blockedUntil');
    expect(lines[6]).toMatchObject({ user: 'ann', address: '10.1.1.1', retryAfterSeconds: 1 });
    for (const line of lines) expect(JSON.stringify(line)).not.toContain('wrong');
  });

  it('forgets keys with no failure for longer than any policy remembers', async () => {
    await outcome('wrong', '10.2.2.2', 'nobody');
    expect(await forgetOldFailures(t.db, clock)).toBe(0);
    expect(await forgetOldFailures(t.db, clock + 2 * 3_600_000)).toBe(3);
  });
});

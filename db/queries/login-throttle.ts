/**
 * The counts behind sign-in throttling (lib/auth/throttle.ts decides what they mean). Kept in
 * PostgreSQL so that every web instance counts the same failures.
 */
import { inArray, lt, sql as dsql } from 'drizzle-orm';
import {
  FORGET_AFTER_MS,
  THROTTLE_POLICIES,
  afterFailure,
  waitFor,
  type KeyState,
  type ThrottleKey,
} from '@/lib/auth/throttle';
import type { Db } from '../client';
import type { Tx } from './executor';
import { loginThrottle } from '../schema';

function stateOf(row: typeof loginThrottle.$inferSelect | undefined): KeyState | null {
  if (!row) return null;
  return {
    failures: row.failures,
    lastFailureAt: row.lastFailureAt.getTime(),
    blockedUntil: row.blockedUntil?.getTime() ?? null,
  };
}

/** The keys' rows, locked for the rest of `tx` (in key order, so two attempts never deadlock). */
async function lockKeys(tx: Tx, keys: readonly ThrottleKey[]) {
  const names = keys.map((k) => k.key).sort();
  const rows = await tx
    .select()
    .from(loginThrottle)
    .where(inArray(loginThrottle.key, names))
    .orderBy(loginThrottle.key)
    .for('update');
  return new Map(rows.map((row) => [row.key, row]));
}

export type Admission =
  { admitted: true; states: Map<string, KeyState> } | { admitted: false; waitMs: number };

/**
 * One sign-in attempt asks to go ahead. Refused while any of its keys is blocked (not counted);
 * admitted otherwise, and then counted at once as a failure on every key — before the password
 * is checked, so that a burst of parallel guesses meets the block as soon as the count reaches
 * it, not after all of them were checked. {@link recordSuccess} takes the count back.
 */
export async function admitAttempt(
  db: Db,
  keys: readonly ThrottleKey[],
  now: number,
): Promise<Admission> {
  return db.transaction(async (tx) => {
    // The rows must exist to be locked: a first failure of a key creates it.
    await tx
      .insert(loginThrottle)
      .values(keys.map((k) => ({ key: k.key, failures: 0, lastFailureAt: new Date(0) })))
      .onConflictDoNothing();
    const rows = await lockKeys(tx, keys);
    const before = keys.map((k) => stateOf(rows.get(k.key)));
    const waitMs = waitFor(before, now);
    if (waitMs > 0) return { admitted: false as const, waitMs };
    const states = new Map<string, KeyState>();
    for (const [i, k] of keys.entries()) {
      const next = afterFailure(before[i] ?? null, now, THROTTLE_POLICIES[k.scope]);
      states.set(k.key, next);
      await tx
        .update(loginThrottle)
        .set({
          failures: next.failures,
          lastFailureAt: new Date(next.lastFailureAt),
          blockedUntil: next.blockedUntil === null ? null : new Date(next.blockedUntil),
        })
        .where(dsql`${loginThrottle.key} = ${k.key}`);
    }
    return { admitted: true as const, states };
  });
}

/**
 * The attempt was right: the keys that count this username start again (pair and user), and
 * the address's count gives back the one {@link admitAttempt} took — with its block, if that
 * one made it.
 */
export async function recordSuccess(
  db: Db,
  keys: readonly ThrottleKey[],
  now: number,
): Promise<void> {
  await db.transaction(async (tx) => {
    const rows = await lockKeys(tx, keys);
    for (const k of keys) {
      if (k.scope !== 'address') {
        await tx.delete(loginThrottle).where(dsql`${loginThrottle.key} = ${k.key}`);
        continue;
      }
      const row = rows.get(k.key);
      if (!row) continue;
      const failures = Math.max(0, row.failures - 1);
      const policy = THROTTLE_POLICIES.address;
      const stillBlocked =
        failures > policy.freeFailures && (row.blockedUntil?.getTime() ?? 0) > now;
      await tx
        .update(loginThrottle)
        .set({ failures, blockedUntil: stillBlocked ? row.blockedUntil : null })
        .where(dsql`${loginThrottle.key} = ${k.key}`);
    }
  });
}

/** Deletes keys with no failure for longer than any policy remembers; returns how many. */
export async function forgetOldFailures(db: Db, now: number): Promise<number> {
  const gone = await db
    .delete(loginThrottle)
    .where(lt(loginThrottle.lastFailureAt, new Date(now - FORGET_AFTER_MS)))
    .returning({ key: loginThrottle.key });
  return gone.length;
}

/**
 * Sign-in throttling: how long a run of failed sign-ins blocks further attempts. Pure; the
 * failures are counted in PostgreSQL (db/queries/login-throttle.ts) so that every web instance
 * sees the same counts, and the sign-in use case asks here before it checks a password.
 *
 * Three counters, each a {@link ThrottleKey}, with its own policy:
 * - **pair** (username at one client address): the guessing of one person's password from one
 *   place. Strict: after 5 failures the delay doubles from 1 s up to 15 minutes.
 * - **address** (any username from one client address): password spraying from one place.
 *   Looser, since many people may share an address behind a NAT: 20 free, then up to 15 min.
 * - **user** (one username from anywhere): guessing spread over many addresses. It is the one
 *   an attacker could use to lock a real person out, so its delay is capped at one minute: the
 *   person waits at most that long, while the attacker gets at most one guess a minute.
 *
 * While a key is blocked an attempt is refused (429 with Retry-After) before the password is
 * checked, and is not counted: it tells the attacker nothing and does not lengthen the block.
 * Failures are forgotten after a quiet period; a successful sign-in clears its pair and user
 * (not its address: a person signing in to their own account must not reset the count of the
 * guesses they make at others').
 */

export type ThrottleScope = 'pair' | 'address' | 'user';

export interface ThrottlePolicy {
  /** Failures allowed before the first delay. */
  freeFailures: number;
  /** The first delay; each further failure doubles it. */
  baseDelayMs: number;
  /** The longest delay. */
  maxDelayMs: number;
  /** A key with no failure for this long starts again from zero. */
  forgetAfterMs: number;
}

export const THROTTLE_POLICIES: Record<ThrottleScope, ThrottlePolicy> = {
  pair: { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetAfterMs: 60 * 60_000 },
  address: {
    freeFailures: 20,
    baseDelayMs: 1000,
    maxDelayMs: 15 * 60_000,
    forgetAfterMs: 60 * 60_000,
  },
  user: { freeFailures: 10, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 15 * 60_000 },
};

/** The longest any key is remembered: rows older than this may be deleted. */
export const FORGET_AFTER_MS = Math.max(
  ...Object.values(THROTTLE_POLICIES).map((p) => p.forgetAfterMs),
);

export interface ThrottleKey {
  scope: ThrottleScope;
  /** The stored key: scope and the username and/or address it counts. */
  key: string;
}

/** The keys one attempt counts against. */
export function throttleKeys(username: string, address: string): ThrottleKey[] {
  return [
    { scope: 'pair', key: `pair:${address}|${username}` },
    { scope: 'address', key: `addr:${address}` },
    { scope: 'user', key: `user:${username}` },
  ];
}

/** The delay after the `failures`-th failure in a row (0 while failures are still free). */
export function delayAfter(failures: number, policy: ThrottlePolicy): number {
  const over = failures - policy.freeFailures;
  if (over <= 0) return 0;
  // 2^over overflows to Infinity long after the cap: min keeps it finite.
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (over - 1));
}

export interface KeyState {
  failures: number;
  lastFailureAt: number;
  blockedUntil: number | null;
}

/** The state of a key after one more failure at `now`. */
export function afterFailure(
  previous: KeyState | null,
  now: number,
  policy: ThrottlePolicy,
): KeyState {
  const fresh = !previous || now - previous.lastFailureAt >= policy.forgetAfterMs;
  const failures = fresh ? 1 : previous.failures + 1;
  const delay = delayAfter(failures, policy);
  return { failures, lastFailureAt: now, blockedUntil: delay > 0 ? now + delay : null };
}

/** How long an attempt at `now` must still wait, in ms (0: it may go ahead). */
export function waitFor(states: readonly (KeyState | null)[], now: number): number {
  let wait = 0;
  for (const state of states) {
    if (state?.blockedUntil != null) wait = Math.max(wait, state.blockedUntil - now);
  }
  return Math.max(0, wait);
}

/** Retry-After's value for a wait: whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

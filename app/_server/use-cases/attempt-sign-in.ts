/**
 * Use case: one sign-in attempt, throttled (lib/auth/throttle.ts). A blocked attempt is refused
 * before the password is checked; an admitted one counts as a failure until it succeeds (so a
 * burst of parallel guesses meets the block at once); a success clears the username's counts.
 * Every failed and every refused attempt is one structured log line: who, from where, and how
 * many failures in a row.
 */
import { TooManyRequestsError, UnauthorizedError } from '@/lib/errors';
import { retryAfterSeconds, throttleKeys } from '@/lib/auth/throttle';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { admitAttempt, forgetOldFailures, recordSuccess } from '@/db/queries/login-throttle';
import { signIn, type SignedIn } from './sign-in';

/** One failure in this many also deletes long-forgotten counts (cheap: an indexed delete). */
const CLEANUP_EVERY = 50;

function inWords(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/**
 * Asks the throttle to let one password check by `who` go ahead (lib/auth/throttle.ts): the
 * admission, counted as a failure until {@link recordSuccess}; or, while a key is blocked, a
 * 429 with `refusal` and when to try again, logged as one line (`event`). Sign-in and the
 * password change share it, and so share the counts.
 */
export async function admitPasswordCheck(
  deps: { db: Db; log: Logger; now: () => number },
  who: { user: string; address: string },
  words: { event: string; refusal: string },
) {
  const keys = throttleKeys(who.user, who.address);
  const admission = await admitAttempt(deps.db, keys, deps.now());
  if (!admission.admitted) {
    const retry = retryAfterSeconds(admission.waitMs);
    deps.log.warn({ ...who, retryAfterSeconds: retry }, words.event);
    throw new TooManyRequestsError(`${words.refusal} Try again in ${inWords(retry)}.`, retry);
  }
  return { keys, admission };
}

export async function attemptSignIn(
  deps: { db: Db; log: Logger; now: () => number },
  input: Parameters<typeof signIn>[1] & { clientAddress: string },
): Promise<SignedIn> {
  const { db, log, now } = deps;
  const who = { user: input.username, address: input.clientAddress };
  const { keys, admission } = await admitPasswordCheck(deps, who, {
    event: 'sign-in throttled',
    refusal: 'Too many failed sign-ins.',
  });
  try {
    const signedIn = await signIn({ db, log }, input);
    await recordSuccess(db, keys, now());
    return signedIn;
  } catch (error) {
    if (error instanceof UnauthorizedError) {
      const failures = Object.fromEntries(
        keys.map((k) => [k.scope, admission.states.get(k.key)?.failures ?? 0]),
      );
      const blockedUntil = Math.max(
        0,
        ...keys.map((k) => admission.states.get(k.key)?.blockedUntil ?? 0),
      );
      log.warn(
        {
          ...who,
          failures,
          ...(blockedUntil > 0 ? { blockedUntil: new Date(blockedUntil).toISOString() } : {}),
        },
        'sign-in failed',
      );
      if (Math.random() * CLEANUP_EVERY < 1) {
        await forgetOldFailures(db, now()).catch((e: unknown) =>
          log.warn({ err: e }, 'could not forget old sign-in failures'),
        );
      }
    }
    throw error;
  }
}

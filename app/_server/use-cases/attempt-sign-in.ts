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

export async function attemptSignIn(
  deps: { db: Db; log: Logger; now: () => number },
  input: Parameters<typeof signIn>[1] & { clientAddress: string },
): Promise<SignedIn> {
  const { db, log, now } = deps;
  const who = { user: input.username, address: input.clientAddress };
  const keys = throttleKeys(input.username, input.clientAddress);
  const admission = await admitAttempt(db, keys, now());
  if (!admission.admitted) {
    const retry = retryAfterSeconds(admission.waitMs);
    log.warn({ ...who, retryAfterSeconds: retry }, 'sign-in throttled');
    throw new TooManyRequestsError(
      `Too many failed sign-ins. Try again in ${inWords(retry)}.`,
      retry,
    );
  }
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

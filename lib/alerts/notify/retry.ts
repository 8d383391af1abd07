/**
 * Delivering one notification to one channel: what an attempt's outcome means, and when to try
 * again. Pure: the dispatcher passes in `now` and a random source.
 *
 * Outcomes:
 *
 * - **2xx** → delivered.
 * - **Retry** (the receiver may take it later): network errors and timeouts, 408 Request
 *   Timeout, 425 Too Early, 429 Too Many Requests, and every 5xx but 501 and 505. A
 *   `Retry-After` (seconds or an HTTP date) is honoured: the next attempt is no sooner than it
 *   says, capped at `maxRetryAfterMs` so a receiver cannot park a notification for a week.
 * - **Permanent** (stop at once; marked failed, shown on the channel): every other status.
 *   404 and 410 (the endpoint is gone — Slack answers them for a removed webhook or an archived
 *   channel), 400 and 422 (the receiver refuses this body, and a retry sends the same bytes),
 *   401 and 403 (wrong secret or revoked URL: an admin must fix the channel, after which a test
 *   send or a re-queue delivers), 413, 501, 505, and 1xx/3xx (redirects are not followed: a
 *   webhook that moved must be re-pointed, and following one would let a receiver send Pulse's
 *   signed body elsewhere).
 * - **SMTP** (the email channel): a 2yz reply is delivered; 4yz is transient (retried: a full
 *   mailbox, greylisting); 5yz is permanent (unknown recipient, refused sender, bad
 *   credentials), except 503 (bad sequence of commands: the session was in the wrong state,
 *   and the same message goes through on a new connection). As RFC 5321 defines the classes.
 * - **Invalid** (the channel's settings cannot be used: no URL, an unknown scheme): permanent,
 *   no peer was asked. An admin fixes the channel.
 *
 * Budget: at most `maxAttempts` attempts and no retry scheduled later than `maxAgeMs` after the
 * notification was written; then it is failed. Backoff: `baseDelayMs × 2^(attempt − 1)`,
 * capped at `maxDelayMs`, with "equal jitter" (a uniform draw in [½, 1] of that), so receivers
 * coming back up are not hit by every queued notification at the same instant.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** No attempt is scheduled later than this after the notification was written. */
  maxAgeMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest `Retry-After` honoured. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 15,
  maxAgeMs: 24 * 3_600_000,
  baseDelayMs: 10_000,
  maxDelayMs: 30 * 60_000,
  maxRetryAfterMs: 3_600_000,
};

/** What one attempt produced, as the dispatcher saw it. */
export type AttemptResult =
  | { kind: 'response'; status: number; retryAfter?: string | null }
  | { kind: 'network'; error: string }
  | { kind: 'timeout'; afterMs: number }
  /** An SMTP server's reply to the message (`reply`: its text, credentials already masked). */
  | { kind: 'smtp'; code: number; reply?: string | null }
  /** The channel's settings could not be used: nothing was sent. */
  | { kind: 'invalid'; reason: string };

export type Classification =
  | { outcome: 'delivered' }
  | { outcome: 'permanent'; reason: string }
  | { outcome: 'retry'; reason: string; retryAfterMs: number | null };

const RETRYABLE_4XX = new Set([408, 425, 429]);
const PERMANENT_5XX = new Set([501, 505]);

/** What an attempt's result means (see the module comment). `now` reads HTTP-date Retry-After. */
export function classifyAttempt(result: AttemptResult, now: number): Classification {
  if (result.kind === 'network')
    return { outcome: 'retry', reason: result.error, retryAfterMs: null };
  if (result.kind === 'timeout') {
    return { outcome: 'retry', reason: `no answer in ${result.afterMs} ms`, retryAfterMs: null };
  }
  if (result.kind === 'invalid') return { outcome: 'permanent', reason: result.reason };
  if (result.kind === 'smtp') return classifySmtp(result.code, result.reply);
  const { status } = result;
  if (status >= 200 && status < 300) return { outcome: 'delivered' };
  const reason = `HTTP ${status}`;
  if (RETRYABLE_4XX.has(status) || (status >= 500 && status < 600 && !PERMANENT_5XX.has(status))) {
    return { outcome: 'retry', reason, retryAfterMs: parseRetryAfter(result.retryAfter, now) };
  }
  if (status >= 300 && status < 400) {
    return { outcome: 'permanent', reason: `${reason}: redirects are not followed` };
  }
  return { outcome: 'permanent', reason };
}

/** An SMTP reply, by its class (see the module comment). */
function classifySmtp(code: number, reply: string | null | undefined): Classification {
  const text = reply?.trim();
  const reason = text ? `SMTP ${code}: ${text}` : `SMTP ${code}`;
  if (code >= 200 && code < 300) return { outcome: 'delivered' };
  if (code >= 500 && code < 600 && code !== 503) return { outcome: 'permanent', reason };
  return { outcome: 'retry', reason, retryAfterMs: null };
}

/**
 * A `Retry-After` value in milliseconds from `now`: delta-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`); null when absent or unreadable; 0 for a date in the past.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds * 1000) ? seconds * 1000 : null;
  }
  // HTTP dates name a weekday; a bare number or ISO-like fragment is not one.
  if (!/^[A-Za-z]{3},/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

/** The delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  const r = random();
  const draw = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0.5;
  return Math.round(ceiling / 2 + (ceiling / 2) * draw);
}

export type NextStep =
  | { action: 'delivered' }
  | { action: 'retry'; at: number; reason: string }
  | { action: 'fail'; reason: string };

export interface AttemptContext {
  /** The attempt that just ended, 1-based. */
  attempt: number;
  /** When the notification was written to the outbox. */
  createdAt: number;
  now: number;
  policy?: RetryPolicy;
  /** Uniform in [0, 1): Math.random in production, a seeded source in tests. */
  random: () => number;
}

/** After an attempt: done, when to retry, or failed (with why). */
export function nextStep(result: AttemptResult, context: AttemptContext): NextStep {
  const policy = context.policy ?? DEFAULT_RETRY_POLICY;
  const judged = classifyAttempt(result, context.now);
  if (judged.outcome === 'delivered') return { action: 'delivered' };
  if (judged.outcome === 'permanent') return { action: 'fail', reason: judged.reason };
  if (context.attempt >= policy.maxAttempts) {
    return {
      action: 'fail',
      reason: `${judged.reason}; gave up after ${context.attempt} attempts`,
    };
  }
  const backoff = backoffDelay(context.attempt, policy, context.random);
  const asked =
    judged.retryAfterMs === null ? 0 : Math.min(judged.retryAfterMs, policy.maxRetryAfterMs);
  const at = context.now + Math.max(backoff, asked);
  if (at > context.createdAt + policy.maxAgeMs) {
    return {
      action: 'fail',
      reason: `${judged.reason}; gave up: the next attempt would be past the retry budget`,
    };
  }
  return { action: 'retry', at, reason: judged.reason };
}

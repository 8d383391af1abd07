/**
 * One delivery attempt's bounds and the shape of its result, shared by the transports: every
 * attempt ends by its timeout (an AbortSignal) or when the dispatcher stops, and says what
 * happened as retry.ts's `AttemptResult`, with the status or reply code for the log.
 */
import type { AttemptResult } from '@/lib/alerts/notify/retry';

/** What a transport reports of one attempt. */
export interface SendOutcome {
  /** What lib/alerts/notify/retry.ts judges (texts in it are credential-free). */
  result: AttemptResult;
  /** The HTTP status or SMTP reply code, when the peer answered. */
  statusCode: number | null;
}

/** The signals that end one attempt. */
export interface AttemptBounds {
  /** Aborts at the timeout, or when the dispatcher stops. */
  signal: AbortSignal;
  timeoutMs: number;
  /** Whether the timeout (rather than a stop) ended the attempt. */
  timedOut(): boolean;
}

/** The bounds of an attempt: `timeoutMs` from now, or `stop`, whichever comes first. */
export function attemptBounds(timeoutMs: number, stop: AbortSignal): AttemptBounds {
  const timeout = AbortSignal.timeout(timeoutMs);
  return {
    signal: AbortSignal.any([timeout, stop]),
    timeoutMs,
    timedOut: () => timeout.aborted,
  };
}

/**
 * The result of an attempt that the signal ended: a timeout, or the dispatcher stopping (a
 * network-like failure, retried: the receiver may or may not have it).
 */
export function abortedResult(bounds: AttemptBounds): AttemptResult {
  return bounds.timedOut()
    ? { kind: 'timeout', afterMs: bounds.timeoutMs }
    : { kind: 'network', error: 'the dispatcher stopped during the attempt' };
}

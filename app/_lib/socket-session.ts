/**
 * What the live socket (./use-pulse-socket.ts) does when the server ends it or refuses it, as
 * pure decisions: the hook wires them to socket.io and the router.
 */
import type { SessionEndReason } from '@/lib/views';

/** After a disconnect or a refused handshake: what the socket does next. */
export type SocketNext =
  /** Nothing: socket.io reconnects by itself (a network drop, a server restart). */
  | 'wait'
  /** The session ended: stop for good, and send the person to sign in. */
  | 'sign-in'
  /** Connect again now (the role changed: the new handshake carries the new role). */
  | 'reconnect'
  /** Connect again later, with backoff (socket.io will not by itself). */
  | 'backoff';

/**
 * After a disconnect for `reason` (socket.io's), `said` being what the server sent just before
 * (`session-ended`), if anything.
 */
export function afterDisconnect(reason: string, said: SessionEndReason | undefined): SocketNext {
  if (reason !== 'io server disconnect') return 'wait';
  if (said === 'signed-out') return 'sign-in';
  if (said === 'role-changed') return 'reconnect';
  return 'backoff';
}

/** After the server refused a handshake with `message` (app/_server/live.ts). */
export function afterRefusal(message: string): SocketNext {
  return message === 'unauthorized' ? 'sign-in' : 'backoff';
}

/** When this tab was last sent to sign in by a socket (sessionStorage). */
export const SENT_TO_SIGN_IN = 'pulse:socket-sent-to-sign-in';
/** A second send within this time would be a loop: the sign-in page sent the person back. */
export const SIGN_IN_LOOP_MS = 10_000;

/**
 * True, and remembered in `storage`, when the tab may go to sign in now: not if a socket sent
 * it there less than {@link SIGN_IN_LOOP_MS} ago — then the sign-in page, finding the session
 * good, sent it straight back, and going again would loop (the page stays, offline instead).
 * Without storage (blocked, private mode) it always may.
 */
export function claimSignIn(
  storage: Pick<Storage, 'getItem' | 'setItem'> | undefined,
  now: number,
): boolean {
  try {
    if (!storage) return true;
    const last = Number(storage.getItem(SENT_TO_SIGN_IN) ?? Number.NaN);
    if (Number.isFinite(last) && now - last >= 0 && now - last < SIGN_IN_LOOP_MS) return false;
    storage.setItem(SENT_TO_SIGN_IN, String(now));
  } catch {
    // Storage that throws (quota, blocked): go; the server's refusal agrees with the page's.
  }
  return true;
}

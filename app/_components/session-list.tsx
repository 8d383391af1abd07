'use client';
/**
 * A person's sign-in sessions, for the account page (one's own) and the users page (any
 * user's, for admins): which browser, from where, when signed in and last active, "this device"
 * marked, and revoking one after a confirmation. Loading and errors are the caller's.
 */
import { useState } from 'react';
import { describeUserAgent, type SessionView } from '@/lib/auth/accounts';
import { TimeAgo } from './time-ago';

export function SessionList({
  sessions,
  revoking,
  onRevoke,
  empty = 'No active sessions.',
  label,
}: {
  sessions: SessionView[];
  /** The id of the session being revoked, if one is. */
  revoking: string | null;
  onRevoke: (session: SessionView) => void;
  empty?: string;
  /** The list's accessible name. */
  label: string;
}) {
  const [confirming, setConfirming] = useState<string | null>(null);
  if (sessions.length === 0) return <p className="empty">{empty}</p>;
  return (
    <ul className="session-list" aria-label={label} data-testid="session-list">
      {sessions.map((session) => {
        const asking = confirming === session.id;
        const busy = revoking === session.id;
        return (
          <li
            key={session.id}
            className="session-item"
            data-testid="session-row"
            data-current={session.current ? 'true' : undefined}
          >
            <div className="session-main">
              <span className="session-device" title={session.userAgent ?? undefined}>
                {describeUserAgent(session.userAgent)}
              </span>
              {session.current ? (
                <span className="badge status-ok" data-testid="this-device">
                  This device
                </span>
              ) : null}
            </div>
            <div className="session-meta muted small">
              <span>{session.clientAddress ?? 'unknown address'}</span>
              <span>
                signed in <TimeAgo ms={session.createdAt} />
              </span>
              <span>
                active <TimeAgo ms={session.lastSeenAt} />
              </span>
            </div>
            <div className="session-actions">
              {asking ? (
                <div className="confirm-inline" role="group" aria-label="Revoke this session?">
                  <span>
                    {session.current ? 'This signs you out here.' : 'It is signed out at once.'}
                  </span>
                  <button
                    type="button"
                    className="button button-danger"
                    onClick={() => onRevoke(session)}
                    disabled={busy}
                    autoFocus
                  >
                    {busy ? 'Revoking…' : session.current ? 'Sign out' : 'Revoke'}
                  </button>
                  <button
                    type="button"
                    className="button button-ghost"
                    onClick={() => setConfirming(null)}
                    disabled={busy}
                  >
                    Cancel
                  </button>
                </div>
              ) : (
                <button
                  type="button"
                  className="button button-ghost"
                  onClick={() => setConfirming(session.id)}
                  disabled={revoking !== null}
                >
                  {session.current ? 'Sign out…' : 'Revoke…'}
                </button>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}

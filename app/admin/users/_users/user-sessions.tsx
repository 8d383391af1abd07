'use client';
import { useEffect, useState } from 'react';
import type { SessionView, UserView } from '@/lib/auth/accounts';
import { SessionList } from '../../../_components/session-list';
import { apiFetch } from '../../../_lib/api';
import { useAction } from '../../../_lib/use-action';

/** A user's sessions, loaded when shown (and again when `version` changes); revoke one or all. */
export function UserSessions({
  user,
  version,
  onChange,
}: {
  user: UserView;
  version: number;
  /** After a revocation: the count of sessions left. */
  onChange: (sessions: number) => void;
}) {
  const [sessions, setSessions] = useState<SessionView[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [confirmAll, setConfirmAll] = useState(false);
  const action = useAction();
  const { run } = action;

  // Bumped by "Try again" after a failed load.
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    void apiFetch<{ sessions: SessionView[] }>(`/api/users/${user.id}/sessions`).then((result) => {
      if (!live) return;
      if (result.ok) {
        setSessions(result.data.sessions);
        setLoadError(null);
      } else setLoadError(result.error);
    });
    return () => {
      live = false;
    };
  }, [user.id, version, attempt]);

  async function revoke(session: SessionView) {
    const done = await run(session.id, () =>
      apiFetch(`/api/users/${user.id}/sessions/${session.id}/revoke`, { method: 'POST' }),
    );
    if (done !== null) {
      const left = (sessions ?? []).filter((s) => s.id !== session.id);
      setSessions(left);
      onChange(left.length);
    }
  }

  async function revokeAll() {
    const done = await run('all', () =>
      apiFetch(`/api/users/${user.id}/sessions/revoke-all`, { method: 'POST' }),
    );
    setConfirmAll(false);
    if (done !== null) {
      setSessions([]);
      onChange(0);
    }
  }

  return (
    <div className="manage-block" data-testid="user-sessions">
      <div className="manage-block-head">
        <h3>Sessions</h3>
        {sessions && sessions.length > 0 ? (
          confirmAll ? (
            <div className="confirm-inline" role="group" aria-label="Sign out everywhere?">
              <span>Every browser of {user.username} is signed out.</span>
              <button
                type="button"
                className="button button-danger"
                onClick={() => void revokeAll()}
                disabled={action.pending !== null}
                autoFocus
              >
                {action.pending === 'all' ? 'Signing out…' : 'Sign out everywhere'}
              </button>
              <button
                type="button"
                className="button button-ghost"
                onClick={() => setConfirmAll(false)}
              >
                Cancel
              </button>
            </div>
          ) : (
            <button
              type="button"
              className="button button-ghost"
              onClick={() => setConfirmAll(true)}
            >
              Sign out everywhere…
            </button>
          )
        ) : null}
      </div>
      {action.error ? (
        <p role="alert" className="form-error">
          {action.error}
        </p>
      ) : null}
      {loadError ? (
        <p role="alert" className="form-error">
          Could not load the sessions: {loadError}{' '}
          <button
            type="button"
            className="button-link"
            onClick={() => {
              setLoadError(null);
              setSessions(null);
              setAttempt((n) => n + 1);
            }}
          >
            Try again
          </button>
        </p>
      ) : sessions === null ? (
        <p className="muted small" role="status">
          Loading sessions…
        </p>
      ) : (
        <SessionList
          sessions={sessions}
          revoking={action.pending === 'all' ? null : action.pending}
          onRevoke={(s) => void revoke(s)}
          label={`Sessions of ${user.username}`}
          empty={`${user.username} is not signed in anywhere.`}
        />
      )}
    </div>
  );
}

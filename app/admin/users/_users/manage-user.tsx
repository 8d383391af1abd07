'use client';
import Link from 'next/link';
import { useState } from 'react';
import {
  checkNewPassword,
  PASSWORD_MAX,
  PASSWORD_MIN,
  roleSentence,
  ROLES,
  type PasswordIssued,
  type Role,
  type UserView,
} from '@/lib/auth/accounts';
import { Field } from '../../../_components/form-field';
import { TimeAgo } from '../../../_components/time-ago';
import { apiFetch } from '../../../_lib/api';
import { useForm } from '../../../_lib/use-form';
import { IssuedPassword } from './issued-password';
import { useAction } from '../../../_lib/use-action';
import { UserSessions } from './user-sessions';

/**
 * Everything an admin does to one user: role, disable or enable, a new password (generated or
 * given), sessions, delete. Each action says what it does to the user's sessions before it is
 * taken; the server's refusals (the last admin) show where the action is.
 */
export function ManageUser({
  user,
  self,
  onChanged,
  onDeleted,
  onClose,
}: {
  user: UserView;
  /** The admin looking is this user. */
  self: boolean;
  onChanged: (user: UserView) => void;
  onDeleted: (user: UserView) => void;
  onClose: () => void;
}) {
  const [role, setRole] = useState<Role>(user.role);
  const [asking, setAsking] = useState<'disable' | 'delete' | null>(null);
  const [issued, setIssued] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Bumped when sessions ended by another action, so the list loads again.
  const [sessionsVersion, setSessionsVersion] = useState(0);
  const action = useAction();
  const disabled = user.disabledAt !== null;
  const busy = action.pending !== null;

  const say = (text: string) => {
    setNotice(text);
    setAsking(null);
  };

  async function patch(change: { role?: Role; disabled?: boolean }, name: string) {
    setNotice(null);
    const answer = await action.run(name, () =>
      apiFetch<{ user: UserView }>(`/api/users/${user.id}`, {
        method: 'PATCH',
        body: JSON.stringify(change),
      }),
    );
    setAsking(null);
    if (!answer) return;
    onChanged(answer.user);
    if (change.role) say(`${user.username} is now ${answer.user.role}.`);
    else if (change.disabled) {
      say(`${user.username} is disabled and signed out everywhere.`);
      setSessionsVersion((v) => v + 1);
    } else say(`${user.username} can sign in again.`);
  }

  async function generate() {
    setNotice(null);
    const answer = await action.run('generate', () =>
      apiFetch<PasswordIssued>(`/api/users/${user.id}/password`, {
        method: 'POST',
        body: '{}',
      }),
    );
    if (!answer) return;
    onChanged(answer.user);
    setIssued(answer.password ?? null);
    setSessionsVersion((v) => v + 1);
  }

  async function remove() {
    const answer = await action.run('delete', () =>
      apiFetch(`/api/users/${user.id}`, { method: 'DELETE' }),
    );
    setAsking(null);
    if (answer) onDeleted(user);
  }

  const setForm = useForm({
    initial: { password: '' },
    validate: ({ password }: { password: string }) => {
      const checked = checkNewPassword(password);
      return checked.ok
        ? { value: checked.value, errors: {} }
        : { value: null, errors: { password: checked.error } };
    },
    onInvalid: () => document.getElementById('manage-password')?.focus(),
    submit: (password) =>
      apiFetch<PasswordIssued>(`/api/users/${user.id}/password`, {
        method: 'POST',
        body: JSON.stringify({ password }),
      }),
    onSuccess: (answer) => {
      onChanged(answer.user);
      setIssued(null);
      say(`Password of ${user.username} set; their sessions were signed out.`);
      setSessionsVersion((v) => v + 1);
      return { password: '' };
    },
  });

  return (
    <section
      className="card manage-user"
      aria-labelledby="manage-heading"
      data-testid="manage-user"
      data-username={user.username}
    >
      <div className="card-head">
        <h2 id="manage-heading" tabIndex={-1}>
          {user.username}
          {self ? <span className="muted small"> (you)</span> : null}
        </h2>
        <button type="button" className="button button-ghost" onClick={onClose}>
          Close
        </button>
      </div>
      {notice ? (
        <p role="status" className="form-success" data-testid="manage-notice">
          {notice}
        </p>
      ) : null}
      {action.error ? (
        <p role="alert" className="form-error" data-testid="manage-error">
          {action.error}
        </p>
      ) : null}

      <div className="manage-grid">
        <div className="manage-block">
          <h3>Role</h3>
          <div className="inline-field">
            <label htmlFor="manage-role" className="sr-only">
              Role of {user.username}
            </label>
            <select
              id="manage-role"
              value={role}
              onChange={(e) => setRole(e.target.value as Role)}
              disabled={busy}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
            <button
              type="button"
              className="button button-ghost"
              disabled={busy || role === user.role}
              onClick={() => void patch({ role }, 'role')}
            >
              {action.pending === 'role' ? 'Changing…' : 'Change role'}
            </button>
          </div>
          <p className="hint">
            {roleSentence(role)} Their sessions stay signed in with the new role.
          </p>
        </div>

        <div className="manage-block">
          <h3>Status</h3>
          {disabled ? (
            <>
              <p className="small">
                <span className="badge status-critical">Disabled</span>{' '}
                <TimeAgo ms={user.disabledAt!} />. They cannot sign in.
              </p>
              <button
                type="button"
                className="button button-ghost"
                disabled={busy}
                onClick={() => void patch({ disabled: false }, 'enable')}
              >
                {action.pending === 'enable' ? 'Enabling…' : 'Enable user'}
              </button>
            </>
          ) : asking === 'disable' ? (
            <div className="confirm-inline" role="group" aria-label={`Disable ${user.username}?`}>
              <span>They are signed out everywhere and cannot sign in until enabled.</span>
              <button
                type="button"
                className="button button-danger"
                disabled={busy}
                autoFocus
                onClick={() => void patch({ disabled: true }, 'disable')}
              >
                {action.pending === 'disable' ? 'Disabling…' : 'Disable user'}
              </button>
              <button type="button" className="button button-ghost" onClick={() => setAsking(null)}>
                Cancel
              </button>
            </div>
          ) : (
            <>
              <p className="small">
                <span className="badge status-ok">Enabled</span>
              </p>
              <button
                type="button"
                className="button button-ghost"
                disabled={busy || self}
                onClick={() => setAsking('disable')}
              >
                Disable…
              </button>
              {self ? <p className="hint">You cannot disable your own account.</p> : null}
            </>
          )}
        </div>

        <div className="manage-block">
          <h3>Password</h3>
          {self ? (
            <p className="small">
              Change your own password on{' '}
              <Link href="/account" className="link">
                your account page
              </Link>
              : it asks for the current one.
            </p>
          ) : (
            <>
              <p className="hint">A new password signs {user.username} out everywhere.</p>
              <button
                type="button"
                className="button button-ghost"
                disabled={busy || setForm.pending}
                onClick={() => void generate()}
              >
                {action.pending === 'generate' ? 'Generating…' : 'Generate a new password'}
              </button>
              <form
                method="post"
                onSubmit={setForm.handleSubmit}
                noValidate
                className="manage-password-form"
              >
                <Field
                  id="manage-password"
                  label="Or set one"
                  hint={`${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`}
                  error={setForm.errorFor('password')}
                >
                  <div className="inline-field">
                    <input
                      {...setForm.fieldProps('password', 'manage-password')}
                      onBlur={undefined}
                      type="password"
                      autoComplete="new-password"
                      maxLength={PASSWORD_MAX}
                      value={setForm.values.password}
                      onChange={(e) => setForm.set('password', e.target.value)}
                      disabled={setForm.pending || busy}
                    />
                    <button
                      type="submit"
                      className="button button-ghost"
                      disabled={setForm.pending || busy}
                    >
                      {setForm.pending ? 'Setting…' : 'Set password'}
                    </button>
                  </div>
                </Field>
                {setForm.formError && !setForm.errorFor('password') ? (
                  <p role="alert" className="form-error">
                    {setForm.formError}
                  </p>
                ) : null}
              </form>
            </>
          )}
        </div>
      </div>

      {issued ? (
        <IssuedPassword
          username={user.username}
          password={issued}
          title={`New password for ${user.username}`}
          onDone={() => setIssued(null)}
        />
      ) : null}

      <UserSessions
        user={user}
        version={sessionsVersion}
        onChange={(sessions) => onChanged({ ...user, sessions })}
      />

      <div className="manage-block manage-danger">
        <h3>Delete</h3>
        {asking === 'delete' ? (
          <div className="confirm-inline" role="group" aria-label={`Delete ${user.username}?`}>
            <span>
              This cannot be undone: their sessions end and their name leaves the history they
              signed. Disabling keeps it.
            </span>
            <button
              type="button"
              className="button button-danger"
              disabled={busy}
              autoFocus
              onClick={() => void remove()}
            >
              {action.pending === 'delete' ? 'Deleting…' : `Delete ${user.username}`}
            </button>
            <button type="button" className="button button-ghost" onClick={() => setAsking(null)}>
              Cancel
            </button>
          </div>
        ) : (
          <>
            <button
              type="button"
              className="button button-ghost button-danger-ghost"
              disabled={busy || self}
              onClick={() => setAsking('delete')}
            >
              Delete user…
            </button>
            {self ? <p className="hint">You cannot delete your own account.</p> : null}
          </>
        )}
      </div>
    </section>
  );
}

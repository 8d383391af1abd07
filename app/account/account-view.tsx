'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import {
  checkNewPassword,
  PASSWORD_MAX,
  PASSWORD_MIN,
  ROLE_WORDS,
  type SessionView,
} from '@/lib/auth/accounts';
import { AppHeader, type HeaderUser } from '../_components/app-header';
import { Field } from '../_components/form-field';
import { SessionList } from '../_components/session-list';
import { apiFetch, loginHref } from '../_lib/api';
import { useForm } from '../_lib/use-form';

interface Passwords {
  currentPassword: string;
  newPassword: string;
  confirm: string;
}

type PasswordField = keyof Passwords;

const EMPTY: Passwords = { currentPassword: '', newPassword: '', confirm: '' };

function checkPasswords(values: Passwords) {
  const errors: Partial<Record<PasswordField, string>> = {};
  if (values.currentPassword === '') errors.currentPassword = 'Enter your current password.';
  const fresh = checkNewPassword(values.newPassword);
  if (!fresh.ok) errors.newPassword = fresh.error;
  else if (values.confirm !== values.newPassword) {
    errors.confirm = values.confirm === '' ? 'Enter the new password again.' : 'The two differ.';
  }
  const ok = Object.keys(errors).length === 0;
  return {
    value: ok ? { currentPassword: values.currentPassword, newPassword: values.newPassword } : null,
    errors,
  };
}

export function AccountView({ user, initial }: { user: HeaderUser; initial: SessionView[] }) {
  const router = useRouter();
  const [sessions, setSessions] = useState(initial);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function reload() {
    const result = await apiFetch<{ sessions: SessionView[] }>('/api/account/sessions');
    if (result.ok) setSessions(result.data.sessions);
    else if (result.status === 401) router.replace(loginHref('/account'));
    else setListError(result.error);
  }

  const form = useForm({
    initial: EMPTY,
    validate: checkPasswords,
    onInvalid: (errors) => {
      const first = (['currentPassword', 'newPassword', 'confirm'] as const).find((f) => errors[f]);
      if (first) document.getElementById(`account-${first}`)?.focus();
    },
    submit: (body) =>
      apiFetch<{ sessionsEnded: number }>('/api/account/password', {
        method: 'PUT',
        body: JSON.stringify(body),
      }),
    // A refused change keeps nothing typed in the password fields but the new ones.
    afterFailure: (values) => ({ ...values, currentPassword: '' }),
    onSuccess: ({ sessionsEnded }) => {
      setDone(
        sessionsEnded === 0
          ? 'Password changed.'
          : `Password changed. ${sessionsEnded} other session${sessionsEnded === 1 ? ' was' : 's were'} signed out.`,
      );
      void reload();
      return EMPTY;
    },
  });

  async function revoke(session: SessionView) {
    setRevoking(session.id);
    setListError(null);
    const result = await apiFetch<{ ok: true }>(`/api/account/sessions/${session.id}/revoke`, {
      method: 'POST',
    });
    setRevoking(null);
    if (result.ok && session.current) {
      router.replace('/login');
      router.refresh();
      return;
    }
    if (result.ok || result.status === 404) {
      setSessions((list) => list.filter((s) => s.id !== session.id));
      return;
    }
    if (result.status === 401) return router.replace(loginHref('/account'));
    setListError(result.error);
  }

  const field = (name: PasswordField, label: string, hint: string, autoComplete: string) => (
    <Field id={`account-${name}`} label={label} hint={hint} error={form.errorFor(name)}>
      <input
        {...form.fieldProps(name, `account-${name}`)}
        type="password"
        autoComplete={autoComplete}
        maxLength={PASSWORD_MAX}
        value={form.values[name]}
        onChange={(e) => {
          setDone(null);
          form.set(name, e.target.value);
        }}
        disabled={form.pending}
      />
    </Field>
  );

  const others = sessions.filter((s) => !s.current).length;

  return (
    <>
      <AppHeader user={user} />
      <main id="main" className="page account-page">
        <nav className="breadcrumb" aria-label="Breadcrumb">
          <Link href="/" className="link">
            ← Back to the board
          </Link>
        </nav>
        <div className="section-head">
          <h1>Your account</h1>
          <p className="muted">
            Signed in as <strong>{user.username}</strong>, {user.role}: {ROLE_WORDS[user.role]}.
          </p>
        </div>

        <section className="card" aria-labelledby="password-heading">
          <h2 id="password-heading">Change password</h2>
          <form method="post" onSubmit={form.handleSubmit} noValidate className="account-form">
            {/* For password managers: which account this is. */}
            <input
              type="text"
              name="username"
              autoComplete="username"
              value={user.username}
              readOnly
              hidden
            />
            {field(
              'currentPassword',
              'Current password',
              'The one you signed in with.',
              'current-password',
            )}
            {field(
              'newPassword',
              'New password',
              `${PASSWORD_MIN} to ${PASSWORD_MAX} characters. Your other sessions are signed out.`,
              'new-password',
            )}
            {field(
              'confirm',
              'New password, again',
              'To be sure it is what you meant.',
              'new-password',
            )}
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={form.pending}>
                {form.pending ? 'Changing…' : 'Change password'}
              </button>
            </div>
            {form.formError ? (
              <p role="alert" className="form-error" data-testid="form-error">
                {form.formError}
              </p>
            ) : null}
            {done ? (
              <p role="status" className="form-success" data-testid="password-changed">
                {done}
              </p>
            ) : null}
          </form>
        </section>

        <section className="card" aria-labelledby="sessions-heading">
          <div className="card-head">
            <h2 id="sessions-heading">Sessions</h2>
            <span className="muted">
              {sessions.length} active{others > 0 ? ` · ${others} elsewhere` : ''}
            </span>
          </div>
          <p className="muted small">
            Every browser signed in as you. Revoke one you do not recognise, and change your
            password.
          </p>
          {listError ? (
            <p role="alert" className="form-error">
              {listError}
            </p>
          ) : null}
          <SessionList
            sessions={sessions}
            revoking={revoking}
            onRevoke={(s) => void revoke(s)}
            label="Your sessions"
          />
        </section>
      </main>
    </>
  );
}

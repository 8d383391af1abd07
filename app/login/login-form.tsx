'use client';
import { useRouter } from 'next/navigation';
import { apiFetch } from '../_lib/api';
import { safeNext } from '../_lib/safe-next';
import { useForm } from '../_lib/use-form';

interface Credentials {
  username: string;
  password: string;
}

export function LoginForm({ next }: { next: string }) {
  const router = useRouter();
  const form = useForm({
    initial: { username: '', password: '' },
    // One message for the pair: which of the two was wrong is not said, so neither is marked.
    validate: ({ username, password }: Credentials) => ({
      value: username.trim() && password ? { username: username.trim(), password } : null,
      errors: {},
    }),
    invalidMessage: 'Enter your username and password.',
    // A wrong password is the 401 itself, not an expired session.
    signInOn401: false,
    afterFailure: (values) => ({ ...values, password: '' }),
    submit: (credentials) =>
      apiFetch<{ user: { username: string; role: string } }>('/api/auth/login', {
        method: 'POST',
        body: JSON.stringify(credentials),
      }),
    onSuccess: () => {
      router.replace(safeNext(next));
      router.refresh();
    },
  });
  const error = form.formError;
  // The message stays while the person types again (setValues keeps it): it explains the
  // emptied password field.
  const type = (field: keyof Credentials, value: string) =>
    form.setValues((v) => ({ ...v, [field]: value }));

  return (
    <form method="post" className="login-form" onSubmit={form.handleSubmit} noValidate>
      <div className="field">
        <label htmlFor="username">Username</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          autoFocus
          autoCapitalize="none"
          spellCheck={false}
          maxLength={64}
          required
          value={form.values.username}
          onChange={(e) => type('username', e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'login-error' : undefined}
        />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          maxLength={200}
          required
          value={form.values.password}
          onChange={(e) => type('password', e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'login-error' : undefined}
        />
      </div>
      {error ? (
        <p id="login-error" role="alert" className="form-error" data-testid="login-error">
          {error}
        </p>
      ) : null}
      <button type="submit" className="button button-primary button-block" disabled={form.pending}>
        {form.pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

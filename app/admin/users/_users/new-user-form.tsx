'use client';
import { useState } from 'react';
import {
  checkNewPassword,
  checkUsername,
  PASSWORD_MAX,
  PASSWORD_MIN,
  roleSentence,
  ROLES,
  USERNAME_MAX,
  type PasswordIssued,
  type Role,
  type UserView,
} from '@/lib/auth/accounts';
import { Field } from '../../../_components/form-field';
import { apiFetch } from '../../../_lib/api';
import { useForm } from '../../../_lib/use-form';
import { IssuedPassword } from './issued-password';

interface NewUser {
  username: string;
  role: Role;
  password: string;
}

const EMPTY: NewUser = { username: '', role: 'viewer', password: '' };

function checkNewUser(values: NewUser) {
  const errors: Partial<Record<keyof NewUser, string>> = {};
  const name = checkUsername(values.username);
  if (!name.ok) errors.username = name.error;
  const password = values.password === '' ? null : checkNewPassword(values.password);
  if (password && !password.ok) errors.password = password.error;
  return {
    value: name.ok
      ? {
          username: name.value,
          role: values.role,
          ...(values.password === '' ? {} : { password: values.password }),
        }
      : null,
    errors,
  };
}

/** Creates a user; a password left empty is generated and shown once. */
export function NewUserForm({ onCreated }: { onCreated: (user: UserView) => void }) {
  const [issued, setIssued] = useState<{ username: string; password: string } | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const form = useForm({
    initial: EMPTY,
    validate: checkNewUser,
    onInvalid: (errors) => {
      const first = (['username', 'password'] as const).find((f) => errors[f]);
      if (first) document.getElementById(`new-user-${first}`)?.focus();
    },
    submit: (body) =>
      apiFetch<PasswordIssued>('/api/users', { method: 'POST', body: JSON.stringify(body) }),
    onSuccess: (answer) => {
      onCreated(answer.user);
      setCreated(answer.user.username);
      setIssued(
        answer.password ? { username: answer.user.username, password: answer.password } : null,
      );
      return EMPTY;
    },
  });
  const change = <K extends keyof NewUser>(field: K, value: NewUser[K]) => {
    setCreated(null);
    form.set(field, value);
  };

  return (
    <>
      <form method="post" onSubmit={form.handleSubmit} noValidate className="new-user-form">
        <Field
          id="new-user-username"
          label="Username"
          hint={<>Letters, digits, _ . and -; up to {USERNAME_MAX} characters.</>}
          error={form.errorFor('username')}
        >
          <input
            {...form.fieldProps('username', 'new-user-username')}
            onBlur={undefined}
            value={form.values.username}
            maxLength={USERNAME_MAX * 2}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            onChange={(e) => change('username', e.target.value)}
            disabled={form.pending}
          />
        </Field>
        <Field
          id="new-user-role"
          label="Role"
          hint={roleSentence(form.values.role)}
          error={form.errorFor('role')}
        >
          <select
            {...form.fieldProps('role', 'new-user-role')}
            value={form.values.role}
            onChange={(e) => change('role', e.target.value as Role)}
            disabled={form.pending}
          >
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </Field>
        <Field
          id="new-user-password"
          label="Password (optional)"
          hint={
            <>
              Leave empty to generate one. Else {PASSWORD_MIN} to {PASSWORD_MAX} characters.
            </>
          }
          error={form.errorFor('password')}
        >
          <input
            {...form.fieldProps('password', 'new-user-password')}
            type="password"
            autoComplete="new-password"
            maxLength={PASSWORD_MAX}
            value={form.values.password}
            onChange={(e) => change('password', e.target.value)}
            disabled={form.pending}
          />
        </Field>
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={form.pending}>
            {form.pending ? 'Creating…' : 'Create user'}
          </button>
        </div>
        {form.formError && !form.errorFor('username') && !form.errorFor('password') ? (
          <p role="alert" className="form-error" data-testid="form-error">
            {form.formError}
          </p>
        ) : null}
        {created && !issued ? (
          <p role="status" className="form-success">
            User {created} created with the password you chose.
          </p>
        ) : null}
      </form>
      {issued ? (
        <IssuedPassword
          username={issued.username}
          password={issued.password}
          title={`User ${issued.username} created`}
          onDone={() => setIssued(null)}
        />
      ) : null}
    </>
  );
}

'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { apiFetch } from '../_lib/api';

export function SignOutButton() {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function signOut() {
    setPending(true);
    setError(null);
    const result = await apiFetch<{ ok: true }>('/api/auth/logout', { method: 'POST' });
    if (!result.ok && result.status !== 401) {
      setPending(false);
      setError(result.error);
      return;
    }
    router.replace('/login');
    router.refresh();
  }

  return (
    <>
      <button
        type="button"
        className="button button-ghost"
        onClick={signOut}
        disabled={pending}
        data-testid="sign-out"
      >
        {pending ? 'Signing out…' : 'Sign out'}
      </button>
      {error ? (
        <span role="alert" className="header-error">
          {error}
        </span>
      ) : null}
    </>
  );
}

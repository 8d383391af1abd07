'use client';
import { usePathname, useRouter } from 'next/navigation';
import { useState } from 'react';
import { loginHref, type ApiResult } from './api';

/**
 * One button's request: pending while out, its error (the server's message) until the next
 * try, and a 401 that sends to sign-in and back. `run` resolves to the data, or null.
 */
export function useAction() {
  const router = useRouter();
  const pathname = usePathname();
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run<T>(name: string, request: () => Promise<ApiResult<T>>): Promise<T | null> {
    setPending(name);
    setError(null);
    const result = await request();
    setPending(null);
    if (result.ok) return result.data;
    if (result.status === 401) router.replace(loginHref(pathname));
    else setError(result.error);
    return null;
  }

  return { pending, error, run, clearError: () => setError(null) };
}

import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { currentUser } from '@/lib/server/session';
import { safeNext } from '../_lib/safe-next';
import { LoginForm } from './login-form';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Sign in · Pulse' };

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { next: raw } = await searchParams;
  const next = safeNext(Array.isArray(raw) ? raw[0] : raw);
  if (await currentUser()) redirect(next);
  return (
    <main id="main" className="login-page">
      <div className="login-card card">
        <div className="login-brand">
          <svg viewBox="0 0 24 24" width="32" height="32" aria-hidden="true" className="brand-mark">
            <path
              d="M2 12h4l2.5-6 4 12 3-9 2 3H22"
              fill="none"
              stroke="currentColor"
              strokeWidth="2.2"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
          <span className="brand-name">Pulse</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">Real-time anomaly detection for your product telemetry.</p>
        <LoginForm next={next} />
      </div>
    </main>
  );
}

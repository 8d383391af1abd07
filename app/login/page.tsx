import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { currentUser } from '@/app/_server/session';
import { safeNext } from '../_lib/safe-next';
import { LoginForm } from './login-form';
import { BrandMark } from '../_components/brand-mark';

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
          <BrandMark size={32} />
          <span className="brand-name">Pulse</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">Real-time anomaly detection for your product telemetry.</p>
        <LoginForm next={next} />
      </div>
    </main>
  );
}

import type { Metadata } from 'next';
import Link from 'next/link';
import { listApiKeys } from '@/db/queries/api-keys';
import { webContext } from '@/app/_server/context';
import { hasRole, requirePageUser } from '@/app/_server/session';
import { AppHeader } from '../../_components/app-header';
import { ApiKeysView } from './api-keys-view';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'API keys · Pulse' };

/** API keys for POST /api/ingest: admins create, list and revoke them; others are told so. */
export default async function ApiKeysPage() {
  const user = await requirePageUser('/admin/api-keys');
  const header = { username: user.username, role: user.role };
  if (!hasRole(user, 'admin')) {
    return (
      <>
        <AppHeader user={header} />
        <main id="main" className="page narrow">
          <div className="section-head">
            <h1>API keys</h1>
          </div>
          <p className="notice notice-warn" role="alert" data-testid="admin-refusal">
            Only admins can see and manage API keys. You are signed in as {user.username} with the{' '}
            {user.role} role; ask an admin if a service needs a key.
          </p>
          <Link href="/" className="link">
            ← Back to the board
          </Link>
        </main>
      </>
    );
  }
  const keys = await listApiKeys(webContext().db);
  return <ApiKeysView user={header} initial={keys} />;
}

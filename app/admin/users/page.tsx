import type { Metadata } from 'next';
import Link from 'next/link';
import { listUsers } from '@/db/queries/auth';
import { webContext } from '@/app/_server/context';
import { hasRole, requirePageUser } from '@/app/_server/session';
import { AppHeader } from '../../_components/app-header';
import { UsersView } from './users-view';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Users · Pulse' };

/** Users: admins create them, change roles, reset passwords, disable, delete, end sessions. */
export default async function UsersPage() {
  const user = await requirePageUser('/admin/users');
  const header = { username: user.username, role: user.role };
  if (!hasRole(user, 'admin')) {
    return (
      <>
        <AppHeader user={header} />
        <main id="main" className="page narrow">
          <div className="section-head">
            <h1>Users</h1>
          </div>
          <p className="notice notice-warn" role="alert" data-testid="admin-refusal">
            Only admins can manage users. You are signed in as {user.username} with the {user.role}{' '}
            role. Your own password and sessions are on{' '}
            <Link href="/account" className="link">
              your account page
            </Link>
            .
          </p>
          <Link href="/" className="link">
            ← Back to the board
          </Link>
        </main>
      </>
    );
  }
  const users = await listUsers(webContext().db);
  return <UsersView user={header} selfId={user.id} initial={users} />;
}

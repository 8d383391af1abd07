import type { Metadata } from 'next';
import Link from 'next/link';
import { listChannels, listRoutes, listSilences } from '@/db/queries/notify-settings';
import { webContext } from '@/app/_server/context';
import { hasRole, requirePageUser } from '@/app/_server/session';
import { AppHeader } from '../../_components/app-header';
import { NotificationsView } from './notifications-view';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Notifications · Pulse' };

/**
 * Notification settings (admins): channels with a test send, the routes and default channels,
 * silences. Credentials are never read here: the queries do not select them.
 */
export default async function NotificationSettingsPage() {
  const user = await requirePageUser('/settings/notifications');
  const header = { username: user.username, role: user.role };
  if (!hasRole(user, 'admin')) {
    return (
      <>
        <AppHeader user={header} />
        <main id="main" className="page narrow">
          <div className="section-head">
            <h1>Notifications</h1>
          </div>
          <p className="notice notice-warn" role="alert" data-testid="admin-refusal">
            Only admins can see and change where notifications go. You are signed in as{' '}
            {user.username} with the {user.role} role; ask an admin to change a channel or a route.
          </p>
          <Link href="/" className="link">
            ← Back to the board
          </Link>
        </main>
      </>
    );
  }
  const { db } = webContext();
  const [channels, routes, silences] = await Promise.all([
    listChannels(db),
    listRoutes(db),
    listSilences(db, new Date()),
  ]);
  return <NotificationsView user={header} initial={{ channels, routes, silences }} />;
}

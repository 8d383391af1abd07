import type { Metadata } from 'next';
import { listSessions } from '@/db/queries/auth';
import { webContext } from '@/app/_server/context';
import { currentToken, requirePageUser } from '@/app/_server/session';
import { AccountView } from './account-view';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Your account · Pulse' };

/** The signed-in person's account: change the password, see and revoke their sessions. */
export default async function AccountPage() {
  const user = await requirePageUser('/account');
  const sessions = await listSessions(webContext().db, user.id, {
    currentToken: await currentToken(),
  });
  return <AccountView user={{ username: user.username, role: user.role }} initial={sessions} />;
}

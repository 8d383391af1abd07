import type { Metadata } from 'next';
import { boardIncidents } from '@/db/queries/incident-views';
import { loadBoard } from '@/db/queries/views';
import { webContext } from '@/app/_server/context';
import { requirePageUser } from '@/app/_server/session';
import { LiveBoard } from './live-board';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Live board · Pulse' };

export default async function BoardPage() {
  const user = await requirePageUser('/');
  const { db, config } = webContext();
  const [board, incidents] = await Promise.all([
    loadBoard(db, { windowMs: config.windowMs }),
    boardIncidents(db),
  ]);
  return (
    <LiveBoard
      initial={board}
      incidents={incidents}
      user={{ username: user.username, role: user.role }}
    />
  );
}

import type { Metadata } from 'next';
import { loadBoard } from '@/db/queries/views';
import { webContext } from '@/app/_server/context';
import { requirePageUser } from '@/app/_server/session';
import { LiveBoard } from './live-board';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Live board · Pulse' };

export default async function BoardPage() {
  const user = await requirePageUser('/');
  const board = await loadBoard(webContext().db, { windowMs: webContext().config.windowMs });
  return <LiveBoard initial={board} user={{ username: user.username, role: user.role }} />;
}

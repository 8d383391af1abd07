import type { Metadata } from 'next';
import { boardIncidents } from '@/db/queries/incident-views';
import { loadBoard } from '@/db/queries/views';
import { webContext } from '@/app/_server/context';
import { readPageRange, toSearchParams, type SearchParams } from '@/app/_server/search-params';
import { requirePageUser } from '@/app/_server/session';
import { LiveBoard } from './live-board';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Live board · Pulse' };

/**
 * The live board: every metric's recent windows (the last 60, or the range in the URL:
 * `/?from=now-24h`) and the alert feed. The range is the board's only view state.
 */
export default async function BoardPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const query = toSearchParams(await searchParams);
  const user = await requirePageUser(query.size > 0 ? `/?${query.toString()}` : '/');
  const { db, config } = webContext();
  const { view, range } = readPageRange(query);
  const [board, incidents] = await Promise.all([
    loadBoard(db, { windowMs: config.windowMs, range }),
    boardIncidents(db),
  ]);
  return (
    <LiveBoard
      // A new range is a new board: its state starts again from what the server read.
      key={view.range ? `${view.range.from}|${view.range.to}` : 'default'}
      initial={board}
      incidents={incidents}
      view={view}
      user={{ username: user.username, role: user.role }}
    />
  );
}

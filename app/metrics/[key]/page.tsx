import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getMetricByKey } from '@/db/queries/metrics';
import { parseExploreState } from '@/lib/explore/view-state';
import { webContext } from '@/app/_server/context';
import { hasRole, requirePageUser } from '@/app/_server/session';
import { decodeSafeSegment, decodeSegment } from '@/app/_lib/ids';
import { toSearchParams, type SearchParams } from '@/app/_server/search-params';
import { loadExplore } from './explore-data';
import { ExploreView } from './explore-view';

export const dynamic = 'force-dynamic';

export async function generateMetadata({
  params,
}: {
  params: Promise<{ key: string }>;
}): Promise<Metadata> {
  const key = decodeSafeSegment((await params).key);
  return { title: key ? `${key} · Pulse` : 'Metric · Pulse' };
}

/**
 * A metric over any range: its expected band, anomalies and annotations, compared with a day
 * or a week before, split by a dimension or filtered to a slice. The URL holds the whole view
 * (lib/explore/view-state.ts), so a copied link opens the same one; a change of view is a
 * navigation, and this component reads it again.
 */
export default async function MetricExplorePage({
  params,
  searchParams,
}: {
  params: Promise<{ key: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const raw = (await params).key;
  const query = toSearchParams(await searchParams);
  const self = `/metrics/${encodeURIComponent(decodeSegment(raw))}`;
  const user = await requirePageUser(query.size > 0 ? `${self}?${query.toString()}` : self);
  // A key with a control character names no metric (and PostgreSQL would refuse a NUL).
  const key = decodeSafeSegment(raw);
  if (key === null) notFound();
  const { db, config } = webContext();
  const row = await getMetricByKey(db, key);
  if (!row) notFound();
  const { state, problems } = parseExploreState(query);
  const data = await loadExplore(db, row, state, {
    baseWindowMs: config.windowMs,
    problems,
  });
  return (
    <ExploreView
      data={data}
      state={state}
      user={{ username: user.username, role: user.role }}
      canEdit={hasRole(user, 'editor')}
    />
  );
}

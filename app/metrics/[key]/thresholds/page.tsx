import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getMetricByKey, savedRule, seasonDecisionOf, toDefinition } from '@/db/queries/metrics';
import { pointsSince } from '@/db/queries/points';
import { toBoardPoint } from '@/db/queries/views';
import { webContext } from '@/app/_server/context';
import { hasRole, requirePageUser } from '@/app/_server/session';
import { decodeSafeSegment, decodeSegment } from '@/app/_lib/ids';
import { RuleEditor, type RulePageData } from './rule-editor';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Thresholds · Pulse' };

const HISTORY_WINDOWS = 60;

async function loadRulePage(key: string): Promise<RulePageData | null> {
  const { db, config } = webContext();
  const row = await getMetricByKey(db, key);
  if (!row) return null;
  const windowMs = config.windowMs;
  const points = await pointsSince(db, [row.id], Date.now() - HISTORY_WINDOWS * windowMs);
  return {
    metric: toDefinition(row),
    rule: savedRule(row),
    season: seasonDecisionOf(row),
    ruleUpdatedAt: row.ruleUpdatedAt ? row.ruleUpdatedAt.getTime() : null,
    points: points.map(toBoardPoint),
    windowMs,
  };
}

export default async function MetricRulePage({ params }: { params: Promise<{ key: string }> }) {
  const raw = (await params).key;
  const user = await requirePageUser(
    `/metrics/${encodeURIComponent(decodeSegment(raw))}/thresholds`,
  );
  // A key with a control character names no metric (and PostgreSQL would refuse a NUL).
  const key = decodeSafeSegment(raw);
  if (key === null) notFound();
  const data = await loadRulePage(key);
  if (!data) notFound();
  return (
    <RuleEditor
      data={data}
      user={{ username: user.username, role: user.role }}
      canEdit={hasRole(user, 'editor') && !data.metric.series}
    />
  );
}

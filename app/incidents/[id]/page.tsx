import type { Metadata } from 'next';
import { notFound, redirect } from 'next/navigation';
import { incidentSummary } from '@/db/queries/incident-views';
import { webContext } from '@/app/_server/context';
import { requirePageUser } from '@/app/_server/session';
import { leadAnomaly } from '../../_lib/incident-feed';
import { parseId } from '../../_lib/ids';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Incident · Pulse' };

/**
 * Where notifications link (`<PULSE_PUBLIC_URL>/incidents/<id>`): the drill-down of the anomaly
 * that stands for the incident (open before resolved, critical before warn, the first to open),
 * which shows the incident, its siblings, actions on the whole incident and its delivery log.
 */
export default async function IncidentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id: raw } = await params;
  await requirePageUser(`/incidents/${encodeURIComponent(raw)}`);
  const id = parseId(raw);
  if (id === null) notFound();
  const incident = await incidentSummary(webContext().db, id);
  const lead = incident ? leadAnomaly(incident) : null;
  if (!lead) notFound();
  redirect(`/anomalies/${lead.id}`);
}

/**
 * Incidents in PostgreSQL: placing anomalies into incidents (the rule is lib/alerts/incidents.ts)
 * and keeping each incident's derived columns and its notifications up to date, in the caller's
 * transaction — the detector's window, a person's action, or the dispatcher's sweep.
 *
 * {@link refreshIncident} is the one writer of an incident's row: it locks it, derives status,
 * severity, cause, title and the people's stamps from its anomalies, asks the schedule
 * (lib/alerts/notify/schedule.ts) what notifications are owed now, writes them to the outbox
 * with one delivery per routed channel, and queues the `incident` NOTIFY — all in the
 * transaction of the change, so a notification exists if and only if the change committed.
 *
 * Lock order, everywhere: anomaly rows first (ascending id), then the incident row. The
 * detector updates anomalies and then refreshes; a person's action on an incident locks its
 * anomalies and then the incident; the sweep locks only incidents.
 */
import { and, asc, eq, gte, inArray, isNotNull, isNull, lte, ne } from 'drizzle-orm';
import {
  causesOf,
  DEFAULT_TOLERANCE_WINDOWS,
  incidentSeverity,
  incidentStatus,
  placeAnomaly,
  sharedCause,
  type IncidentAnomaly,
  type IncidentMembers,
} from '@/lib/alerts/incidents';
import { incidentTitle } from '@/lib/alerts/incident-title';
import { channelsForNotification } from '@/lib/alerts/notify/routing';
import {
  DEFAULT_SCHEDULE,
  scheduleNotifications,
  type ScheduleSettings,
} from '@/lib/alerts/notify/schedule';
import { silencedUntil } from '@/lib/alerts/notify/silences';
import type { AnomalySnapshot, IncidentSnapshot } from '@/lib/alerts/notify/types';
import { toDefinition } from './metrics';
import { anomalies, incidents, metrics, users } from '../schema';
import type { Executor } from './executor';
import { notifyInTransaction } from './notify';
import {
  currentSilences,
  loadRouting,
  notifiedChannels,
  sentNotifications,
  writeNotification,
} from './outbox';

export type IncidentRow = typeof incidents.$inferSelect;
type AnomalyRow = typeof anomalies.$inferSelect;
type MetricRow = typeof metrics.$inferSelect;

/** What placing and notifying need besides the database. */
export interface IncidentSettings {
  /** PULSE_WINDOW in ms. */
  baseWindowMs: number;
  /** The grouping rule's tolerance in windows (lib/alerts/incidents.ts). */
  toleranceWindows?: number;
  /** Group wait and repeat interval. */
  schedule?: ScheduleSettings;
  /** The origin links in messages point at (PULSE_PUBLIC_URL, or the server's own). */
  publicUrl: string;
}

/** How far back an incident may end and still take a new anomaly (bounds the candidates read). */
const CANDIDATE_SPAN_MS = 24 * 3_600_000;

interface Member {
  anomaly: AnomalyRow;
  metric: MetricRow;
}

async function membersOf(
  x: Executor,
  incidentIds: readonly number[],
): Promise<Map<number, Member[]>> {
  const out = new Map<number, Member[]>();
  if (incidentIds.length === 0) return out;
  const rows = await x
    .select({ anomaly: anomalies, metric: metrics })
    .from(anomalies)
    .innerJoin(metrics, eq(metrics.id, anomalies.metricId))
    .where(inArray(anomalies.incidentId, [...incidentIds]))
    .orderBy(asc(anomalies.id));
  for (const row of rows) {
    const id = row.anomaly.incidentId!;
    const list = out.get(id) ?? [];
    list.push(row);
    out.set(id, list);
  }
  return out;
}

function toIncidentAnomaly({ anomaly, metric }: Member): IncidentAnomaly {
  return {
    id: anomaly.id,
    metric: toDefinition(metric),
    status: anomaly.status,
    severity: anomaly.severity,
    firstWindow: anomaly.firstWindow.getTime(),
    lastWindow: anomaly.lastWindow.getTime(),
    causes: causesOf(anomaly.explanation),
  };
}

/**
 * Puts each of `anomalyIds` that has no incident yet into one (joining a linked incident or
 * opening its own), in ascending id order — the order they opened — then refreshes every
 * incident they belong to. Withdrawn anomalies that never had an incident stay without one.
 * Returns the ids of the incidents refreshed.
 */
export async function placeAndRefresh(
  x: Executor,
  anomalyIds: readonly number[],
  settings: IncidentSettings,
  now: Date,
): Promise<number[]> {
  const touched = new Set<number>();
  const rule = {
    baseWindowMs: settings.baseWindowMs,
    toleranceWindows: settings.toleranceWindows ?? DEFAULT_TOLERANCE_WINDOWS,
  };
  for (const id of [...new Set(anomalyIds)].sort((a, b) => a - b)) {
    const [row] = await x
      .select({ anomaly: anomalies, metric: metrics })
      .from(anomalies)
      .innerJoin(metrics, eq(metrics.id, anomalies.metricId))
      .where(eq(anomalies.id, id));
    if (!row) continue;
    if (row.anomaly.incidentId !== null) {
      touched.add(row.anomaly.incidentId);
      continue;
    }
    if (row.anomaly.status === 'withdrawn') continue;
    const subject = toIncidentAnomaly(row);
    const candidates = await x
      .select({ id: incidents.id })
      .from(incidents)
      .where(
        and(
          ne(incidents.status, 'withdrawn'),
          gte(incidents.lastWindow, new Date(subject.firstWindow - CANDIDATE_SPAN_MS)),
          lte(incidents.firstWindow, new Date(subject.lastWindow + CANDIDATE_SPAN_MS)),
        ),
      )
      .orderBy(asc(incidents.id));
    const members = await membersOf(
      x,
      candidates.map((c) => c.id),
    );
    const loaded: IncidentMembers[] = candidates.map((c) => ({
      id: c.id,
      anomalies: (members.get(c.id) ?? []).map(toIncidentAnomaly),
    }));
    const placement = placeAnomaly(subject, loaded, rule);
    let incidentId: number;
    if (placement.kind === 'open') {
      const [created] = await x
        .insert(incidents)
        .values({
          severity: row.anomaly.severity,
          title: row.metric.name,
          firstWindow: row.anomaly.firstWindow,
          lastWindow: row.anomaly.lastWindow,
          openedAt: now,
          updatedAt: now,
        })
        .returning({ id: incidents.id });
      if (!created) throw new Error('insert into incidents returned no row');
      incidentId = created.id;
    } else {
      incidentId = placement.incidentId;
    }
    await x.update(anomalies).set({ incidentId }).where(eq(anomalies.id, id));
    touched.add(incidentId);
  }
  const ids = [...touched].sort((a, b) => a - b);
  for (const incidentId of ids) await refreshIncident(x, incidentId, settings, now);
  return ids;
}

/** The anomalies of the board that have no incident yet (older data, or a missed placement). */
export async function unplacedAnomalies(x: Executor, limit = 500): Promise<number[]> {
  const rows = await x
    .select({ id: anomalies.id })
    .from(anomalies)
    .where(and(isNull(anomalies.incidentId), ne(anomalies.status, 'withdrawn')))
    .orderBy(asc(anomalies.id))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Ids of incidents whose notifications are due a look at `now`, the most overdue first. */
export async function incidentsDueCheck(x: Executor, now: Date, limit = 100): Promise<number[]> {
  const rows = await x
    .select({ id: incidents.id })
    .from(incidents)
    .where(and(isNotNull(incidents.nextCheckAt), lte(incidents.nextCheckAt, now)))
    .orderBy(asc(incidents.nextCheckAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** The incident an anomaly belongs to, or null. */
export async function incidentOfAnomaly(x: Executor, anomalyId: number): Promise<number | null> {
  const [row] = await x
    .select({ incidentId: anomalies.incidentId })
    .from(anomalies)
    .where(eq(anomalies.id, anomalyId));
  return row?.incidentId ?? null;
}

/** The ids of an incident's anomalies, locked for an action, ascending (the lock order). */
export async function lockIncidentAnomalies(x: Executor, incidentId: number): Promise<number[]> {
  const rows = await x
    .select({ id: anomalies.id })
    .from(anomalies)
    .where(eq(anomalies.incidentId, incidentId))
    .orderBy(asc(anomalies.id))
    .for('update');
  return rows.map((r) => r.id);
}

/** The change of a metric's value at its peak, relative to what was expected (−0.58). */
function relativeChange(value: number, expected: number): number | null {
  if (!Number.isFinite(value) || !Number.isFinite(expected) || expected === 0) return null;
  return value / expected - 1;
}

/** The incident as notifications see it (lib/alerts/notify/types.ts). */
export function incidentSnapshot(
  row: IncidentRow,
  members: readonly Member[],
  names: { acknowledgedBy: string | null },
  publicUrl: string,
  baseWindowMs: number,
): IncidentSnapshot {
  const live = members.filter((m) => m.anomaly.status !== 'withdrawn');
  const shown = live.length > 0 ? live : members;
  const anomalySnapshots: AnomalySnapshot[] = shown.map(({ anomaly, metric }) => ({
    id: anomaly.id,
    metric: { key: metric.key, name: metric.name, unit: metric.unit },
    severity: anomaly.severity,
    value: Number.isFinite(anomaly.value) ? anomaly.value : null,
    expected: Number.isFinite(anomaly.expected) ? anomaly.expected : null,
    change: relativeChange(anomaly.value, anomaly.expected),
    windowStart: anomaly.firstWindow.getTime(),
    windowEnd: anomaly.lastWindow.getTime() + Math.max(1, metric.windowMultiple) * baseWindowMs,
  }));
  const acknowledged = row.status === 'open' && row.acknowledgedAt !== null;
  return {
    id: row.id,
    title: row.title,
    status: row.status !== 'open' ? 'resolved' : acknowledged ? 'acknowledged' : 'open',
    severity: row.severity,
    cause: Object.entries(row.cause ?? {}).map(([dimension, value]) => ({ dimension, value })),
    anomalies: anomalySnapshots,
    openedAt: row.openedAt.getTime(),
    acknowledgedAt: row.acknowledgedAt?.getTime() ?? null,
    acknowledgedBy: names.acknowledgedBy,
    resolvedAt: row.resolvedAt?.getTime() ?? null,
    snoozedUntil: row.snoozedUntil?.getTime() ?? null,
    link: incidentLink(publicUrl, row.id),
  };
}

/** The absolute URL of an incident in Pulse. */
export function incidentLink(publicUrl: string, incidentId: number): string {
  return `${publicUrl.replace(/\/+$/, '')}/incidents/${incidentId}`;
}

/**
 * Re-derives an incident from its anomalies and writes the notifications now owed (see the
 * module comment). Call it in the transaction of any change to the incident's anomalies, and
 * when `next_check_at` is due. Returns the row as written, or null when there is no such
 * incident.
 */
export async function refreshIncident(
  x: Executor,
  incidentId: number,
  settings: IncidentSettings,
  now: Date,
): Promise<IncidentRow | null> {
  const [current] = await x
    .select()
    .from(incidents)
    .where(eq(incidents.id, incidentId))
    .for('update');
  if (!current) return null;
  const members = (await membersOf(x, [incidentId])).get(incidentId) ?? [];
  const at = now.getTime();

  const rule = members.map(toIncidentAnomaly);
  const status = members.length === 0 ? 'withdrawn' : incidentStatus(rule);
  const severity = incidentSeverity(rule) ?? current.severity;
  const cause = sharedCause(rule);
  const title =
    incidentTitle(
      cause,
      members.map(({ anomaly, metric }) => ({
        metric: toDefinition(metric),
        value: anomaly.value,
        expected: anomaly.expected,
        status: anomaly.status,
      })),
    ) || current.title;
  const live = members.filter((m) => m.anomaly.status !== 'withdrawn');
  const span = live.length > 0 ? live : members;
  const firstWindow = span.length
    ? new Date(Math.min(...span.map((m) => m.anomaly.firstWindow.getTime())))
    : current.firstWindow;
  const lastWindow = span.length
    ? new Date(Math.max(...span.map((m) => m.anomaly.lastWindow.getTime())))
    : current.lastWindow;

  // People's stamps: the incident is acknowledged (snoozed) while every open anomaly is.
  const open = members.filter((m) => m.anomaly.status === 'open');
  const acks = open.map((m) => m.anomaly.acknowledgedAt);
  const allAcked = open.length > 0 && acks.every((a) => a !== null);
  const lastAck = allAcked
    ? open.reduce((best, m) =>
        m.anomaly.acknowledgedAt!.getTime() > best.anomaly.acknowledgedAt!.getTime() ? m : best,
      )
    : null;
  const snoozes = open.map((m) => m.anomaly.snoozedUntil?.getTime() ?? 0);
  const allSnoozed = open.length > 0 && snoozes.every((s) => s > at);
  const resolvedAt =
    status === 'open' ? null : ((current.status === 'open' ? null : current.resolvedAt) ?? now);

  const [row] = await x
    .update(incidents)
    .set({
      status,
      severity,
      cause,
      title,
      firstWindow,
      lastWindow,
      acknowledgedAt: lastAck?.anomaly.acknowledgedAt ?? null,
      acknowledgedBy: lastAck?.anomaly.acknowledgedBy ?? null,
      snoozedUntil: allSnoozed ? new Date(Math.min(...snoozes)) : null,
      resolvedAt,
      updatedAt: now,
    })
    .where(eq(incidents.id, incidentId))
    .returning();
  if (!row) return null;

  // What is owed now.
  const acknowledgedBy =
    row.acknowledgedBy === null
      ? null
      : ((
          await x
            .select({ username: users.username })
            .from(users)
            .where(eq(users.id, row.acknowledgedBy))
        )[0]?.username ?? null);
  const snapshot = incidentSnapshot(
    row,
    members,
    { acknowledgedBy },
    settings.publicUrl,
    settings.baseWindowMs,
  );
  const sent = await sentNotifications(x, incidentId);
  const silences = await currentSilences(x, now);
  const result = scheduleNotifications({
    incident: snapshot,
    sent,
    now: at,
    silencedUntil: silencedUntil(snapshot, silences, at),
    settings: settings.schedule ?? DEFAULT_SCHEDULE,
  });
  if (result.due.length > 0) {
    const { routing, enabled } = await loadRouting(x);
    const already = await notifiedChannels(x, incidentId);
    for (const due of result.due) {
      const channels = channelsForNotification(due.kind, snapshot, routing, already).filter((c) =>
        enabled.has(c),
      );
      await writeNotification(
        x,
        due,
        { kind: due.kind, key: due.key, createdAt: at, incident: snapshot },
        channels,
        now,
      );
      for (const c of channels) if (!already.includes(c)) already.push(c);
    }
  }
  const nextCheckAt = result.nextCheckAt === null ? null : new Date(result.nextCheckAt);
  await x.update(incidents).set({ nextCheckAt }).where(eq(incidents.id, incidentId));
  await notifyInTransaction(x, { kind: 'incident', id: incidentId });
  return { ...row, nextCheckAt };
}

/**
 * Read model of incidents for the board, the drill-down and the incident routes, shaped as
 * lib/views.ts says: an incident's derived columns (written by db/queries/incidents.ts
 * `refreshIncident`), its anomalies as summaries, whether an active silence matches it, and its
 * delivery log (the outbox's notifications, one delivery per channel, the latest attempt of
 * each, from the dispatcher's read model ./deliveries.ts). It writes nothing, and never reads a
 * channel's credentials.
 */
import { and, desc, eq, gt, gte, or } from 'drizzle-orm';
import { silencedUntil, type Silence } from '@/lib/alerts/notify/silences';
import type {
  AnomalySummary,
  DeliveryView,
  IncidentDetail,
  IncidentSummary,
  NotificationLogEntry,
} from '@/lib/views';
import { incidents, users } from '../schema';
import { incidentDeliveryLog } from './deliveries';
import type { Executor } from './executor';
import { currentSilences } from './outbox';
import { anomalySummariesByIncident } from './views';

/** How long a resolved incident stays on the board. */
export const RESOLVED_ON_BOARD_MS = 24 * 3_600_000;
/** How many incidents the board lists at most. */
export const BOARD_INCIDENTS = 50;

type IncidentRow = typeof incidents.$inferSelect;

/** Incidents with the name of who acknowledged them: one query. */
function selectIncidentRows(x: Executor) {
  return x
    .select({ incident: incidents, acknowledgedBy: users.username })
    .from(incidents)
    .leftJoin(users, eq(users.id, incidents.acknowledgedBy));
}

/**
 * Until when the silences mute an incident (lib/alerts/notify/silences.ts), judged as the
 * notifications judge it: on its anomalies that were not withdrawn (all of them when every one
 * was), its severity and its shared cause.
 */
function mutedUntil(
  row: IncidentRow,
  members: readonly AnomalySummary[],
  silences: readonly Silence[],
  now: number,
): number | null {
  if (silences.length === 0) return null;
  const live = members.filter((a) => a.status !== 'withdrawn');
  return silencedUntil(
    {
      severity: row.severity,
      cause: Object.entries(row.cause ?? {}).map(([dimension, value]) => ({ dimension, value })),
      anomalies: (live.length > 0 ? live : members).map((a) => ({ metric: { key: a.metricKey } })),
    },
    silences,
    now,
  );
}

function toIncidentSummary(
  row: IncidentRow,
  acknowledgedBy: string | null,
  members: AnomalySummary[],
  silences: readonly Silence[],
  now: number,
): IncidentSummary {
  const until = mutedUntil(row, members, silences, now);
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    severity: row.severity,
    cause: row.cause ?? null,
    openedAt: row.openedAt.getTime(),
    firstWindow: row.firstWindow.getTime(),
    lastWindow: row.lastWindow.getTime(),
    acknowledged: row.acknowledgedAt
      ? { by: acknowledgedBy, at: row.acknowledgedAt.getTime() }
      : null,
    snoozedUntil: row.snoozedUntil?.getTime() ?? null,
    resolvedAt: row.resolvedAt?.getTime() ?? null,
    silenced: until !== null,
    silencedUntil: until,
    updatedAt: row.updatedAt.getTime(),
    anomalies: members,
  };
}

/** The summaries of incident rows, in the rows' order, with their anomalies and silences. */
async function summariesOf(
  x: Executor,
  rows: { incident: IncidentRow; acknowledgedBy: string | null }[],
  now: Date,
): Promise<IncidentSummary[]> {
  if (rows.length === 0) return [];
  const members = await anomalySummariesByIncident(
    x,
    rows.map((r) => r.incident.id),
  );
  const silences = await currentSilences(x, now);
  return rows.map((r) =>
    toIncidentSummary(
      r.incident,
      r.acknowledgedBy,
      members.get(r.incident.id) ?? [],
      silences,
      now.getTime(),
    ),
  );
}

/**
 * The incidents the board lists: the open ones and those resolved within
 * {@link RESOLVED_ON_BOARD_MS}, newest first (by their first window, as the feed lists them),
 * with their anomalies.
 */
export async function boardIncidents(
  x: Executor,
  options: { now?: Date; limit?: number } = {},
): Promise<IncidentSummary[]> {
  const now = options.now ?? new Date();
  const rows = await selectIncidentRows(x)
    .where(
      or(
        eq(incidents.status, 'open'),
        and(
          eq(incidents.status, 'resolved'),
          gte(incidents.resolvedAt, new Date(now.getTime() - RESOLVED_ON_BOARD_MS)),
        ),
      ),
    )
    .orderBy(desc(incidents.firstWindow), desc(incidents.id))
    .limit(options.limit ?? BOARD_INCIDENTS);
  return summariesOf(x, rows, now);
}

/**
 * Catch-up after a reconnect: the incidents whose row changed after `since` (epoch ms),
 * whatever their status, the most recently changed first.
 */
export async function incidentsChangedSince(
  x: Executor,
  since: number,
  options: { now?: Date; limit?: number } = {},
): Promise<IncidentSummary[]> {
  const rows = await selectIncidentRows(x)
    .where(gt(incidents.updatedAt, new Date(since)))
    .orderBy(desc(incidents.updatedAt), desc(incidents.id))
    .limit(options.limit ?? BOARD_INCIDENTS * 2);
  return summariesOf(x, rows, options.now ?? new Date());
}

/** True when the incident exists. */
export async function incidentExists(x: Executor, id: number): Promise<boolean> {
  const [row] = await x.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, id));
  return row !== undefined;
}

/** One incident with its anomalies, or null when there is no such incident. */
export async function incidentSummary(
  x: Executor,
  id: number,
  now = new Date(),
): Promise<IncidentSummary | null> {
  const rows = await selectIncidentRows(x).where(eq(incidents.id, id));
  const [summary] = await summariesOf(x, rows, now);
  return summary ?? null;
}

/**
 * The delivery log of an incident as the drill-down shows it, newest notification first, read
 * through the dispatcher's read model (./deliveries.ts `incidentDeliveryLog`, which never
 * selects a channel's credentials): per channel its status, attempts, last error, when it was
 * delivered, and the latest attempt.
 */
export async function incidentNotificationLog(
  x: Executor,
  incidentId: number,
): Promise<NotificationLogEntry[]> {
  const log = await incidentDeliveryLog(x, incidentId);
  return log.reverse().map((n) => ({
    id: n.notificationId,
    kind: n.kind,
    key: n.key,
    severity: n.severity,
    createdAt: n.createdAt,
    deliveries: n.deliveries.map((d): DeliveryView => {
      const last = d.attemptLog.at(-1);
      return {
        channelId: d.channelId,
        channelType: d.channelType,
        target: d.target,
        status: d.status,
        attempts: d.attempts,
        lastError: d.lastError,
        deliveredAt: d.deliveredAt,
        nextAttemptAt: d.nextAttemptAt,
        lastAttemptAt: last?.startedAt ?? null,
        lastStatusCode: last?.statusCode ?? null,
      };
    }),
  }));
}

/** The incident on a drill-down: its summary and its delivery log; null when there is none. */
export async function incidentDetail(
  x: Executor,
  id: number,
  now = new Date(),
): Promise<IncidentDetail | null> {
  const summary = await incidentSummary(x, id, now);
  if (!summary) return null;
  return { ...summary, notifications: await incidentNotificationLog(x, id) };
}

/**
 * The `anomalies` table and its audit trail `anomaly_events`. The detector opens, extends,
 * revises and withdraws anomalies (the engine's own writes are in engine-store.ts); people act on
 * them — acknowledge, resolve, snooze, verdicts — through the act-on-anomaly use case
 * (app/_server/use-cases/act-on-anomaly.ts), which runs the workflow queries below in one
 * transaction. `incidentState` and `resetMetricHistory` also read or clear the metric's points:
 * an anomaly's extent is a run of points.
 */
import { and, asc, desc, eq, gte, lt, lte, ne, sql } from 'drizzle-orm';
import type { LifecycleAction, LifecycleRequest, Verdict } from '@/lib/alerts/workflow';
import { pendingRun, type IncidentState, type StoredPoint } from '@/lib/detection/hysteresis';
import type { AnomalyExtent } from '@/lib/detection/revise';
import type { Peak } from '@/lib/detection/engine';
import type { AnomalyEventView } from '@/lib/views';
import { anomalies, anomalyEvents, metricPoints, users } from '../schema';
import type { Executor } from './executor';
import { arrayLiteral } from './points-batched';

export type AnomalyRow = typeof anomalies.$inferSelect;
type AnomalyUpdate = Partial<typeof anomalies.$inferInsert>;

export async function getAnomaly(db: Executor, id: number): Promise<AnomalyRow | undefined> {
  const [row] = await db.select().from(anomalies).where(eq(anomalies.id, id));
  return row;
}

/** The metric's anomalies (not withdrawn) whose extent comes within `margin` of a window. */
export async function anomaliesNear(
  db: Executor,
  metricId: number,
  windowStart: number,
  margin: number,
): Promise<AnomalyRow[]> {
  return db
    .select()
    .from(anomalies)
    .where(
      and(
        eq(anomalies.metricId, metricId),
        ne(anomalies.status, 'withdrawn'),
        lte(anomalies.firstWindow, new Date(windowStart + margin)),
        gte(anomalies.lastWindow, new Date(windowStart - margin)),
      ),
    );
}

/** Describes an anomaly's peak window: its score and explanation. */
/** The columns of an anomaly's peak: its window, the score there and the explanation. */
export function peakColumns(peak: Peak) {
  return {
    peakWindow: new Date(peak.windowStart),
    value: peak.score.value,
    expected: peak.score.expected,
    sigma: peak.score.sigma,
    z: peak.score.z,
    explanation: peak.explanation,
    sentence: peak.explanation.sentence,
  };
}

/**
 * Opens an anomaly for a window that became anomalous only in a revision (late data). It is
 * open when no later window has been scored for the metric yet, else already resolved.
 */
export async function createRevisedAnomaly(
  db: Executor,
  metricId: number,
  peak: Peak,
  status: 'open' | 'resolved',
): Promise<number> {
  const { score } = peak;
  const [created] = await db
    .insert(anomalies)
    .values({
      metricId,
      status,
      severity: score.severity ?? 'warn',
      direction: score.direction ?? (score.z < 0 ? 'down' : 'up'),
      firstWindow: new Date(peak.windowStart),
      lastWindow: new Date(peak.windowStart),
      ...peakColumns(peak),
      revisions: 1,
      revisedAt: new Date(),
    })
    .returning({ id: anomalies.id });
  if (!created) throw new Error('insert into anomalies returned no row');
  return created.id;
}

/**
 * Records a revision of an anomaly: its new extent and severity (or withdrawn when `extent` is
 * null), the new peak when it moved or changed, one more revision and when.
 */
export async function reviseAnomaly(
  db: Executor,
  anomalyId: number,
  extent: AnomalyExtent | null,
  peak: Peak | null,
): Promise<void> {
  const now = new Date();
  await db
    .update(anomalies)
    .set({
      ...(extent
        ? {
            firstWindow: new Date(extent.firstWindow),
            lastWindow: new Date(extent.lastWindow),
            severity: extent.severity,
          }
        : { status: 'withdrawn' as const }),
      ...(peak ? peakColumns(peak) : {}),
      revisions: sql`${anomalies.revisions} + 1`,
      revisedAt: now,
      updatedAt: now,
    })
    .where(eq(anomalies.id, anomalyId));
}

/**
 * The metric's hysteresis state as the detector left it before `windowStart`: its open
 * anomaly (with its count of normal windows) and, when none is open, the pending run of
 * flagged windows without an anomaly that ends at the previous window. `windowMs` is the
 * metric's window length; `consecutiveWindows` bounds how far back a run is read.
 */
export async function incidentState(
  db: Executor,
  metricId: number,
  windowStart: number,
  windowMs: number,
  consecutiveWindows: number,
): Promise<IncidentState & { openId: number | null }> {
  const [open] = await db
    .select()
    .from(anomalies)
    // An interim anomaly (db/queries/interim.ts) is settled by its window's final score.
    .where(
      and(
        eq(anomalies.metricId, metricId),
        eq(anomalies.status, 'open'),
        eq(anomalies.interim, false),
      ),
    )
    .orderBy(desc(anomalies.lastWindow))
    .limit(1);
  if (open) return openIncident(open);
  const recent = await db
    .select({
      windowStart: metricPoints.windowStart,
      z: metricPoints.z,
      status: metricPoints.status,
      anomalyId: metricPoints.anomalyId,
    })
    .from(metricPoints)
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        lt(metricPoints.windowStart, new Date(windowStart)),
        gte(metricPoints.windowStart, new Date(windowStart - consecutiveWindows * windowMs)),
      ),
    );
  return pendingIncident(
    recent.map((p) => ({ ...p, windowStart: p.windowStart.getTime() })),
    windowStart,
    windowMs,
  );
}

/** The hysteresis state of a metric with this open anomaly (see {@link incidentState}). */
export function openIncident(open: AnomalyRow): IncidentState & { openId: number | null } {
  return {
    openId: open.id,
    run: null,
    open: {
      firstWindow: open.firstWindow.getTime(),
      lastWindow: open.lastWindow.getTime(),
      peakWindow: open.peakWindow.getTime(),
      peakZ: open.z,
      severity: open.severity,
      direction: open.direction,
      normalWindows: open.normalWindows,
    },
  };
}

/**
 * The hysteresis state of a metric without an open anomaly, from its points in
 * [windowStart − consecutiveWindows·windowMs, windowStart) (see {@link incidentState}).
 */
export function pendingIncident(
  recent: readonly StoredPoint[],
  windowStart: number,
  windowMs: number,
): IncidentState & { openId: number | null } {
  return { openId: null, open: null, run: pendingRun(recent, windowStart, windowMs) };
}

/**
 * The open anomaly `incidentState` finds, of many metrics in one statement: keyed by metric id,
 * present only for metrics with one (its latest by last window, interim ones left out).
 */
export async function openAnomaliesOf(
  db: Executor,
  metricIds: readonly number[],
): Promise<Map<number, AnomalyRow>> {
  if (metricIds.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([anomalies.metricId])
    .from(anomalies)
    .where(
      and(
        sql`${anomalies.metricId} = any(${arrayLiteral(metricIds)}::int[])`,
        eq(anomalies.status, 'open'),
        eq(anomalies.interim, false),
      ),
    )
    .orderBy(asc(anomalies.metricId), desc(anomalies.lastWindow));
  return new Map(rows.map((r) => [r.metricId, r]));
}

/**
 * Starts re-scoring a metric's history from `from`: its anomalies that reach into the range are
 * withdrawn (they were computed with the old definition or rule) and its points from `from` on
 * are deleted, in one transaction. Returns the withdrawn anomalies.
 */
export async function resetMetricHistory(db: Executor, metricId: number, from: number) {
  return db.transaction(async (tx) => {
    const withdrawn = await tx
      .update(anomalies)
      .set({ status: 'withdrawn', updatedAt: new Date() })
      .where(
        and(
          eq(anomalies.metricId, metricId),
          gte(anomalies.lastWindow, new Date(from)),
          ne(anomalies.status, 'withdrawn'),
        ),
      )
      .returning({ id: anomalies.id });
    await tx
      .delete(metricPoints)
      .where(
        and(eq(metricPoints.metricId, metricId), gte(metricPoints.windowStart, new Date(from))),
      );
    return withdrawn;
  });
}

// ---- The human workflow (lib/alerts/workflow.ts decides which action is allowed when) ----

/** The part of an anomaly the workflow reads before an action. */
export interface WorkflowRow {
  status: AnomalyRow['status'];
  acknowledgedAt: Date | null;
  acknowledgedBy: number | null;
  snoozedUntil: Date | null;
  verdict: Verdict | null;
}

/**
 * The anomaly's workflow state, its row locked until `tx` ends: concurrent actions on the same
 * anomaly wait here, so the second of two identical ones sees the first and is refused.
 */
export async function lockAnomalyForAction(
  tx: Executor,
  anomalyId: number,
): Promise<WorkflowRow | undefined> {
  const [row] = await tx
    .select({
      status: anomalies.status,
      acknowledgedAt: anomalies.acknowledgedAt,
      acknowledgedBy: anomalies.acknowledgedBy,
      snoozedUntil: anomalies.snoozedUntil,
      verdict: anomalies.verdict,
    })
    .from(anomalies)
    .where(eq(anomalies.id, anomalyId))
    .for('update');
  return row;
}

/** A user's name, for messages ("Already acknowledged by alice."); null when deleted. */
export async function usernameOf(db: Executor, userId: number): Promise<string | null> {
  const [row] = await db
    .select({ username: users.username })
    .from(users)
    .where(eq(users.id, userId));
  return row?.username ?? null;
}

/** The row changes an action makes (the transition itself is checked before). */
function changesFor(request: LifecycleRequest, userId: number, at: Date): AnomalyUpdate {
  switch (request.action) {
    case 'acknowledge':
      return { acknowledgedAt: at, acknowledgedBy: userId };
    case 'unacknowledge':
      return { acknowledgedAt: null, acknowledgedBy: null };
    case 'resolve':
      return { status: 'resolved', resolvedAt: at, resolvedBy: userId };
    case 'reopen':
      // A reopened anomaly needs a fresh run of normal windows before the detector resolves it.
      return { status: 'open', resolvedAt: null, resolvedBy: null, normalWindows: 0 };
    case 'snooze':
      return { snoozedUntil: new Date(request.until) };
    case 'unsnooze':
      return { snoozedUntil: null };
    case 'mark_true_positive':
      return { verdict: 'true_positive', verdictAt: at, verdictBy: userId };
    case 'mark_false_positive':
      return { verdict: 'false_positive', verdictAt: at, verdictBy: userId };
    case 'clear_verdict':
      return { verdict: null, verdictAt: null, verdictBy: null };
  }
}

/** Stamps a person's (already allowed) action on the anomaly's row. */
export async function applyAnomalyAction(
  db: Executor,
  anomalyId: number,
  request: LifecycleRequest,
  userId: number,
  at: Date,
): Promise<void> {
  await db
    .update(anomalies)
    .set({ ...changesFor(request, userId, at), updatedAt: at })
    .where(eq(anomalies.id, anomalyId));
}

/** Appends one entry to the anomaly's audit trail. */
export async function insertAnomalyEvent(
  db: Executor,
  event: {
    anomalyId: number;
    userId: number;
    at: Date;
    action: LifecycleAction;
    detail: Record<string, unknown>;
  },
): Promise<void> {
  await db.insert(anomalyEvents).values(event);
}

function parseDetail(detail: Record<string, unknown>): {
  note: string | null;
  until: number | null;
} {
  const note = typeof detail.note === 'string' ? detail.note : null;
  const until = typeof detail.until === 'string' ? Date.parse(detail.until) : Number.NaN;
  return { note, until: Number.isFinite(until) ? until : null };
}

/** The audit trail of an anomaly, newest first, with usernames. */
export async function listAnomalyEvents(
  db: Executor,
  anomalyId: number,
  limit = 200,
): Promise<AnomalyEventView[]> {
  const rows = await db
    .select({
      id: anomalyEvents.id,
      action: anomalyEvents.action,
      at: anomalyEvents.at,
      by: users.username,
      detail: anomalyEvents.detail,
    })
    .from(anomalyEvents)
    .leftJoin(users, eq(users.id, anomalyEvents.userId))
    .where(eq(anomalyEvents.anomalyId, anomalyId))
    .orderBy(desc(anomalyEvents.at), desc(anomalyEvents.id))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    action: r.action satisfies LifecycleAction,
    at: r.at.getTime(),
    by: r.by,
    ...parseDetail(r.detail),
  }));
}

/** True when the anomaly exists (the history of a missing one is a 404, not an empty list). */
export async function anomalyExists(db: Executor, anomalyId: number): Promise<boolean> {
  const [row] = await db
    .select({ id: anomalies.id })
    .from(anomalies)
    .where(eq(anomalies.id, anomalyId));
  return row !== undefined;
}

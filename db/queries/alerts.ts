/**
 * What people do with anomalies: acknowledge, resolve, snooze, verdicts. Each action is one
 * transaction: lock the anomaly row, check the transition (lib/alerts/workflow.ts), stamp
 * who and when on the row, append an `anomaly_events` row, and NOTIFY the web tier — the
 * notice is delivered on commit, so no browser hears of an action that did not happen.
 */
import { desc, eq, sql } from 'drizzle-orm';
import {
  transitionError,
  type LifecycleAction,
  type LifecycleRequest,
} from '@/lib/alerts/workflow';
import type { AnomalyEventView, AnomalySummary } from '@/lib/views';
import type { Db } from '@/db/client';
import { anomalies, anomalyEvents, users } from '@/db/schema';
import { CHANNEL, type PulseNotice } from './notify';
import { anomalySummary } from './views';

type AnomalyUpdate = Partial<typeof anomalies.$inferInsert>;

export type ActionResult =
  | { ok: true; summary: AnomalySummary }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'conflict'; message: string };

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

/**
 * Applies one person's action to an anomaly. Concurrent actions on the same anomaly are
 * serialized by the row lock, so the second of two identical ones sees the first and is
 * refused as a conflict instead of writing twice.
 */
export async function applyLifecycleAction(
  db: Db,
  input: { anomalyId: number; userId: number; request: LifecycleRequest; now?: Date },
): Promise<ActionResult> {
  const { anomalyId, userId, request } = input;
  const outcome = await db.transaction(async (tx): Promise<ActionResult | null> => {
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
    if (!row) return { ok: false, reason: 'not_found' };

    // Read the clock after the lock: a waiting action is judged against the state it waited for.
    const at = input.now ?? new Date();
    let acknowledgedBy: string | null = null;
    if (request.action === 'acknowledge' && row.acknowledgedBy !== null) {
      const [acker] = await tx
        .select({ username: users.username })
        .from(users)
        .where(eq(users.id, row.acknowledgedBy));
      acknowledgedBy = acker?.username ?? null;
    }
    const refusal = transitionError(
      {
        status: row.status,
        acknowledgedAt: row.acknowledgedAt?.getTime() ?? null,
        acknowledgedBy,
        snoozedUntil: row.snoozedUntil?.getTime() ?? null,
        verdict: row.verdict,
      },
      request.action,
      at.getTime(),
    );
    if (refusal) return { ok: false, reason: 'conflict', message: refusal };

    await tx
      .update(anomalies)
      .set({ ...changesFor(request, userId, at), updatedAt: at })
      .where(eq(anomalies.id, anomalyId));

    const detail: Record<string, unknown> = {};
    if (request.note !== null) detail.note = request.note;
    if (request.action === 'snooze') detail.until = new Date(request.until).toISOString();
    if (
      (request.action === 'mark_true_positive' ||
        request.action === 'mark_false_positive' ||
        request.action === 'clear_verdict') &&
      row.verdict !== null
    ) {
      detail.previous = row.verdict;
    }
    await tx
      .insert(anomalyEvents)
      .values({ anomalyId, userId, at, action: request.action, detail });

    // Same contract as notify() (db/queries/notify.ts), but inside the transaction: PostgreSQL
    // delivers it at commit, after the change is visible to the relay's read.
    const notice: PulseNotice = { kind: 'anomaly', id: anomalyId };
    await tx.execute(sql`select pg_notify(${CHANNEL}, ${JSON.stringify(notice)})`);
    return null;
  });
  if (outcome) return outcome;
  const summary = await anomalySummary(db, anomalyId);
  // Deleted between the commit and the read (cascade from its metric): as good as not found.
  return summary ? { ok: true, summary } : { ok: false, reason: 'not_found' };
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
  db: Db,
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
export async function anomalyExists(db: Db, anomalyId: number): Promise<boolean> {
  const [row] = await db
    .select({ id: anomalies.id })
    .from(anomalies)
    .where(eq(anomalies.id, anomalyId));
  return row !== undefined;
}

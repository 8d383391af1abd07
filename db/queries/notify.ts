/**
 * The one NOTIFY channel: small messages (ids, not payloads) that the web tier LISTENs to and
 * turns into socket.io events after reading what changed (app/_server/live.ts `relayNotice`).
 *
 * When to send one is the writer's policy, not this module's. A change made in a transaction
 * sends its notice inside that transaction with {@link notifyInTransaction}: PostgreSQL queues a
 * NOTIFY issued in a transaction and delivers it only when the transaction commits — after the
 * change is visible to the listener's read — and drops it when the transaction rolls back, so no
 * browser hears of a change that did not happen, and no committed change goes unannounced
 * because the process died between COMMIT and a separate NOTIFY. Every writer works this way:
 * the use cases of the web process (app/_server/use-cases/) and the detector, whose scoring of
 * one window is one transaction (workers/services/detector.ts).
 */
import { sql as dsql } from 'drizzle-orm';
import type { Executor } from './executor';

export const CHANNEL = 'pulse';

export type PulseNotice =
  /** A base window was scored: the new point of every metric in it. */
  | { kind: 'window'; windowStart: number }
  /** An anomaly opened or changed (detector, or a person's action). */
  | { kind: 'anomaly'; id: number }
  /**
   * An incident's anomalies, people's stamps or notifications changed (db/queries/incidents.ts
   * `refreshIncident`).
   */
  | { kind: 'incident'; id: number }
  /** A metric's alert rule changed. */
  | { kind: 'rule'; metricId: number }
  /** A metric was created, or its definition or enabled flag changed. */
  | { kind: 'metric'; metricId: number }
  /**
   * A user's sessions or rights changed (signed out, a session revoked, the password changed,
   * disabled, deleted, or a new role): live sockets of that user check their session again and
   * the ones no longer valid, or whose role changed, are disconnected.
   */
  | { kind: 'session'; userId: number };

/**
 * Queues a notice in the transaction `tx`: delivered on commit, never for a rollback (see the
 * module comment). Called with the database instead of a transaction, it is sent at once.
 */
export async function notifyInTransaction(tx: Executor, notice: PulseNotice): Promise<void> {
  await tx.execute(dsql`select pg_notify(${CHANNEL}, ${JSON.stringify(notice)})`);
}

export function parseNotice(payload: string): PulseNotice | null {
  try {
    const value = JSON.parse(payload) as PulseNotice;
    return value && typeof value === 'object' && 'kind' in value ? value : null;
  } catch {
    return null;
  }
}

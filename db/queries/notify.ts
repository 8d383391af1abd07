/** The one NOTIFY channel: small messages (ids, not payloads) that the web tier LISTENs to. */
import type { Sql } from '../client';

export const CHANNEL = 'pulse';

export type PulseNotice =
  | { kind: 'window'; windowStart: number }
  | { kind: 'anomaly'; id: number }
  | { kind: 'rule'; metricId: number };

export async function notify(sql: Sql, notice: PulseNotice): Promise<void> {
  await sql.notify(CHANNEL, JSON.stringify(notice));
}

export function parseNotice(payload: string): PulseNotice | null {
  try {
    const value = JSON.parse(payload) as PulseNotice;
    return value && typeof value === 'object' && 'kind' in value ? value : null;
  } catch {
    return null;
  }
}

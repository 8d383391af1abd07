/** The `injections` table: incidents the simulator injected (ground truth for evaluation). */
import { and, asc, gte, lte } from 'drizzle-orm';
import { injections } from '../schema';
import type { Executor } from './executor';

export type InjectionRow = typeof injections.$inferSelect;

export async function insertInjections(
  db: Executor,
  rows: Omit<InjectionRow, 'id' | 'createdAt'>[],
): Promise<void> {
  if (rows.length > 0) await db.insert(injections).values(rows);
}

export async function listInjections(db: Executor, options: { from?: number; to?: number } = {}) {
  const conditions = [
    options.from !== undefined ? gte(injections.endsAt, new Date(options.from)) : undefined,
    options.to !== undefined ? lte(injections.startsAt, new Date(options.to)) : undefined,
  ];
  return db
    .select()
    .from(injections)
    .where(and(...conditions))
    .orderBy(asc(injections.startsAt));
}

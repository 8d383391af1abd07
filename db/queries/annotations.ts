/**
 * Annotations (db/schema/annotations.ts): written by the use cases of POST and DELETE
 * /api/annotations, read by time range for the charts and the anomaly drill-downs.
 */
import { and, desc, eq, gte, lte, sql as dsql, type SQL } from 'drizzle-orm';
import { ANNOTATION_LIMITS, type AnnotationInput } from '@/lib/annotations/annotation';
import type { AnnotationView } from '@/lib/views';
import type { Executor } from './executor';
import { annotations, apiKeys, users } from '../schema';

/** Who writes one: a signed-in user or an API key, never both (the table checks it). */
export type AnnotationWriter = { userId: number } | { apiKeyId: number };

function viewQuery(x: Executor) {
  return x
    .select({
      id: annotations.id,
      startsAt: annotations.startsAt,
      endsAt: annotations.endsAt,
      title: annotations.title,
      text: annotations.text,
      metricKeys: annotations.metricKeys,
      tags: annotations.tags,
      username: users.username,
      keyName: apiKeys.name,
      createdAt: annotations.createdAt,
    })
    .from(annotations)
    .leftJoin(users, eq(users.id, annotations.createdBy))
    .leftJoin(apiKeys, eq(apiKeys.id, annotations.apiKeyId));
}

type ViewRow = Awaited<ReturnType<typeof viewQuery>>[number];

function toView(row: ViewRow): AnnotationView {
  return {
    id: row.id,
    startsAt: row.startsAt.getTime(),
    endsAt: row.endsAt ? row.endsAt.getTime() : null,
    title: row.title,
    text: row.text,
    metrics: row.metricKeys,
    tags: row.tags,
    author:
      row.username !== null
        ? { kind: 'user', username: row.username }
        : row.keyName !== null
          ? { kind: 'api-key', name: row.keyName }
          : null,
    createdAt: row.createdAt.getTime(),
  };
}

export async function insertAnnotation(
  x: Executor,
  input: AnnotationInput & { by: AnnotationWriter; now: Date },
): Promise<AnnotationView> {
  const [row] = await x
    .insert(annotations)
    .values({
      startsAt: new Date(input.startsAt),
      endsAt: input.endsAt === null ? null : new Date(input.endsAt),
      title: input.title,
      text: input.text,
      metricKeys: input.metrics,
      tags: input.tags,
      createdBy: 'userId' in input.by ? input.by.userId : null,
      apiKeyId: 'apiKeyId' in input.by ? input.by.apiKeyId : null,
      createdAt: input.now,
    })
    .returning({ id: annotations.id });
  if (!row) throw new Error('insert into annotations returned no row');
  const created = await getAnnotation(x, row.id);
  if (!created) throw new Error('created annotation not found');
  return created;
}

export async function getAnnotation(x: Executor, id: number): Promise<AnnotationView | null> {
  const [row] = await viewQuery(x).where(eq(annotations.id, id));
  return row ? toView(row) : null;
}

/** Deletes one; false when there was none. */
export async function deleteAnnotation(x: Executor, id: number): Promise<boolean> {
  const rows = await x
    .delete(annotations)
    .where(eq(annotations.id, id))
    .returning({ id: annotations.id });
  return rows.length > 0;
}

export interface AnnotationRange {
  from: Date;
  to: Date;
  /** Only those that concern this metric: naming it, or naming none (every metric). */
  metricKey?: string | undefined;
  /** At most this many (default and ceiling: ANNOTATION_LIMITS.maxRead). */
  limit?: number;
}

/**
 * The annotations that overlap [from, to], ends included (lib/annotations/annotation.ts
 * `overlaps`): an instant inside it, a span that intersects it. Newest (latest start) first, at
 * most `limit`; `truncated` says there were more.
 *
 * A span is at most ANNOTATION_LIMITS.maxSpanMs long (the table checks it), so whatever overlaps
 * starts no earlier than `from` minus that: the bound keeps the read on the starts_at index
 * instead of every older row.
 */
export async function annotationsBetween(
  x: Executor,
  range: AnnotationRange,
): Promise<{ annotations: AnnotationView[]; truncated: boolean }> {
  const limit = Math.min(range.limit ?? ANNOTATION_LIMITS.maxRead, ANNOTATION_LIMITS.maxRead);
  const earliestStart = new Date(range.from.getTime() - ANNOTATION_LIMITS.maxSpanMs);
  const conditions: SQL[] = [
    lte(annotations.startsAt, range.to),
    gte(annotations.startsAt, earliestStart),
    dsql`coalesce(${annotations.endsAt}, ${annotations.startsAt}) >= ${range.from.toISOString()}::timestamptz`,
  ];
  if (range.metricKey !== undefined) {
    conditions.push(
      dsql`(cardinality(${annotations.metricKeys}) = 0 or ${range.metricKey} = any(${annotations.metricKeys}))`,
    );
  }
  const rows = await viewQuery(x)
    .where(and(...conditions))
    .orderBy(desc(annotations.startsAt), desc(annotations.id))
    .limit(limit + 1);
  return { annotations: rows.slice(0, limit).map(toView), truncated: rows.length > limit };
}

/**
 * Annotations: what people and services mark on the timeline (a deploy, a campaign, an outage at
 * a vendor), shown on the charts of the metrics they concern and on the anomalies they overlap.
 * Validated by lib/annotations/annotation.ts; read and written by db/queries/annotations.ts.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { apiKeys, users } from './auth';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const annotations = pgTable(
  'annotations',
  {
    id: serial('id').primaryKey(),
    startsAt: at('starts_at').notNull(),
    /** Null for an instant (a deploy); else the end of the span (a campaign, an outage). */
    endsAt: at('ends_at'),
    title: text('title').notNull(),
    /** May hold line breaks (lib/text/input.ts `multiline`); '' when none was given. */
    text: text('text').notNull().default(''),
    /** The metrics it concerns; empty: every metric. */
    metricKeys: text('metric_keys')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /**
     * Who made it: a signed-in user or an API key, exactly one when it is written. Either is set
     * to null when the user or key is deleted, so a row may come to have neither (the check
     * allows that): the annotation stays, its author shown as unknown.
     */
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    apiKeyId: integer('api_key_id').references(() => apiKeys.id, { onDelete: 'set null' }),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    // Overlap reads scan starts_at within [from − the longest span, to] (db/queries/annotations.ts),
    // which the span check below makes exact.
    index('annotations_starts_idx').on(t.startsAt),
    check(
      'annotations_span_check',
      sql`${t.endsAt} is null or (${t.endsAt} >= ${t.startsAt} and ${t.endsAt} - ${t.startsAt} <= interval '30 days')`,
    ),
    check('annotations_one_author_check', sql`num_nonnulls(${t.createdBy}, ${t.apiKeyId}) <= 1`),
  ],
);

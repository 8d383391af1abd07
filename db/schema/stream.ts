/** Tables the stream worker writes: additive rollups, per-source progress, quarantine. */
import {
  bigint,
  bigserial,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/**
 * Additive rollups per (window, event type, dimension, value, measure). dim = value = '*' is the
 * total of the type; measure = '' is the event-count row. Workers upsert deltas:
 * count = count + excluded.count, and likewise for sum, sumsq; least/greatest for min/max.
 */
export const rollups = pgTable(
  'rollups',
  {
    windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
    eventType: text('event_type').notNull(),
    dim: text('dim').notNull(),
    value: text('value').notNull(),
    measure: text('measure').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    sum: doublePrecision('sum').notNull(),
    sumsq: doublePrecision('sumsq').notNull(),
    min: doublePrecision('min').notNull(),
    max: doublePrecision('max').notNull(),
  },
  (t) => [primaryKey({ columns: [t.windowStart, t.eventType, t.dim, t.value, t.measure] })],
);

/**
 * Progress of each source partition: event-time watermark and accounting counters
 * (received = folded + quarantined), written in the same transaction as the rollups.
 * For Kafka, `next_offset` is the partition's real next offset and PostgreSQL is the source of
 * truth for it; `owner` and `generation` fence writers: a worker claims a partition by bumping
 * `generation`, and a flush only lands for partitions whose generation is still the one it
 * claimed (see workers/kafka/source.ts).
 */
export const sourcePartitions = pgTable(
  'source_partitions',
  {
    source: text('source').notNull(),
    partition: integer('partition').notNull(),
    watermark: timestamp('watermark', { withTimezone: true, mode: 'date' }),
    nextOffset: bigint('next_offset', { mode: 'number' }).notNull().default(0),
    received: bigint('received', { mode: 'number' }).notNull().default(0),
    folded: bigint('folded', { mode: 'number' }).notNull().default(0),
    quarantined: bigint('quarantined', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** The worker that claimed the partition last (host:pid:nonce); null for unfenced sources. */
    owner: text('owner'),
    /** Bumped by every claim; a flush carrying an older generation is refused. */
    generation: bigint('generation', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.source, t.partition] })],
);

/** Events that failed validation, with their reason and a bounded copy of the payload. */
export const quarantine = pgTable(
  'quarantine',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow(),
    source: text('source').notNull(),
    reason: text('reason').notNull(),
    detail: text('detail').notNull(),
    raw: text('raw').notNull(),
    rawSize: integer('raw_size').notNull(),
  },
  (t) => [index('quarantine_reason_idx').on(t.reason, t.receivedAt)],
);

/** Windows the detector has scored, so a restart neither skips nor repeats one. */
export const detectorProgress = pgTable('detector_progress', {
  id: integer('id').primaryKey().default(1),
  scoredThrough: timestamp('scored_through', { withTimezone: true, mode: 'date' }),
  windowMs: integer('window_ms').notNull(),
});

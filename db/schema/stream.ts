/**
 * Tables the stream worker writes: additive rollups, per-source progress, quarantine.
 *
 * `rollups`, `leaf_rollups` and `quarantine` (and `metric_points`, ./detection.ts) are
 * partitioned by UTC day on their time column, with a default partition (migration 0005,
 * lib/retention/partitions.ts); old days are dropped whole (db/queries/retention.ts). drizzle-orm
 * does not model partitions: these definitions are the parents' columns and keys, which is all
 * queries need, and PostgreSQL routes each row to its partition.
 */
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { users } from './auth';

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
 * The cube: additive rollups per (window, event type, leaf, measure), where a leaf is one full
 * combination of an event's dimension values, as canonical JSON with sorted keys
 * ({"device":"ios","region":"eu-west"}). Multi-dimensional root cause and filtered metrics
 * aggregate it; values beyond the cardinality limit are '(other)' here too. measure = '' is the
 * count row.
 */
export const leafRollups = pgTable(
  'leaf_rollups',
  {
    windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
    eventType: text('event_type').notNull(),
    leaf: text('leaf').notNull(),
    measure: text('measure').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    sum: doublePrecision('sum').notNull(),
    sumsq: doublePrecision('sumsq').notNull(),
  },
  (t) => [primaryKey({ columns: [t.windowStart, t.eventType, t.leaf, t.measure] })],
);

/**
 * Progress of each source partition: event-time watermark and accounting counters
 * (received = folded + quarantined), written in the same transaction as the rollups.
 * For Kafka, `next_offset` is the partition's real next offset and PostgreSQL is the source of
 * truth for it; `owner` and `generation` fence writers: a worker claims a partition by bumping
 * `generation`, and a flush only lands for partitions whose generation is still the one it
 * claimed (see workers/services/kafka-source.ts).
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
    /**
     * Folded events whose leaf-cube detail a flush's cap on leaf rows folded into '(other)'
     * (lib/stream/leaf-cap.ts): still in every total, but not in filtered metrics' slices.
     */
    leafEventsFolded: bigint('leaf_events_folded', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** The worker that claimed the partition last (host:pid:nonce); null for unfenced sources. */
    owner: text('owner'),
    /** Bumped by every claim; a flush carrying an older generation is refused. */
    generation: bigint('generation', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.source, t.partition] })],
);

/**
 * Events that failed validation, with their reason and a bounded copy of the payload.
 * Partitioned by `received_at`, whose key PostgreSQL requires in every unique constraint: the
 * primary key is (id, received_at). `id` stays unique on its own, drawn from one sequence, and
 * is what re-ingest and the health page address rows by; nothing references quarantine by key.
 */
export const quarantine = pgTable(
  'quarantine',
  {
    id: bigserial('id', { mode: 'number' }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow(),
    source: text('source').notNull(),
    reason: text('reason').notNull(),
    detail: text('detail').notNull(),
    raw: text('raw').notNull(),
    rawSize: integer('raw_size').notNull(),
    /** Source partition and record offset, where the source has them (Kafka). */
    partition: integer('partition'),
    sourceOffset: bigint('source_offset', { mode: 'number' }),
    /** Set when an admin re-ingested the event after a fix; it is then folded (or failed again). */
    reingestedAt: timestamp('reingested_at', { withTimezone: true, mode: 'date' }),
    reingestedBy: integer('reingested_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.receivedAt] }),
    index('quarantine_reason_idx').on(t.reason, t.receivedAt),
  ],
);

/**
 * Windows waiting to be scored by the detector. The detector enqueues a window when it closes
 * it (revision = false); a flush that adds data to a window already closed enqueues it again
 * (revision = true, version bumped), so late events re-score their window. Entries are deleted
 * only at the version that was scored, so a revision arriving during scoring is not lost.
 */
export const scoringQueue = pgTable(
  'scoring_queue',
  {
    windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
    /**
     * The detector shard that scores this entry's metrics (lib/detection/shards.ts): a window
     * is queued once per shard, and each shard's holder dequeues its own.
     */
    shard: integer('shard').notNull().default(0),
    revision: boolean('revision').notNull(),
    version: integer('version').notNull().default(1),
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.windowStart, t.shard] })],
);

/**
 * The latest snapshot of each worker process's Prometheus metrics (prom-client JSON), which
 * the web server aggregates into /metrics and the health page. One row per worker, overwritten:
 * not partitioned; rows of workers silent past their retention are deleted.
 */
export const workerMetrics = pgTable('worker_metrics', {
  worker: text('worker').primaryKey(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  metrics: jsonb('metrics').notNull(),
});

/** Windows the detector has scored, so a restart neither skips nor repeats one. */
export const detectorProgress = pgTable('detector_progress', {
  id: integer('id').primaryKey().default(1),
  scoredThrough: timestamp('scored_through', { withTimezone: true, mode: 'date' }),
  windowMs: integer('window_ms').notNull(),
  /** The number of detector shards windows are queued for (PULSE_DETECTOR_SHARDS). */
  shards: integer('shards').notNull().default(1),
});

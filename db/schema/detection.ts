/** Metric definitions, their alert rules, scored points, anomalies and injected incidents. */
import {
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { BASELINE_KINDS, DEFAULT_RULE, NEW_METRIC_RULE, type Explanation } from '@/lib/types';
import { users } from './auth';
import { incidents } from './notify';

export const metrics = pgTable(
  'metrics',
  {
    id: serial('id').primaryKey(),
    key: text('key').notNull().unique(),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['count', 'sum', 'avg', 'ratio'] }).notNull(),
    eventType: text('event_type').notNull(),
    measure: text('measure'),
    denominatorEventType: text('denominator_event_type'),
    /** Count metrics: further event types counted with `eventType`. */
    extraEventTypes: text('extra_event_types').array().notNull().default([]),
    /** Only events whose dimensions match: { dim: [allowed values] } (AND across dims). */
    filters: jsonb('filters').$type<Record<string, string[]>>().notNull().default({}),
    /** The metric's window is this many base windows (PULSE_WINDOW) long. */
    windowMultiple: integer('window_multiple').notNull().default(1),
    unit: text('unit').notNull().default(''),
    enabled: boolean('enabled').notNull().default(true),
    /** Alerting per value of this dimension (lib/metrics/split.ts); null: the total only. */
    splitBy: text('split_by'),
    /** How many of split_by's values get a series of their own (the rest share "other"). */
    splitTopN: integer('split_top_n'),
    /**
     * Set on a series of a split metric (a row the detector keeps; lib/metrics/split.ts): the
     * parent metric. Its definition and rule follow the parent's; deleting the parent deletes it.
     */
    parentId: integer('parent_id').references((): AnyPgColumn => metrics.id, {
      onDelete: 'cascade',
    }),
    /** The series' dimension (the parent's split_by when it was made). */
    seriesDim: text('series_dim'),
    /** The series' value of series_dim; null on the "other" series. */
    seriesValue: text('series_value'),
    /** { dim: [values] } the series does not count: the named values, on the "other" series. */
    exclude: jsonb('exclude').$type<Record<string, string[]>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    definitionUpdatedAt: timestamp('definition_updated_at', { withTimezone: true, mode: 'date' }),
    definitionUpdatedBy: integer('definition_updated_by').references(() => users.id, {
      onDelete: 'set null',
    }),
    // Alert rule, applied by the detector from the next window on. The defaults are DEFAULT_RULE's
    // (lib/types.ts), the one place that says what a new metric's rule is.
    warnZ: doublePrecision('warn_z').notNull().default(DEFAULT_RULE.warnZ),
    criticalZ: doublePrecision('critical_z').notNull().default(DEFAULT_RULE.criticalZ),
    direction: text('direction', { enum: ['up', 'down', 'both'] })
      .notNull()
      .default(DEFAULT_RULE.direction),
    minVolume: integer('min_volume').notNull().default(DEFAULT_RULE.minVolume),
    baselineWindows: integer('baseline_windows').notNull().default(DEFAULT_RULE.baselineWindows),
    /**
     * rolling: mean and σ; robust: median and MAD × 1.4826; seasonal: same slot a season ago;
     * auto: seasonal with detected_season, robust while there is none. New metrics get auto
     * (NEW_METRIC_RULE, DEFAULT_RULE otherwise).
     */
    baseline: text('baseline', { enum: BASELINE_KINDS })
      .notNull()
      .default(NEW_METRIC_RULE.baseline),
    season: text('season', { enum: ['day', 'week'] })
      .notNull()
      .default(DEFAULT_RULE.season),
    /** Floor on σ in the metric's unit (besides the window's own sampling noise). */
    sigmaFloor: doublePrecision('sigma_floor').notNull().default(DEFAULT_RULE.sigmaFloor),
    /** Anomalous windows in a row before an anomaly opens. */
    consecutiveWindows: integer('consecutive_windows')
      .notNull()
      .default(DEFAULT_RULE.consecutiveWindows),
    /** Normal windows in a row after which an open anomaly resolves itself. */
    resolveAfter: integer('resolve_after').notNull().default(DEFAULT_RULE.resolveAfter),
    ruleUpdatedAt: timestamp('rule_updated_at', { withTimezone: true, mode: 'date' }),
    ruleUpdatedBy: integer('rule_updated_by').references(() => users.id, { onDelete: 'set null' }),
    /** Set when a change asks for stored history to be re-scored from this window on. */
    rescoreFrom: timestamp('rescore_from', { withTimezone: true, mode: 'date' }),
    /**
     * The season the metric's own stored history shows (null: none), what an 'auto' baseline
     * scores with (lib/detection/auto-season.ts); decided by the detector
     * (workers/services/season-check.ts), when season_checked_at (null: never) is hours old.
     */
    detectedSeason: text('detected_season', { enum: ['day', 'week'] }),
    seasonCheckedAt: timestamp('season_checked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    // One row per series: per named value, and one "other" per parent and dimension.
    uniqueIndex('metrics_series_value_unique')
      .on(t.parentId, t.seriesDim, t.seriesValue)
      .where(sql`${t.parentId} is not null and ${t.seriesValue} is not null`),
    uniqueIndex('metrics_series_other_unique')
      .on(t.parentId, t.seriesDim)
      .where(sql`${t.parentId} is not null and ${t.seriesValue} is null`),
  ],
);

/**
 * One scored window of one metric: what the board's sparklines and charts draw. Partitioned by
 * UTC day on `window_start` (see ./stream.ts; drizzle-orm does not model partitions).
 */
export const metricPoints = pgTable(
  'metric_points',
  {
    metricId: integer('metric_id')
      .notNull()
      .references(() => metrics.id, { onDelete: 'cascade' }),
    windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
    value: doublePrecision('value'),
    expected: doublePrecision('expected'),
    sigma: doublePrecision('sigma'),
    z: doublePrecision('z'),
    volume: doublePrecision('volume').notNull(),
    status: text('status', {
      enum: ['ok', 'warn', 'critical', 'learning', 'low_volume'],
    }).notNull(),
    anomalyId: integer('anomaly_id'),
  },
  (t) => [primaryKey({ columns: [t.metricId, t.windowStart] })],
);

/**
 * One anomaly per metric and incident: consecutive anomalous windows extend the open anomaly
 * (peak z, last window) instead of opening a new one.
 */
export const anomalies = pgTable(
  'anomalies',
  {
    id: serial('id').primaryKey(),
    metricId: integer('metric_id')
      .notNull()
      .references(() => metrics.id, { onDelete: 'cascade' }),
    /** withdrawn: a revision of its windows (late data) left none of them anomalous. */
    status: text('status', { enum: ['open', 'resolved', 'withdrawn'] })
      .notNull()
      .default('open'),
    severity: text('severity', { enum: ['warn', 'critical'] }).notNull(),
    direction: text('direction', { enum: ['up', 'down'] }).notNull(),
    firstWindow: timestamp('first_window', { withTimezone: true, mode: 'date' }).notNull(),
    lastWindow: timestamp('last_window', { withTimezone: true, mode: 'date' }).notNull(),
    /** The window with the largest |z| so far; value/expected/z/explanation describe it. */
    peakWindow: timestamp('peak_window', { withTimezone: true, mode: 'date' }).notNull(),
    value: doublePrecision('value').notNull(),
    expected: doublePrecision('expected').notNull(),
    sigma: doublePrecision('sigma').notNull(),
    z: doublePrecision('z').notNull(),
    explanation: jsonb('explanation').$type<Explanation>().notNull(),
    sentence: text('sentence').notNull(),
    /** Normal windows in a row since its last anomalous one (it resolves at the rule's K). */
    normalWindows: integer('normal_windows').notNull().default(0),
    // What people did with it (each change is also in anomaly_events).
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true, mode: 'date' }),
    acknowledgedBy: integer('acknowledged_by').references(() => users.id, { onDelete: 'set null' }),
    snoozedUntil: timestamp('snoozed_until', { withTimezone: true, mode: 'date' }),
    /** Set when a person resolved it (the detector's own resolution leaves it null). */
    resolvedBy: integer('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
    verdict: text('verdict', { enum: ['true_positive', 'false_positive'] }),
    verdictBy: integer('verdict_by').references(() => users.id, { onDelete: 'set null' }),
    verdictAt: timestamp('verdict_at', { withTimezone: true, mode: 'date' }),
    /**
     * Opened from a window that had not closed yet (an interim verdict on its partial data,
     * lib/detection/interim.ts). The window's final score clears it (confirmed) or withdraws the
     * anomaly; until then the board shows it as interim.
     */
    interim: boolean('interim').notNull().default(false),
    /** When the final score of its window confirmed an interim opening; null otherwise. */
    confirmedAt: timestamp('confirmed_at', { withTimezone: true, mode: 'date' }),
    /** Times late events re-scored one of its windows and changed it; 0 if never revised. */
    revisions: integer('revisions').notNull().default(0),
    revisedAt: timestamp('revised_at', { withTimezone: true, mode: 'date' }),
    /** The incident it belongs to (lib/alerts/incidents.ts); set in the transaction it opens in. */
    incidentId: integer('incident_id').references((): AnyPgColumn => incidents.id, {
      onDelete: 'set null',
    }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('anomalies_metric_idx').on(t.metricId, t.lastWindow),
    index('anomalies_updated_idx').on(t.updatedAt),
    index('anomalies_incident_idx').on(t.incidentId),
  ],
);

/** Ground truth: every incident the simulator injected, to compare detection with. */
export const injections = pgTable('injections', {
  id: serial('id').primaryKey(),
  scenario: text('scenario').notNull(),
  metricKey: text('metric_key').notNull(),
  description: text('description').notNull(),
  rootCause: jsonb('root_cause').$type<Record<string, string>>().notNull(),
  startsAt: timestamp('starts_at', { withTimezone: true, mode: 'date' }).notNull(),
  endsAt: timestamp('ends_at', { withTimezone: true, mode: 'date' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** Audit trail of what people did with anomalies: who, when, what. */
export const anomalyEvents = pgTable(
  'anomaly_events',
  {
    id: serial('id').primaryKey(),
    anomalyId: integer('anomaly_id')
      .notNull()
      .references(() => anomalies.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    userId: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
    action: text('action', {
      enum: [
        'acknowledge',
        'unacknowledge',
        'resolve',
        'reopen',
        'snooze',
        'unsnooze',
        'mark_true_positive',
        'mark_false_positive',
        'clear_verdict',
      ],
    }).notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('anomaly_events_anomaly_idx').on(t.anomalyId, t.at)],
);

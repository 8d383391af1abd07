/**
 * Incidents and their notifications: the incidents anomalies are grouped into
 * (lib/alerts/incidents.ts), the channels, routes and silences that decide who hears of them
 * (lib/alerts/notify/), the outbox every notification is written to in the transaction of the
 * change that causes it, one delivery per channel, and every attempt at one.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { NotificationMessage } from '@/lib/alerts/notify/webhook';
import type { RouteMatch } from '@/lib/alerts/notify/routing';
import type { SilenceMatchers } from '@/lib/alerts/notify/silences';
import { users } from './auth';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * One event in the world: the anomalies (anomalies.incident_id) that are linked by time and cause
 * or definition. Every column but the id, `opened_at` and `next_check_at` is derived from its
 * anomalies and rewritten in the transaction that changes one of them (db/queries/incidents.ts
 * `refreshIncident`), so the board and the notifications read it without re-deriving.
 */
export const incidents = pgTable(
  'incidents',
  {
    id: serial('id').primaryKey(),
    /** open: some anomaly is; resolved: the last one resolved; withdrawn: all were withdrawn. */
    status: text('status', { enum: ['open', 'resolved', 'withdrawn'] })
      .notNull()
      .default('open'),
    severity: text('severity', { enum: ['warn', 'critical'] }).notNull(),
    /** "region=eu-west: Purchases −58%, Revenue −62%" (holds event data: render as text). */
    title: text('title').notNull(),
    /** The cause its anomalies share; null when none names one. */
    cause: jsonb('cause').$type<Record<string, string> | null>(),
    /** The earliest first window and the latest last window of its anomalies. */
    firstWindow: at('first_window').notNull(),
    lastWindow: at('last_window').notNull(),
    openedAt: at('opened_at').notNull().defaultNow(),
    /** Set while every open anomaly is acknowledged: the latest of those acknowledgements. */
    acknowledgedAt: at('acknowledged_at'),
    acknowledgedBy: integer('acknowledged_by').references(() => users.id, { onDelete: 'set null' }),
    /** Set while every open anomaly is snoozed: the earliest end of those snoozes. */
    snoozedUntil: at('snoozed_until'),
    resolvedAt: at('resolved_at'),
    /** When its notifications must be looked at again (group wait, reminder, a mute ending). */
    nextCheckAt: at('next_check_at'),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('incidents_last_window_idx').on(t.lastWindow),
    index('incidents_next_check_idx')
      .on(t.nextCheckAt)
      .where(sql`${t.nextCheckAt} is not null`),
    index('incidents_updated_idx').on(t.updatedAt),
  ],
);

/**
 * Where notifications go. The credentials (a webhook's URL and signing secret, Slack's webhook
 * URL, the SMTP URL) are in `secret`, which only the dispatcher reads: no query behind the API
 * selects it, so it never leaves the server after it was set. `target` is what people see of
 * the destination (a URL's origin, the recipients).
 */
export const notificationChannels = pgTable('notification_channels', {
  /** `pager`, `team-slack`: what routes name (lib/alerts/notify/fields.ts CHANNEL_ID). */
  id: text('id').primaryKey(),
  type: text('type', { enum: ['webhook', 'slack', 'email'] }).notNull(),
  /** Shown to people: the origin of a URL, or the recipients of an email channel. */
  target: text('target').notNull(),
  /** The channel's settings, credentials included (JSON of lib/alerts/notify ChannelConfig). */
  secret: jsonb('secret').$type<Record<string, unknown>>().notNull(),
  /** Receives the incidents no route takes. */
  isDefault: boolean('is_default').notNull().default(false),
  enabled: boolean('enabled').notNull().default(true),
  /** Declared in PULSE_NOTIFY_CONFIG or PULSE_WEBHOOK_URL: read-only in the browser. */
  provisioned: boolean('provisioned').notNull().default(false),
  createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: at('created_at').notNull().defaultNow(),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

/** Routing policies, tried in order (provisioned ones first, then by position). */
export const notificationRoutes = pgTable('notification_routes', {
  id: serial('id').primaryKey(),
  position: integer('position').notNull(),
  name: text('name'),
  match: jsonb('match').$type<RouteMatch>().notNull(),
  channels: jsonb('channels').$type<string[]>().notNull(),
  continue: boolean('continue').notNull().default(false),
  provisioned: boolean('provisioned').notNull().default(false),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

/** Time-bounded mutes by matcher, with who set them and why. */
export const silences = pgTable(
  'silences',
  {
    id: serial('id').primaryKey(),
    matchers: jsonb('matchers').$type<SilenceMatchers>().notNull(),
    comment: text('comment').notNull(),
    /** Who set it: a username, or the provisioning file. */
    createdBy: text('created_by').notNull(),
    startsAt: at('starts_at').notNull(),
    endsAt: at('ends_at').notNull(),
    provisioned: boolean('provisioned').notNull().default(false),
    /** The incident it was created from, if any. */
    incidentId: integer('incident_id').references(() => incidents.id, { onDelete: 'set null' }),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('silences_ends_idx').on(t.endsAt)],
);

/**
 * The outbox: one row per notification an incident is owed, written in the transaction of the
 * change that made it due (lib/alerts/notify/schedule.ts). `(incident_id, sequence)` is unique:
 * two writers racing on one incident compute the same sequence, and the second conflicts instead
 * of writing a duplicate. `message` is everything a channel renders, fixed at writing, so every
 * retry sends the same thing.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: serial('id').primaryKey(),
    /** Null for a test send from the settings page. */
    incidentId: integer('incident_id').references(() => incidents.id, { onDelete: 'cascade' }),
    sequence: integer('sequence').notNull(),
    kind: text('kind', {
      enum: ['open', 'escalate', 'remind', 'acknowledge', 'resolve', 'test'],
    }).notNull(),
    /** `pulse-<incident>-<sequence>-<kind>` (`pulse-test-<uuid>`): every attempt's Idempotency-Key. */
    key: text('key').notNull().unique(),
    severity: text('severity', { enum: ['warn', 'critical'] }).notNull(),
    message: jsonb('message').$type<NotificationMessage>().notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('notifications_incident_sequence_idx').on(t.incidentId, t.sequence)],
);

/**
 * One notification to one channel. The dispatcher claims due rows (`pending`, due now; or
 * `sending` whose lease ran out: its holder died mid-attempt), marks them `sending` with a lease,
 * and records the outcome: `delivered`, `pending` again with the next attempt's time, or `failed`
 * once the retry budget is spent or the receiver said never. `channel_id` is not a foreign key:
 * the log outlives a deleted channel.
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: serial('id').primaryKey(),
    notificationId: integer('notification_id')
      .notNull()
      .references(() => notifications.id, { onDelete: 'cascade' }),
    channelId: text('channel_id').notNull(),
    status: text('status', { enum: ['pending', 'sending', 'delivered', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at').notNull().defaultNow(),
    /** While `sending`: after this, another dispatcher may take it over. */
    leaseUntil: at('lease_until'),
    lastError: text('last_error'),
    deliveredAt: at('delivered_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('notification_deliveries_once_idx').on(t.notificationId, t.channelId),
    index('notification_deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('pending', 'sending')`),
  ],
);

/** Every attempt at a delivery: when, how long, what came back. */
export const notificationAttempts = pgTable(
  'notification_attempts',
  {
    id: serial('id').primaryKey(),
    deliveryId: integer('delivery_id')
      .notNull()
      .references(() => notificationDeliveries.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    startedAt: at('started_at').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    outcome: text('outcome', { enum: ['delivered', 'retry', 'failed'] }).notNull(),
    /** The HTTP status (or SMTP reply code) when there was one. */
    statusCode: integer('status_code'),
    error: text('error'),
  },
  (t) => [index('notification_attempts_delivery_idx').on(t.deliveryId)],
);

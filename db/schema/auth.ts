/** Users (scrypt password hashes) and sign-in sessions (only a hash of the token is stored). */
import { index, integer, pgTable, serial, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const users = pgTable('users', {
  id: serial('id').primaryKey(),
  username: text('username').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ['viewer', 'editor', 'admin'] }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  /** Set while an admin has disabled the account: it cannot sign in, its sessions are refused. */
  disabledAt: timestamp('disabled_at', { withTimezone: true, mode: 'date' }),
  /** When one of its sessions was last used (coarse: at most once a minute per session). */
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }),
});

/**
 * Sign-in sessions. The token is the cookie's secret; `id`, random, names a session in lists and
 * revocations without revealing anything of the token.
 */
export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    id: uuid('id').notNull().defaultRandom().unique(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Last request seen with it (coarse: written at most once a minute). */
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .defaultNow(),
    /** The browser's User-Agent at sign-in, cut to 200 characters; shown to tell sessions apart. */
    userAgent: text('user_agent'),
    /** The client address at sign-in (app/_server/headers.ts `clientAddress`). */
    clientAddress: text('client_address'),
  },
  (table) => [index('sessions_user_idx').on(table.userId)],
);

/**
 * API keys for machine clients of POST /api/ingest. Only the SHA-256 of a key is stored (keys
 * are 256-bit random, so a fast hash is enough); `prefix` identifies a key in the UI.
 */
export const apiKeys = pgTable('api_keys', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  prefix: text('prefix').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  revokedBy: integer('revoked_by').references(() => users.id, { onDelete: 'set null' }),
});

/**
 * Failed sign-ins, per key (`user:<name>` or `addr:<client address>`), for login throttling
 * (lib/auth/throttle.ts decides; db/queries/login-throttle.ts records). A row is forgotten once
 * its failures have decayed; a successful sign-in clears its username's and address's rows.
 */
export const loginThrottle = pgTable(
  'login_throttle',
  {
    key: text('key').primaryKey(),
    failures: integer('failures').notNull(),
    lastFailureAt: timestamp('last_failure_at', { withTimezone: true, mode: 'date' }).notNull(),
    blockedUntil: timestamp('blocked_until', { withTimezone: true, mode: 'date' }),
  },
  // Forgotten rows are deleted by age: keys sprayed with made-up usernames must not pile up.
  (t) => [index('login_throttle_last_failure_idx').on(t.lastFailureAt)],
);

/**
 * Pulse's configuration: every environment variable, its default and what it expects, validated
 * once (zod). Pure: env.ts at the top level is the one module that reads `process.env` and
 * passes it here; a bad value stops start-up with the variable's name and what it expected.
 */
import { z } from 'zod';
import { MIN_RETENTION, formatDuration, type RetentionPolicy } from '@/lib/retention/policy';
import { MAX_SHARDS } from '@/lib/detection/shards';

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses "500ms", "10s", "1m", "2h", "1d" into milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

const duration = (fallback: string, min = 1) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === null || ms < min) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration such as 500ms, 10s, 1m, 2h (at least ${min} ms), got "${text}"`,
        });
        return z.NEVER;
      }
      return ms;
    });

/** Longest retention: keeps cutoffs (now − retention) well within dates PostgreSQL reads. */
const MAX_RETENTION_MS = 36_500 * 86_400_000;

/** A retention: a duration no shorter than what detection reads back (lib/retention/policy.ts). */
const retention = (fallback: string, setting: keyof RetentionPolicy) =>
  duration(fallback).transform((ms, ctx) => {
    const least = MIN_RETENTION[setting];
    if (ms < least.ms || ms > MAX_RETENTION_MS) {
      ctx.addIssue({
        code: 'custom',
        message:
          ms < least.ms
            ? `expected at least ${formatDuration(least.ms)} (${least.why}), got ${formatDuration(ms)}`
            : `expected at most ${formatDuration(MAX_RETENTION_MS)} (100 years), got ${formatDuration(ms)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

const int = (fallback: number, min: number, max: number) =>
  z.coerce
    .number({ error: 'expected a number' })
    .int({ error: 'expected an integer' })
    .min(min, { error: `expected at least ${min}` })
    .max(max, { error: `expected at most ${max}` })
    .default(fallback);

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, { error: 'expected a postgres:// or postgresql:// URL' })
        .optional(),
    ),
    PULSE_DATA_DIR: z.string().default('.data'),
    PULSE_PG_PORT: int(54329, 1024, 65535),
    HOST: z.string().default('127.0.0.1'),
    PORT: int(3000, 1, 65535),
    PULSE_ADMIN_PASSWORD: optionalString.pipe(
      z.string().min(8, { error: 'expected at least 8 characters' }).optional(),
    ),
    PULSE_SESSION_TTL: duration('7d', 60_000),
    PULSE_PUBLIC_URL: optionalString.pipe(
      z
        .string()
        .regex(/^https?:\/\/[^/?#\s]+$/, {
          error: 'expected the origin browsers use, such as https://pulse.example.com (no path)',
        })
        .optional(),
    ),
    PULSE_NOTIFY_CONFIG: optionalString,
    PULSE_WEBHOOK_URL: optionalString.pipe(
      z
        .string()
        .regex(/^https?:\/\/[^\s]+$/, { error: 'expected an http(s) URL' })
        .optional(),
    ),
    PULSE_WEBHOOK_SECRET: optionalString.pipe(
      z.string().min(16, { error: 'expected a secret of at least 16 characters' }).optional(),
    ),
    PULSE_NOTIFY_GROUP_WAIT: duration('30s', 0),
    PULSE_NOTIFY_REPEAT_INTERVAL: duration('4h', 0),
    PULSE_TRUST_PROXY: z
      .enum(['true', 'false'], { error: 'expected true or false' })
      .default('false')
      .transform((v) => v === 'true'),
    PULSE_HTTP_HEADERS_TIMEOUT: duration('10s', 1000),
    PULSE_HTTP_REQUEST_TIMEOUT: duration('30s', 1000),
    PULSE_HTTP_IDLE_TIMEOUT: duration('30s', 1000),
    PULSE_HTTP_MAX_CONNECTIONS: int(10_000, 10, 1_000_000),
    PULSE_SOCKET_MAX_ROOMS: int(32, 2, 10_000),
    PULSE_WINDOW: duration('1m', 1000),
    PULSE_OUT_OF_ORDER: duration('2s', 0),
    PULSE_FLUSH_INTERVAL: duration('1s', 50),
    PULSE_MAX_VALUES_PER_DIM: int(200, 2, 100_000),
    PULSE_ALLOWED_LATENESS: duration('1m', 0),
    PULSE_IDLE_TIMEOUT: duration('30s', 1000),
    PULSE_INGEST_MAX_BYTES: int(1_048_576, 1024, 104_857_600),
    PULSE_INGEST_MAX_PENDING: int(100_000, 100, 10_000_000),
    PULSE_INSTANCE: int(0, 0, 1023),
    PULSE_RETAIN_ROLLUPS: retention('90d', 'rollupsMs'),
    PULSE_RETAIN_LEAF_CUBE: retention('7d', 'leafCubeMs'),
    PULSE_RETAIN_POINTS: retention('90d', 'pointsMs'),
    PULSE_RETAIN_QUARANTINE: retention('14d', 'quarantineMs'),
    PULSE_RETAIN_WORKER_METRICS: retention('10m', 'workerMetricsMs'),
    KAFKA_BROKERS: optionalString.pipe(
      z
        .string()
        .regex(/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, {
          error: 'expected host:port[,host:port…]',
        })
        .optional(),
    ),
    KAFKA_TOPIC: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,249}$/, { error: 'expected a Kafka topic name' })
      .default('pulse-events'),
    KAFKA_GROUP_ID: z.string().min(1).max(255).default('pulse-workers'),
    KAFKA_CLIENT_ID: z.string().min(1).max(255).default('pulse'),
    KAFKA_SESSION_TIMEOUT: duration('30s', 3000),
    KAFKA_FROM_BEGINNING: z
      .enum(['true', 'false'], { error: 'expected true or false' })
      .default('true')
      .transform((v) => v === 'true'),
    KAFKA_PREFETCH: z
      .enum(['on', 'off'], { error: 'expected on or off' })
      .default('on')
      .transform((v) => v === 'on'),
    PULSE_DETECTOR: z
      .enum(['on', 'off'], { error: 'expected on or off' })
      .default('on')
      .transform((v) => v === 'on'),
    PULSE_DETECTOR_SHARDS: int(1, 1, MAX_SHARDS),
    PULSE_SIM_RATE: int(1000, 1, 1_000_000),
    PULSE_SIM_SEED: int(42, 0, 2 ** 31 - 1),
    PULSE_SIM_BACKFILL: duration('30m', 0),
    PULSE_SIM_SCENARIOS: z
      .string()
      .default('purchase_drop_eu_west,latency_search_android,error_burst_app_version')
      .transform((text) =>
        text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    PULSE_SIM_FIRST_INCIDENT: duration('2m', 0),
    PULSE_SIM_INCIDENT_DURATION: duration('5m', 1000),
    PULSE_SIM_INCIDENT_GAP: duration('10m', 0),
  })
  .superRefine((env, ctx) => {
    if ((env.PULSE_WEBHOOK_URL === undefined) !== (env.PULSE_WEBHOOK_SECRET === undefined)) {
      const missing =
        env.PULSE_WEBHOOK_URL === undefined ? 'PULSE_WEBHOOK_URL' : 'PULSE_WEBHOOK_SECRET';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message:
          'expected PULSE_WEBHOOK_URL and PULSE_WEBHOOK_SECRET together (the secret signs every message)',
      });
    }
  })
  .transform((env) => ({
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.PULSE_DATA_DIR,
    embeddedPgPort: env.PULSE_PG_PORT,
    host: env.HOST,
    port: env.PORT,
    adminPassword: env.PULSE_ADMIN_PASSWORD,
    sessionTtlMs: env.PULSE_SESSION_TTL,
    /**
     * The origin browsers reach Pulse at, when it differs from what the server sees (behind a
     * TLS-terminating proxy): mutations and socket handshakes must come from it.
     */
    publicUrl: env.PULSE_PUBLIC_URL ? new URL(env.PULSE_PUBLIC_URL).origin : undefined,
    /** Notifications (lib/alerts/notify/): provisioning and the schedule. */
    notify: {
      /** The origin of links in messages: PULSE_PUBLIC_URL, else the server's own address. */
      publicUrl: env.PULSE_PUBLIC_URL
        ? new URL(env.PULSE_PUBLIC_URL).origin
        : `http://${['0.0.0.0', '::', ''].includes(env.HOST) ? 'localhost' : env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${env.PORT}`,
      /** The provisioning file (YAML or JSON), applied at start; undefined: none. */
      configFile: env.PULSE_NOTIFY_CONFIG,
      /** The shortcut: one webhook channel that receives every incident. */
      webhook:
        env.PULSE_WEBHOOK_URL && env.PULSE_WEBHOOK_SECRET
          ? { url: env.PULSE_WEBHOOK_URL, secret: env.PULSE_WEBHOOK_SECRET }
          : null,
      /** Wait after an incident opens before announcing it; remind this often (0: never). */
      schedule: {
        groupWaitMs: env.PULSE_NOTIFY_GROUP_WAIT,
        repeatIntervalMs: env.PULSE_NOTIFY_REPEAT_INTERVAL,
      },
    },
    /** Whether X-Forwarded-For and X-Forwarded-Proto come from a proxy we trust. */
    trustProxy: env.PULSE_TRUST_PROXY,
    /** The web server's limits against slow and greedy clients (server.ts). */
    http: {
      /** Time to receive a request's headers. */
      headersTimeoutMs: env.PULSE_HTTP_HEADERS_TIMEOUT,
      /** Time to receive a whole request, body included. */
      requestTimeoutMs: env.PULSE_HTTP_REQUEST_TIMEOUT,
      /** A connection that sends and receives nothing this long is closed (slow bodies too). */
      idleTimeoutMs: env.PULSE_HTTP_IDLE_TIMEOUT,
      /** Concurrent TCP connections (browsers' sockets included); beyond, new ones are closed. */
      maxConnections: env.PULSE_HTTP_MAX_CONNECTIONS,
      /** Rooms one socket.io connection may join. */
      socketMaxRooms: env.PULSE_SOCKET_MAX_ROOMS,
    },
    windowMs: env.PULSE_WINDOW,
    outOfOrderMs: env.PULSE_OUT_OF_ORDER,
    flushIntervalMs: env.PULSE_FLUSH_INTERVAL,
    maxValuesPerDim: env.PULSE_MAX_VALUES_PER_DIM,
    /**
     * How long after a window's end (in event time) a late event still revises it; the window
     * is then re-scored. Later events are quarantined as 'late'.
     */
    allowedLatenessMs: env.PULSE_ALLOWED_LATENESS,
    /** A partition that delivered nothing for this long no longer holds the global watermark. */
    idleTimeoutMs: env.PULSE_IDLE_TIMEOUT,
    /** POST /api/ingest: largest body accepted (413 beyond), events pending before 429. */
    ingest: {
      maxBodyBytes: env.PULSE_INGEST_MAX_BYTES,
      maxPendingEvents: env.PULSE_INGEST_MAX_PENDING,
      /**
       * This web instance's number: it ingests through source partition http/<instance>, so
       * instances with different numbers ingest side by side (two with the same one fence
       * each other: the newer serves /api/ingest, the older answers 503).
       */
      instance: env.PULSE_INSTANCE,
    },
    /**
     * How long history is kept (lib/retention/policy.ts): day partitions are dropped once past
     * it, stale worker snapshots deleted. Anomalies and their audit trail are always kept.
     */
    retention: {
      rollupsMs: env.PULSE_RETAIN_ROLLUPS,
      leafCubeMs: env.PULSE_RETAIN_LEAF_CUBE,
      pointsMs: env.PULSE_RETAIN_POINTS,
      quarantineMs: env.PULSE_RETAIN_QUARANTINE,
      workerMetricsMs: env.PULSE_RETAIN_WORKER_METRICS,
    } satisfies RetentionPolicy,
    /** Whether stream workers run the detector (off: ingest only, e.g. in ingest tests). */
    detector: env.PULSE_DETECTOR,
    /**
     * Metrics are split into this many shards, each scored by one worker at a time; workers
     * share the shards evenly (workers/services/detector.ts). Every worker must agree.
     */
    detectorShards: env.PULSE_DETECTOR_SHARDS,
    /** Set when KAFKA_BROKERS is: the stream workers consume Kafka instead of the simulator. */
    kafka: env.KAFKA_BROKERS
      ? {
          brokers: env.KAFKA_BROKERS.split(','),
          topic: env.KAFKA_TOPIC,
          groupId: env.KAFKA_GROUP_ID,
          clientId: env.KAFKA_CLIENT_ID,
          fromBeginning: env.KAFKA_FROM_BEGINNING,
          /** A member silent this long leaves the group; heartbeats go at a third of it. */
          sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT,
          /** Fold one fetch response while the next is fetched (workers/services/kafka-source.ts). */
          prefetch: env.KAFKA_PREFETCH,
        }
      : null,
    simulator: {
      ratePerSec: env.PULSE_SIM_RATE,
      seed: env.PULSE_SIM_SEED,
      backfillMs: env.PULSE_SIM_BACKFILL,
      scenarios: env.PULSE_SIM_SCENARIOS,
      firstIncidentMs: env.PULSE_SIM_FIRST_INCIDENT,
      incidentDurationMs: env.PULSE_SIM_INCIDENT_DURATION,
      incidentGapMs: env.PULSE_SIM_INCIDENT_GAP,
    },
  }));

export type Config = z.output<typeof schema>;

/** Names of every variable Pulse reads, for documentation checks. */
export const CONFIG_VARIABLES = Object.keys(schema.in.shape);

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates an environment. Throws ConfigError naming each bad variable and what it expected. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
  );
}

/**
 * The notifier: the dispatcher that delivers the outbox (db/queries/outbox.ts writes it in the
 * transaction of the change that causes a notification). Several workers may run it; only the
 * holder of a PostgreSQL advisory lock works, so one process sends.
 *
 * While leader, every poll (and whenever an `incident` notice arrives on the `pulse` channel,
 * or an attempt ends and frees a slot) it:
 *
 * 1. **sweeps** the incidents due a look (group wait over, a reminder due, a mute ended:
 *    `incidentsDueCheck`), refreshing each in a transaction of its own, which writes the
 *    notifications now owed;
 * 2. **claims** due deliveries (db/queries/deliveries.ts: `FOR UPDATE SKIP LOCKED`, a lease
 *    per attempt) up to its free slots — at most `perChannel` in flight per channel and
 *    `maxInFlight` in all — and starts each attempt without waiting for it. A slow receiver
 *    therefore holds its own channel's slots only: the other channels go on being claimed and
 *    sent at the next poll.
 *
 * Each attempt ends within its timeout, and its outcome is judged by lib/alerts/notify/retry.ts
 * (`nextStep`: delivered, retried with exponential backoff, or failed) and recorded with the
 * attempt in one transaction. At least once: a worker that dies mid-attempt leaves the delivery
 * `sending` until its lease runs out, and the next claim sends it again with the same
 * Idempotency-Key, which receivers dedupe on.
 */
import { performance } from 'node:perf_hooks';
import {
  DEFAULT_RETRY_POLICY,
  nextStep,
  type NextStep,
  type RetryPolicy,
} from '@/lib/alerts/notify/retry';
import type { Logger } from '@/lib/observability/log';
import type { DeliveryOutcome, Telemetry } from '@/lib/observability/telemetry';
import type { Db, Sql } from '@/db/client';
import {
  claimDeliveries,
  recordAttempt,
  type AttemptRecord,
  type ClaimedDelivery,
} from '@/db/queries/deliveries';
import { leaderLock } from '@/db/leader-lock';
import { incidentsDueCheck, refreshIncident, type IncidentSettings } from '@/db/queries/incidents';
import { CHANNEL, parseNotice } from '@/db/queries/notify';
import { sendDelivery } from './transports';

/** Arbitrary constant naming the notifier's advisory lock (the detector's is "puls"). */
const NOTIFIER_LOCK = 0x6e746679; // "ntfy"

export const NOTIFIER_DEFAULTS = {
  pollMs: 500,
  /** One attempt's timeout. */
  timeoutMs: 10_000,
  /** Added to the timeout for a claim's lease: time to record the outcome. */
  leaseMarginMs: 5_000,
  perChannel: 4,
  maxInFlight: 32,
  /** How long stop() lets attempts in flight finish before aborting them. */
  stopWaitMs: 3_000,
} as const;

export interface NotifierOptions {
  db: Db;
  /** For the leader lock (a reserved connection) and LISTEN. */
  sql: Sql;
  log: Logger;
  /** Counts deliveries by channel and outcome (`pulse_notification_deliveries_total`). */
  telemetry?: Telemetry;
  pollMs?: number;
  timeoutMs?: number;
  leaseMarginMs?: number;
  perChannel?: number;
  maxInFlight?: number;
  stopWaitMs?: number;
  policy?: RetryPolicy;
  /** Uniform in [0, 1): the backoff's jitter. */
  random?: () => number;
  /** Clock (epoch ms) for claims, leases, retries and the sweep. */
  now?: () => number;
  /** Wake on `incident` notices (LISTEN pulse). Default true. */
  listen?: boolean;
  /** What the sweep's refreshes need (the detector's settings). */
  incidents: IncidentSettings;
}

/** What one pass did. */
export interface NotifierTick {
  leader: boolean;
  /** Incidents refreshed by the sweep. */
  swept: number;
  /** Attempts started. */
  started: number;
}

export interface Notifier {
  /** One pass (sweep, claim, start attempts); attempts go on after it returns. */
  tick(): Promise<NotifierTick>;
  /** Starts polling (and listening). */
  start(): void;
  /** Whether this process holds the notifier's lock. */
  isLeader(): boolean;
  /** Attempts in flight now. */
  inFlight(): number;
  /**
   * Stops polling, lets attempts in flight finish for up to `stopWaitMs`, aborts the rest (each
   * recorded as a retry), and releases the lock.
   */
  stop(): Promise<void>;
}

/** Creates a notifier and starts it. */
export function startNotifier(options: NotifierOptions): Notifier {
  const notifier = createNotifier(options);
  notifier.start();
  return notifier;
}

/** A wait of `ms` that `wake()` cuts short; a wake while not waiting makes the next wait none. */
function wakeable() {
  let pending = false;
  let cut: (() => void) | null = null;
  return {
    wake() {
      if (cut) cut();
      else pending = true;
    },
    wait(ms: number): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          cut = null;
          resolve();
        }
        cut = done;
      });
    },
  };
}

/** Resolves when `promise` settles or after `ms`, whichever is first. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}

const OUTCOME: Record<NextStep['action'], DeliveryOutcome> = {
  delivered: 'delivered',
  retry: 'retry',
  fail: 'failed',
};

/** Creates a notifier without starting it (tests call `tick`). */
export function createNotifier(options: NotifierOptions): Notifier {
  const { db, sql, log, telemetry } = options;
  const settings = { ...NOTIFIER_DEFAULTS, ...definedOnly(options) };
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const leaseMs = settings.timeoutMs + settings.leaseMarginMs;

  const stopping = new AbortController();
  const wakeup = wakeable();
  /** Attempts in flight, by delivery id; and how many per channel. */
  const attempts = new Map<number, Promise<void>>();
  const perChannel = new Map<string, number>();
  const leader = leaderLock(sql, NOTIFIER_LOCK, () =>
    log.info('this worker is now the notification dispatcher'),
  );
  let stopped = false;
  let loop: Promise<void> = Promise.resolve();
  let listening: Promise<void> = Promise.resolve();
  let unlisten: (() => Promise<void>) | null = null;

  /** Refreshes every incident due a look, each in its own transaction. */
  async function sweep(): Promise<number> {
    const at = new Date(now());
    let swept = 0;
    for (const id of await incidentsDueCheck(db, at)) {
      if (stopped) break;
      try {
        await db.transaction((tx) => refreshIncident(tx, id, options.incidents, at));
        swept++;
      } catch (error) {
        log.warn({ err: error, incidentId: id }, 'could not refresh a due incident; retrying');
      }
    }
    return swept;
  }

  /** Claims what the free slots allow and starts those attempts. */
  async function claimAndStart(): Promise<number> {
    const free = settings.maxInFlight - attempts.size;
    if (free <= 0 || stopped) return 0;
    const { claimed, refused, takenOver } = await claimDeliveries(db, {
      now: new Date(now()),
      leaseMs,
      limit: free,
      perChannel: settings.perChannel,
      inFlight: perChannel,
    });
    for (const r of refused) {
      telemetry?.countDelivery(r.channelId, 'failed');
      log.warn({ deliveryId: r.id, channel: r.channelId }, `notification not sent: ${r.reason}`);
    }
    if (takenOver > 0) {
      log.warn(
        { deliveries: takenOver },
        'took over attempts a stopped dispatcher left unfinished',
      );
    }
    for (const delivery of claimed) start(delivery);
    return claimed.length;
  }

  /** Starts one attempt, tracked until its outcome is recorded. */
  function start(delivery: ClaimedDelivery): void {
    const channel = delivery.channelId;
    perChannel.set(channel, (perChannel.get(channel) ?? 0) + 1);
    const attempt = attemptOnce(delivery)
      .catch((error: unknown) =>
        log.error({ err: error, deliveryId: delivery.id }, 'delivery attempt failed unexpectedly'),
      )
      .finally(() => {
        attempts.delete(delivery.id);
        const left = (perChannel.get(channel) ?? 1) - 1;
        if (left > 0) perChannel.set(channel, left);
        else perChannel.delete(channel);
        wakeup.wake(); // a slot is free; a retry may be due soon
      });
    attempts.set(delivery.id, attempt);
  }

  /** Sends, judges and records one attempt. */
  async function attemptOnce(delivery: ClaimedDelivery): Promise<void> {
    const startedAt = new Date(now());
    const clock = performance.now();
    const { result, statusCode } = await sendDelivery(delivery, {
      timeoutMs: settings.timeoutMs,
      stop: stopping.signal,
    });
    const latencyMs = performance.now() - clock;
    const at = now();
    const step = nextStep(result, {
      attempt: delivery.attempt,
      createdAt: delivery.createdAt.getTime(),
      now: at,
      policy,
      random,
    });
    await record({
      deliveryId: delivery.id,
      attempt: delivery.attempt,
      startedAt,
      latencyMs,
      statusCode,
      error: step.action === 'delivered' ? null : step.reason,
      step,
      now: new Date(at),
    });
    telemetry?.countDelivery(delivery.channelId, OUTCOME[step.action], latencyMs / 1000);
    const fields = {
      deliveryId: delivery.id,
      channel: delivery.channelId,
      key: delivery.key,
      attempt: delivery.attempt,
      latencyMs: Math.round(latencyMs),
    };
    if (step.action === 'delivered') log.debug(fields, 'notification delivered');
    else if (step.action === 'retry') {
      log.info(
        { ...fields, retryAt: new Date(step.at).toISOString() },
        `delivery will be retried: ${step.reason}`,
      );
    } else log.warn(fields, `notification delivery failed: ${step.reason}`);
  }

  /**
   * Records an attempt, trying again briefly if PostgreSQL blinks. If it cannot, the lease runs
   * out and the delivery is sent again (same key): at least once, never lost.
   */
  async function record(attempt: AttemptRecord): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        const applied = await recordAttempt(db, attempt);
        if (!applied) {
          log.warn(
            { deliveryId: attempt.deliveryId, attempt: attempt.attempt },
            'an attempt outlived its lease; another claim took the delivery over',
          );
        }
        return;
      } catch (error) {
        if (i >= 2) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** i));
      }
    }
  }

  async function tick(): Promise<NotifierTick> {
    if (stopped || !(await leader.ensure())) return { leader: false, swept: 0, started: 0 };
    const swept = await sweep();
    const started = await claimAndStart();
    return { leader: true, swept, started };
  }

  async function listen(): Promise<void> {
    if (options.listen === false) return;
    try {
      const listener = await sql.listen(CHANNEL, (payload) => {
        // A refreshed incident may have written notifications: claim them now, not at the poll.
        if (parseNotice(payload)?.kind === 'incident') wakeup.wake();
      });
      unlisten = () => listener.unlisten();
    } catch (error) {
      log.warn({ err: error }, 'could not LISTEN for notices; polling only');
    }
  }

  return {
    tick,
    isLeader: () => leader.isLeader(),
    inFlight: () => attempts.size,
    start() {
      listening = listen();
      loop = (async () => {
        while (!stopped) {
          try {
            await tick();
          } catch (error) {
            log.warn({ err: error }, 'notifier pass failed; retrying');
          }
          await wakeup.wait(settings.pollMs);
        }
      })();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      wakeup.wake();
      // Bounded like the rest of stopping: a pass stuck on a connection PostgreSQL dropped must
      // not hold the worker's exit (the supervisor and Kafka's group wait on it).
      await settleWithin(loop, settings.stopWaitMs);
      const all = () => Promise.allSettled([...attempts.values()]);
      await settleWithin(all(), settings.stopWaitMs);
      if (attempts.size > 0) {
        // Cut short: each is recorded as a retry, so another dispatcher sends it soon.
        stopping.abort();
        await settleWithin(all(), 2_000);
      }
      await settleWithin(listening, 1_000);
      if (unlisten) await settleWithin(unlisten(), 1_000);
      await leader.release();
    },
  };
}

/** The options that were given (an explicit undefined does not override a default). */
function definedOnly(options: NotifierOptions) {
  const picked: Partial<Record<keyof typeof NOTIFIER_DEFAULTS, number>> = {};
  for (const key of Object.keys(NOTIFIER_DEFAULTS) as (keyof typeof NOTIFIER_DEFAULTS)[]) {
    const value = options[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

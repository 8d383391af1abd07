/**
 * Use case: an admin sends a test notification to a channel and sees what became of it. The
 * test is written to the outbox like any notification (kind `test`, a sample incident, its own
 * idempotency key) and the dispatcher in the worker delivers it; this waits for its first
 * attempt (polling the delivery's attempts) and answers its outcome: delivered, the error or
 * status, the latency. When no worker took it within the wait, it is withdrawn (a worker
 * started later must not send a stale test) and the answer says so.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '@/lib/errors';
import { credentialsOf, maskCredentials } from '@/lib/alerts/notify/credentials';
import {
  testMessage,
  testSendSentence,
  type TestSendResult,
} from '@/lib/alerts/notify/settings-view';
import { writeTestNotification } from '@/db/queries/outbox';
import {
  channelForChange,
  firstAttempt,
  withdrawUntakenTest,
  type FirstAttempt,
} from '@/db/queries/notify-settings';
import type { NotifyActor, NotifyDeps } from './notify-admin';

/** How long a test send waits for the dispatcher's first attempt. */
export const TEST_WAIT_MS = 15_000;
const POLL_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function testChannel(
  deps: NotifyDeps & {
    /** The origin links in messages point at (config.notify.publicUrl). */
    publicUrl: string;
    /** How long to wait for the first attempt; tests shorten it. */
    waitMs?: number;
    pollMs?: number;
  },
  input: { actor: NotifyActor; id: string },
): Promise<TestSendResult> {
  const waitMs = deps.waitMs ?? TEST_WAIT_MS;
  const pollMs = deps.pollMs ?? POLL_MS;
  const channel = await channelForChange(deps.db, input.id);
  if (!channel) throw new NotFoundError('No such channel.');

  const started = deps.now();
  const key = `pulse-test-${randomUUID()}`;
  const ids = await deps.db.transaction((tx) =>
    writeTestNotification(tx, {
      key,
      channelId: channel.id,
      message: testMessage(key, started, deps.publicUrl),
      now: new Date(started),
    }),
  );

  const deadline = Date.now() + waitMs;
  let attempt: FirstAttempt | null = null;
  for (;;) {
    attempt = await firstAttempt(deps.db, ids.deliveryId);
    if (attempt || Date.now() >= deadline) break;
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
  let withdrawn = false;
  if (!attempt) {
    withdrawn = await deps.db.transaction((tx) => withdrawUntakenTest(tx, ids));
    // Taken meanwhile: its attempt may have just been recorded.
    if (!withdrawn) attempt = await firstAttempt(deps.db, ids.deliveryId);
  }

  const outcome: Omit<TestSendResult, 'message'> = attempt
    ? {
        outcome: attempt.outcome,
        statusCode: attempt.statusCode,
        latencyMs: attempt.latencyMs,
        error:
          attempt.error === null
            ? null
            : maskCredentials(attempt.error, credentialsOf(channel.config)),
      }
    : { outcome: 'timeout', statusCode: null, latencyMs: null, error: null };
  const message =
    !attempt && !withdrawn
      ? `A worker took it but had not finished within ${Math.ceil(waitMs / 1000)} s: see the channel's last delivery.`
      : testSendSentence(outcome, waitMs);
  deps.log.info(
    {
      channel: channel.id,
      by: input.actor.username,
      key,
      outcome: outcome.outcome,
      status: outcome.statusCode,
      latencyMs: outcome.latencyMs,
    },
    'test notification',
  );
  return { ...outcome, message };
}

/**
 * At least once, through a crash: a dispatcher process SIGKILLed while a receiver holds its
 * request open loses nothing. The next dispatcher takes the delivery over when its lease runs
 * out and delivers it; every request carries the same Idempotency-Key (a duplicate is only ever
 * a retry the receiver can dedupe), and the attempt that died is in the log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifySignature } from '@/lib/alerts/notify/signature';
import { deliveryResult, type DeliveryDetail } from '@/db/queries/deliveries';
import { putChannel, queueNotification } from '@/db/testing/outbox';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { startHttpReceiver, type HttpReceiver } from '@/workers/testing/notify-peers';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET = 'webhook-signing-secret-0123456789';
/** A short attempt timeout and lease, so the takeover comes within seconds. */
const CHILD_OPTIONS = {
  pollMs: 50,
  timeoutMs: 3000,
  leaseMarginMs: 500,
  policy: {
    maxAttempts: 10,
    maxAgeMs: 60_000,
    baseDelayMs: 50,
    maxDelayMs: 200,
    maxRetryAfterMs: 1000,
  },
};

let t: TestDatabase;
let receiver: HttpReceiver;
const children: ChildProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await receiver?.stop();
  await t.drop();
});

/** Starts a dispatcher process; resolves once it holds the lock. */
async function startDispatcher(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'workers/testing/notifier-child.ts', t.url, JSON.stringify(CHILD_OPTIONS)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) if (line === 'leader') break;
  return child;
}

it('a dispatcher SIGKILLed mid-delivery: delivered after restart, the same key on every request', async () => {
  // The first request is held open, as a receiver that is slow to answer would; later ones
  // are answered at once.
  receiver = await startHttpReceiver({
    reply: () => (receiver.requests.length === 1 ? 'hold' : { status: 200 }),
  });
  await putChannel(t.db, 'hook', {
    type: 'webhook',
    url: `${receiver.origin}/hook`,
    secret: SECRET,
  });
  const q = await queueNotification(t.db, 'hook');

  const first = await startDispatcher();
  await receiver.waitForRequests(1);
  first.kill('SIGKILL');
  await once(first, 'exit');
  expect(await deliveryResult(t.db, q.deliveryId)).toMatchObject({
    status: 'sending',
    attempts: 1,
  });

  const second = await startDispatcher();
  let done: DeliveryDetail | null = null;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    done = await deliveryResult(t.db, q.deliveryId);
    if (done?.status === 'delivered') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(done).toMatchObject({ status: 'delivered', attempts: 2 });
  expect(done!.attemptLog.map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([
    [1, 'retry', null],
    [2, 'delivered', 200],
  ]);
  expect(done!.attemptLog[0]!.error).toContain('stopped before it finished');

  expect(receiver.requests).toHaveLength(2);
  for (const request of receiver.requests) {
    expect(request.headers['idempotency-key']).toBe(q.key);
    expect(request.body).toBe(receiver.requests[0]!.body);
    expect(
      verifySignature(request.body, SECRET, request.headers['x-pulse-signature'] as string),
    ).toBe(true);
  }

  // A clean stop releases the lock and exits 0.
  second.kill('SIGTERM');
  const [code] = await once(second, 'exit');
  expect(code).toBe(0);
});

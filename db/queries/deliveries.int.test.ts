/**
 * The dispatcher's queries against a real PostgreSQL: what a claim takes (due rows only, each
 * once across dispatchers, within the per-channel and overall caps, expired leases taken over
 * with the lost attempt logged, unusable channels failed), recording an attempt with its
 * outcome (and not over a delivery taken over since), and the read models — without a
 * credential in any of them.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '@/db/client';
import { putChannel, queueNotification, testMessage } from '@/db/testing/outbox';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  incidents,
  notificationAttempts,
  notificationChannels,
  notificationDeliveries,
  notifications,
} from '../schema';
import {
  channelHealth,
  claimDeliveries,
  deliveryResult,
  incidentDeliveryLog,
  notificationHealth,
  outboxDepth,
  recordAttempt,
  type ClaimOptions,
} from './deliveries';
import { writeNotification } from './outbox';

let t: TestDatabase;
let other: DbHandle;
const SECRET = 'hook-signing-secret-0123456789';
const TOKEN = 'T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX';

beforeAll(async () => {
  t = await createTestDatabase();
  other = createDb(t.url, { max: 2, appName: 'pulse-test-other' });
});
afterAll(async () => {
  await other.close();
  await t.drop();
});
beforeEach(async () => {
  await t.db.delete(notifications);
  await t.db.delete(notificationChannels);
  await putChannel(t.db, 'hook', {
    type: 'webhook',
    url: 'https://hooks.example.com/in',
    secret: SECRET,
  });
  await putChannel(t.db, 'slack', {
    type: 'slack',
    webhookUrl: `https://hooks.slack.com/services/${TOKEN}`,
  });
});

const claim = (now: Date, over: Partial<ClaimOptions> = {}) =>
  claimDeliveries(t.db, { now, leaseMs: 10_000, limit: 32, perChannel: 4, ...over });

const deliveryRow = async (id: number) =>
  (await t.db.select().from(notificationDeliveries).where(eq(notificationDeliveries.id, id)))[0]!;

describe('claimDeliveries', () => {
  it('takes due deliveries, oldest first, marks them sending with a lease and counts the attempt', async () => {
    const now = new Date();
    const a = await queueNotification(t.db, 'hook', { dueAt: new Date(now.getTime() - 2000) });
    const b = await queueNotification(t.db, 'slack', { dueAt: new Date(now.getTime() - 1000) });
    await queueNotification(t.db, 'hook', { dueAt: new Date(now.getTime() + 60_000) }); // later

    const { claimed, refused } = await claim(now);
    expect(refused).toEqual([]);
    expect(claimed.map((c) => c.id)).toEqual([a.deliveryId, b.deliveryId]);
    expect(claimed[0]).toMatchObject({
      channelId: 'hook',
      channelType: 'webhook',
      attempt: 1,
      key: a.key,
      message: a.message,
      leaseUntil: new Date(now.getTime() + 10_000),
    });
    // The claim is the one read that carries credentials: the transport needs them.
    expect(claimed[0]!.channelConfig).toMatchObject({
      url: 'https://hooks.example.com/in',
      secret: SECRET,
    });
    expect(await deliveryRow(a.deliveryId)).toMatchObject({ status: 'sending', attempts: 1 });
    // Claimed rows are not claimed again while their lease holds.
    expect((await claim(new Date(now.getTime() + 5000))).claimed).toEqual([]);
  });

  it('never hands one delivery to two dispatchers at once (SKIP LOCKED)', async () => {
    for (let i = 0; i < 6; i++) await queueNotification(t.db, i % 2 ? 'hook' : 'slack');
    const now = new Date(Date.now() + 1000);
    let second: number[] = [];
    // The first claim's transaction is still open (rows locked, not yet marked) when the
    // second dispatcher claims on its own connection.
    const first = await t.db.transaction(async (tx) => {
      const mine = await claimDeliveries(tx, { now, leaseMs: 10_000, limit: 3, perChannel: 4 });
      second = (
        await claimDeliveries(other.db, { now, leaseMs: 10_000, limit: 32, perChannel: 4 })
      ).claimed.map((c) => c.id);
      return mine.claimed.map((c) => c.id);
    });
    expect(first).toHaveLength(3);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    expect(new Set([...first, ...second]).size).toBe(first.length + second.length);
  });

  it('keeps to the per-channel cap (in flight counted) and the overall limit, without starving a channel', async () => {
    for (let i = 0; i < 10; i++) await queueNotification(t.db, 'hook'); // a long queue first
    const late = await queueNotification(t.db, 'slack');
    const now = new Date(Date.now() + 1000);

    const first = await claim(now, { inFlight: new Map([['hook', 1]]) });
    const perChannel = (ids: { channelId: string }[]) =>
      ids.reduce((m, c) => m.set(c.channelId, (m.get(c.channelId) ?? 0) + 1), new Map());
    expect(perChannel(first.claimed)).toEqual(
      new Map([
        ['hook', 3],
        ['slack', 1],
      ]),
    );
    expect(first.claimed.map((c) => c.id)).toContain(late.deliveryId);

    const full = await claim(now, { inFlight: new Map([['hook', 4]]) });
    expect(full.claimed).toEqual([]);
    expect((await claim(now, { limit: 2 })).claimed).toHaveLength(2);
  });

  it('takes over a delivery whose lease ran out, logging the attempt that never reported', async () => {
    const now = new Date();
    const q = await queueNotification(t.db, 'hook', { now });
    await claim(now); // a dispatcher takes it, then dies
    const later = new Date(now.getTime() + 10_001);
    const { claimed, takenOver } = await claim(later);
    expect(takenOver).toBe(1);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ id: q.deliveryId, attempt: 2, key: q.key });
    const log = await t.db.select().from(notificationAttempts);
    expect(log).toEqual([
      expect.objectContaining({
        deliveryId: q.deliveryId,
        attempt: 1,
        outcome: 'retry',
        latencyMs: 10_000,
        statusCode: null,
        error: expect.stringContaining('stopped before it finished'),
      }),
    ]);
  });

  it('fails deliveries whose channel was deleted or disabled, with the reason, without an attempt', async () => {
    const gone = await queueNotification(t.db, 'gone');
    await putChannel(
      t.db,
      'off',
      { type: 'webhook', url: 'https://off.example.com', secret: SECRET },
      { enabled: false },
    );
    const off = await queueNotification(t.db, 'off');
    const { claimed, refused } = await claim(new Date(Date.now() + 1000));
    expect(claimed).toEqual([]);
    expect(refused).toEqual([
      { id: gone.deliveryId, channelId: 'gone', reason: 'channel "gone" no longer exists' },
      { id: off.deliveryId, channelId: 'off', reason: 'channel "off" is disabled' },
    ]);
    expect(await deliveryRow(gone.deliveryId)).toMatchObject({
      status: 'failed',
      attempts: 0,
      lastError: 'channel "gone" no longer exists',
    });
    expect(await t.db.select().from(notificationAttempts)).toEqual([]);
  });
});

describe('recordAttempt', () => {
  it('records the attempt and its outcome: delivered, pending again, or failed', async () => {
    const now = new Date();
    const [a, b, c] = [
      await queueNotification(t.db, 'hook', { now }),
      await queueNotification(t.db, 'hook', { now }),
      await queueNotification(t.db, 'slack', { now }),
    ];
    await claim(now);
    const base = { attempt: 1, startedAt: now, latencyMs: 12.4, now };
    expect(
      await recordAttempt(t.db, {
        ...base,
        deliveryId: a!.deliveryId,
        statusCode: 200,
        error: null,
        step: { action: 'delivered' },
      }),
    ).toBe(true);
    const retryAt = now.getTime() + 30_000;
    await recordAttempt(t.db, {
      ...base,
      deliveryId: b!.deliveryId,
      statusCode: 503,
      error: 'HTTP 503',
      step: { action: 'retry', at: retryAt, reason: 'HTTP 503' },
    });
    await recordAttempt(t.db, {
      ...base,
      deliveryId: c!.deliveryId,
      statusCode: 404,
      error: 'HTTP 404',
      step: { action: 'fail', reason: 'HTTP 404' },
    });
    expect(await deliveryRow(a!.deliveryId)).toMatchObject({
      status: 'delivered',
      deliveredAt: now,
      leaseUntil: null,
    });
    expect(await deliveryRow(b!.deliveryId)).toMatchObject({
      status: 'pending',
      nextAttemptAt: new Date(retryAt),
      lastError: 'HTTP 503',
    });
    expect(await deliveryRow(c!.deliveryId)).toMatchObject({
      status: 'failed',
      lastError: 'HTTP 404',
    });
    expect(
      (await t.db.select().from(notificationAttempts)).map((r) => [
        r.outcome,
        r.statusCode,
        r.latencyMs,
      ]),
    ).toEqual([
      ['delivered', 200, 12],
      ['retry', 503, 12],
      ['failed', 404, 12],
    ]);
  });

  it('does not overwrite a delivery another claim took over: the attempt is only logged', async () => {
    const now = new Date();
    const q = await queueNotification(t.db, 'hook', { now });
    await claim(now);
    await claim(new Date(now.getTime() + 10_001)); // taken over: attempt 2 in flight
    const applied = await recordAttempt(t.db, {
      deliveryId: q.deliveryId,
      attempt: 1,
      startedAt: now,
      latencyMs: 11_000,
      statusCode: 200,
      error: null,
      step: { action: 'delivered' },
      now,
    });
    expect(applied).toBe(false);
    expect(await deliveryRow(q.deliveryId)).toMatchObject({ status: 'sending', attempts: 2 });
  });
});

describe('read models', () => {
  it('show the delivery log, a delivery result, channel health and the outbox, never a credential', async () => {
    const now = new Date();
    const [incident] = await t.db
      .insert(incidents)
      .values({
        severity: 'critical',
        title: 'region=eu-west: Purchases −58%',
        firstWindow: now,
        lastWindow: now,
      })
      .returning();
    const key = 'pulse-1-1-open';
    const message = { ...testMessage(key, now.getTime()), kind: 'open' as const };
    const due = {
      incidentId: incident!.id,
      sequence: 1,
      kind: 'open' as const,
      key,
      severity: 'critical' as const,
    };
    const notificationId = (await writeNotification(t.db, due, message, ['hook', 'slack'], now))!;
    const { claimed } = await claim(now);
    const hook = claimed.find((c) => c.channelId === 'hook')!;
    const slack = claimed.find((c) => c.channelId === 'slack')!;
    // hook: delivered on the first attempt; slack: a 503, then given up.
    await recordAttempt(t.db, {
      deliveryId: hook.id,
      attempt: 1,
      startedAt: now,
      latencyMs: 40,
      statusCode: 200,
      error: null,
      step: { action: 'delivered' },
      now,
    });
    await recordAttempt(t.db, {
      deliveryId: slack.id,
      attempt: 1,
      startedAt: now,
      latencyMs: 90,
      statusCode: 503,
      error: 'HTTP 503',
      step: { action: 'fail', reason: 'HTTP 503; gave up after 1 attempts' },
      now,
    });
    // And a test send to the hook waits, due 5 s ago.
    await queueNotification(t.db, 'hook', { dueAt: new Date(now.getTime() - 5000) });

    const log = await incidentDeliveryLog(t.db, incident!.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      notificationId,
      kind: 'open',
      key: 'pulse-1-1-open',
      severity: 'critical',
    });
    expect(log[0]!.deliveries.map((d) => [d.channelId, d.channelType, d.target, d.status])).toEqual(
      [
        ['hook', 'webhook', 'webhook', 'delivered'],
        ['slack', 'slack', 'slack', 'failed'],
      ],
    );
    const failed = log[0]!.deliveries.find((d) => d.channelId === 'slack')!;
    expect(failed).toMatchObject({
      attempts: 1,
      lastError: 'HTTP 503; gave up after 1 attempts',
      nextAttemptAt: null,
    });
    expect(failed.attemptLog).toEqual([
      {
        attempt: 1,
        startedAt: now.getTime(),
        latencyMs: 90,
        outcome: 'failed',
        statusCode: 503,
        error: 'HTTP 503',
      },
    ]);

    const result = await deliveryResult(t.db, hook.id);
    expect(result).toMatchObject({ id: hook.id, status: 'delivered', deliveredAt: now.getTime() });
    expect(result!.attemptLog.map((a) => a.outcome)).toEqual(['delivered']);
    expect(await deliveryResult(t.db, 999_999)).toBeNull();

    const health = await channelHealth(t.db, now);
    expect(health.map((h) => h.channelId)).toEqual(['hook', 'slack']);
    expect(health[0]).toMatchObject({
      channelType: 'webhook',
      enabled: true,
      lastDeliveredAt: now.getTime(),
      delivered: 1,
      failed: 0,
      pending: 1,
      state: 'healthy',
    });
    expect(health[1]).toMatchObject({
      delivered: 0,
      failed: 1,
      pending: 0,
      lastFailure: { at: now.getTime(), statusCode: 503, error: 'HTTP 503' },
      state: 'failing',
    });

    expect(await outboxDepth(t.db, now)).toEqual({ pending: 1, sending: 0, oldestDueMs: 5000 });

    for (const model of [log, result, health]) {
      const text = JSON.stringify(model);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('hooks.example.com/in');
    }
  });

  it('counts a sending delivery whose lease ran out as waiting', async () => {
    const now = new Date();
    await queueNotification(t.db, 'hook', { dueAt: now });
    await claim(now);
    expect(await outboxDepth(t.db, new Date(now.getTime() + 1000))).toEqual({
      pending: 0,
      sending: 1,
      oldestDueMs: 0,
    });
    expect(await outboxDepth(t.db, new Date(now.getTime() + 12_000))).toEqual({
      pending: 0,
      sending: 1,
      oldestDueMs: 12_000,
    });
  });

  it('give the health page every channel with its word, deleted ones only while they matter', async () => {
    const now = new Date();
    const HOUR = 3_600_000;
    const ago = (ms: number) => new Date(now.getTime() - ms);
    await putChannel(t.db, 'mail', {
      type: 'email',
      to: ['oncall@example.com'],
      from: 'pulse@example.com',
      smtp: 'smtp://pulse:smtp-password-42@mail.example.com:587',
    });
    await putChannel(
      t.db,
      'off',
      { type: 'webhook', url: 'https://off.example.com/in', secret: SECRET },
      { enabled: false },
    );
    // hook delivers; slack is refused with a 503 and retries; mail and off have sent nothing.
    const hook = await queueNotification(t.db, 'hook', { now: ago(60_000) });
    const slack = await queueNotification(t.db, 'slack', { now: ago(60_000) });
    await claim(ago(30_000));
    await recordAttempt(t.db, {
      deliveryId: hook.deliveryId,
      attempt: 1,
      startedAt: ago(30_000),
      latencyMs: 35,
      statusCode: 200,
      error: null,
      step: { action: 'delivered' },
      now: ago(29_000),
    });
    await recordAttempt(t.db, {
      deliveryId: slack.deliveryId,
      attempt: 1,
      startedAt: ago(30_000),
      latencyMs: 80,
      statusCode: 503,
      error: 'HTTP 503 from https://hooks.slack.com/services/***',
      step: { action: 'retry', at: ago(10_000).getTime(), reason: 'HTTP 503' },
      now: ago(29_000),
    });
    // A deleted channel with a delivery waiting is listed; one whose last failure was two days
    // ago is not.
    await queueNotification(t.db, 'gone', { now: ago(5000) });
    const old = await queueNotification(t.db, 'older', { now: ago(50 * HOUR) });
    await t.db
      .update(notificationDeliveries)
      .set({
        status: 'failed',
        lastError: 'channel "older" no longer exists',
        updatedAt: ago(48 * HOUR),
      })
      .where(eq(notificationDeliveries.id, old.deliveryId));

    const health = await notificationHealth(t.db, now);
    expect(health.windowMs).toBe(24 * HOUR);
    expect(health.outbox).toEqual({ pending: 2, sending: 0, oldestDueMs: 10_000 });
    expect(
      health.channels.map((c) => [c.channelId, c.channelType, c.state, c.failed, c.pending]),
    ).toEqual([
      ['gone', null, 'deleted', 0, 1],
      ['hook', 'webhook', 'healthy', 0, 0],
      ['mail', 'email', 'idle', 0, 0],
      ['off', 'webhook', 'disabled', 0, 0],
      ['slack', 'slack', 'failing', 0, 1],
    ]);
    expect(health.channels.find((c) => c.channelId === 'slack')).toMatchObject({
      target: 'slack',
      lastDeliveredAt: null,
      lastFailure: {
        at: ago(30_000).getTime(),
        statusCode: 503,
        error: 'HTTP 503 from https://hooks.slack.com/services/***',
      },
    });
    expect(health.channels.find((c) => c.channelId === 'mail')!.target).toBe('oncall@example.com');
    const text = JSON.stringify(health);
    for (const secret of [
      SECRET,
      TOKEN,
      'smtp-password-42',
      'hooks.example.com/in',
      'off.example.com',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

/**
 * The notifier against real peers — an HTTP receiver (node:http) and an SMTP server
 * (smtp-server) on ephemeral ports — and a real PostgreSQL: what each channel sends, retries
 * with the same key until a receiver comes back, what stops retrying at once, a slow receiver
 * that does not hold the others up, the retry budget, credentials kept out of the log, the
 * incident sweep, and one sender among several dispatchers.
 */
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emailMessage } from '@/lib/alerts/notify/email';
import type { RetryPolicy } from '@/lib/alerts/notify/retry';
import { verifySignature } from '@/lib/alerts/notify/signature';
import { slackMessage } from '@/lib/alerts/notify/slack';
import { WebhookPayload, webhookBody } from '@/lib/alerts/notify/webhook';
import { createLogger } from '@/lib/observability/log';
import { createTelemetry, METRIC_NAMES, type Telemetry } from '@/lib/observability/telemetry';
import { createDb, type DbHandle } from '@/db/client';
import {
  channelHealth,
  deliveryResult,
  incidentDeliveryLog,
  outboxDepth,
  type DeliveryDetail,
} from '@/db/queries/deliveries';
import { placeAndRefresh, type IncidentSettings } from '@/db/queries/incidents';
import { ensureDefaultMetrics, getMetricByKey } from '@/db/queries/metrics';
import { notifyInTransaction } from '@/db/queries/notify';
import { anomalies, incidents, notificationChannels, notifications } from '@/db/schema';
import { putChannel, queueNotification } from '@/db/testing/outbox';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  freePort,
  startHttpReceiver,
  startSmtpPeer,
  type HttpReceiver,
  type Received,
  type SmtpPeer,
} from '@/workers/testing/notify-peers';
import { startNotifier, type Notifier, type NotifierOptions } from './notifier';

const log = createLogger('test', 'silent');
const SECRET = 'webhook-signing-secret-0123456789';
/** Fast retries: 40–200 ms apart, a Retry-After of at most 1 s honoured. */
const FAST: RetryPolicy = {
  maxAttempts: 20,
  maxAgeMs: 60_000,
  baseDelayMs: 40,
  maxDelayMs: 200,
  maxRetryAfterMs: 1000,
};
const INCIDENTS: IncidentSettings = {
  publicUrl: 'https://pulse.example.com',
  baseWindowMs: 60_000,
  schedule: { groupWaitMs: 30_000, repeatIntervalMs: 4 * 3_600_000 },
};

let t: TestDatabase;
const running: Notifier[] = [];
const peers: { stop(): Promise<void> }[] = [];
const handles: DbHandle[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
});
afterAll(async () => {
  for (const h of handles) await h.close().catch(() => undefined);
  await t.drop();
});
beforeEach(async () => {
  await t.db.delete(notifications);
  await t.db.delete(anomalies);
  await t.db.delete(incidents);
  await t.db.delete(notificationChannels);
});
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop();
  for (const p of peers.splice(0)) await p.stop();
});

function notifier(over: Partial<NotifierOptions> = {}): Notifier {
  const n = startNotifier({
    db: t.db,
    sql: t.sql,
    log,
    pollMs: 30,
    timeoutMs: 2000,
    leaseMarginMs: 500,
    policy: FAST,
    random: () => 0.5,
    incidents: INCIDENTS,
    ...over,
  });
  running.push(n);
  return n;
}

async function receiver(reply?: HttpReceiver['reply'], port?: number): Promise<HttpReceiver> {
  const r = await startHttpReceiver({ reply, port });
  peers.push(r);
  return r;
}

async function smtpPeer(users: Record<string, string>): Promise<SmtpPeer> {
  const p = await startSmtpPeer(users);
  peers.push(p);
  return p;
}

/** Polls `read` until `ok` holds. */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The delivery once it is delivered or failed. */
const settled = (deliveryId: number, timeoutMs?: number): Promise<DeliveryDetail> =>
  until(
    () => deliveryResult(t.db, deliveryId),
    (d) => d?.status === 'delivered' || d?.status === 'failed',
    timeoutMs,
  ) as Promise<DeliveryDetail>;

const header = (r: Received, name: string) => r.headers[name] as string | undefined;

/** `pulse_notification_deliveries_total` by `channel/outcome`. */
async function deliveryCounts(telemetry: Telemetry): Promise<Record<string, number>> {
  const metric = (await telemetry.registry.getMetricsAsJSON()).find(
    (m) => m.name === METRIC_NAMES.notificationDeliveries,
  );
  return Object.fromEntries(
    (metric?.values ?? []).map((v) => [`${v.labels.channel}/${v.labels.outcome}`, v.value]),
  );
}

describe('channels', () => {
  it('webhook: the exact body, signed, with the Idempotency-Key; the attempt recorded and counted', async () => {
    const r = await receiver();
    await putChannel(t.db, 'hook', {
      type: 'webhook',
      url: `${r.origin}/pulse?via=test`,
      secret: SECRET,
    });
    const q = await queueNotification(t.db, 'hook');
    const telemetry = createTelemetry();
    notifier({ telemetry });

    const done = await settled(q.deliveryId);
    expect(done.status).toBe('delivered');
    expect(r.requests).toHaveLength(1);
    const [request] = r.requests as [Received];
    expect(request.path).toBe('/pulse?via=test');
    expect(header(request, 'content-type')).toBe('application/json');
    expect(header(request, 'user-agent')).toMatch(/^Pulse/);
    expect(header(request, 'idempotency-key')).toBe(q.key);
    expect(verifySignature(request.body, SECRET, header(request, 'x-pulse-signature'))).toBe(true);
    // The bytes rendered from the stored message are the ones rendered when it was written.
    expect(request.body).toBe(webhookBody(q.message));
    expect(WebhookPayload.parse(JSON.parse(request.body))).toMatchObject({
      kind: 'test',
      key: q.key,
    });

    expect(done.attemptLog).toEqual([
      {
        attempt: 1,
        startedAt: expect.any(Number),
        latencyMs: expect.any(Number),
        outcome: 'delivered',
        statusCode: 200,
        error: null,
      },
    ]);
    expect(await deliveryCounts(telemetry)).toEqual({ 'hook/delivered': 1 });
    expect(await telemetry.registry.metrics()).toMatch(
      /^pulse_notification_delivery_duration_seconds_count\{channel="hook"\} 1$/m,
    );
  });

  it('Slack: the Block Kit message slackMessage renders, to the incoming webhook', async () => {
    const r = await receiver();
    await putChannel(t.db, 'team', {
      type: 'slack',
      webhookUrl: `${r.origin}/services/T000/B000/XXXXXXXX`,
    });
    const q = await queueNotification(t.db, 'team');
    notifier();

    expect((await settled(q.deliveryId)).status).toBe('delivered');
    const [request] = r.requests as [Received];
    expect(request.path).toBe('/services/T000/B000/XXXXXXXX');
    expect(header(request, 'content-type')).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual(slackMessage(q.message));
    expect(header(request, 'x-pulse-signature')).toBeUndefined();
  });

  it('email: text and HTML parts through a real SMTP server, with AUTH, one Message-ID', async () => {
    const password = 'Sm7p-P4ss:word!';
    const smtp = await smtpPeer({ pulse: password });
    await putChannel(t.db, 'mail', {
      type: 'email',
      to: ['oncall@example.com', 'lead@example.com'],
      from: 'pulse@example.com',
      smtp: smtp.url('pulse', password),
    });
    const q = await queueNotification(t.db, 'mail');
    notifier();

    const done = await settled(q.deliveryId);
    expect(done).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(done.attemptLog[0]).toMatchObject({ outcome: 'delivered', statusCode: 250 });
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail).toMatchObject({
      from: 'pulse@example.com',
      to: ['oncall@example.com', 'lead@example.com'],
      user: 'pulse',
    });
    expect(mail!.raw).toMatch(/Content-Type: multipart\/alternative/i);
    const parsed = await simpleParser(mail!.raw);
    const expected = emailMessage(q.message);
    expect(parsed.subject).toBe(expected.subject);
    expect(parsed.text?.trim()).toBe(expected.text.trim());
    expect(typeof parsed.html === 'string' ? parsed.html.trim() : parsed.html).toBe(
      expected.html.trim(),
    );
    expect(parsed.messageId).toBe(`<${q.key}@example.com>`);
  });

  it('email: a 4yz reply is retried (same Message-ID), a 5yz one fails at once', async () => {
    const smtp = await smtpPeer({ pulse: 'pw-0123456789' });
    smtp.reject = (n) => (n === 1 ? { code: 452, message: 'Mailbox full, try later' } : null);
    const settings = {
      type: 'email' as const,
      to: ['oncall@example.com'],
      from: 'pulse@example.com',
      smtp: smtp.url('pulse', 'pw-0123456789'),
    };
    await putChannel(t.db, 'mail', settings);
    const retried = await queueNotification(t.db, 'mail');
    notifier();
    const first = await settled(retried.deliveryId);
    expect(first.status).toBe('delivered');
    expect(first.attemptLog.map((a) => [a.outcome, a.statusCode, a.error])).toEqual([
      ['retry', 452, 'SMTP 452: Mailbox full, try later'],
      ['delivered', 250, null],
    ]);

    smtp.reject = () => ({ code: 550, message: 'No such user here' });
    const refused = await queueNotification(t.db, 'mail');
    const second = await settled(refused.deliveryId);
    expect(second).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'SMTP 550: No such user here',
    });
  });
});

describe('faults', () => {
  it('a receiver down for a while, then back: delivered once it returns, the same key on every attempt', async () => {
    const port = await freePort(); // nothing listens yet: connections are refused
    await putChannel(t.db, 'hook', {
      type: 'webhook',
      url: `http://127.0.0.1:${port}/hook`,
      secret: SECRET,
    });
    const q = await queueNotification(t.db, 'hook');
    notifier();
    await until(
      () => deliveryResult(t.db, q.deliveryId),
      (d) => (d?.attemptLog.length ?? 0) >= 2,
    );

    // Back, but answering 503 twice (the first asking to wait a second), then 200.
    let answered = 0;
    const r = await receiver((): ReturnType<HttpReceiver['reply']> => {
      answered++;
      if (answered === 1) return { status: 503, headers: { 'Retry-After': '1' } };
      return answered === 2 ? { status: 503 } : { status: 200 };
    }, port);

    const done = await settled(q.deliveryId);
    expect(done.status).toBe('delivered');
    const log = done.attemptLog;
    const refused = log.filter((a) => a.statusCode === null);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    for (const a of refused) {
      expect(a.outcome).toBe('retry');
      expect(a.error).toContain(`http://127.0.0.1:${port}`);
      expect(a.error).toContain('ECONNREFUSED');
    }
    expect(log.slice(refused.length).map((a) => [a.outcome, a.statusCode])).toEqual([
      ['retry', 503],
      ['retry', 503],
      ['delivered', 200],
    ]);
    expect(log.map((a) => a.attempt)).toEqual(log.map((_, i) => i + 1));
    expect(done.attempts).toBe(log.length);

    expect(r.requests).toHaveLength(3);
    for (const request of r.requests) {
      expect(header(request, 'idempotency-key')).toBe(q.key);
      expect(request.body).toBe(r.requests[0]!.body);
      expect(verifySignature(request.body, SECRET, header(request, 'x-pulse-signature'))).toBe(
        true,
      );
    }
    // Retry-After: 1 was honoured.
    expect(r.requests[1]!.at - r.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('404, 410 and a redirect stop retrying at once: failed after one attempt', async () => {
    const r = await receiver((request) => {
      if (request.path === '/missing') return { status: 404 };
      if (request.path === '/gone') return { status: 410 };
      if (request.path === '/moved') return { status: 302, headers: { Location: '/elsewhere' } };
      return { status: 200 };
    });
    const ids: Record<string, number> = {};
    for (const path of ['missing', 'gone', 'moved']) {
      await putChannel(t.db, path, { type: 'webhook', url: `${r.origin}/${path}`, secret: SECRET });
      ids[path] = (await queueNotification(t.db, path)).deliveryId;
    }
    const telemetry = createTelemetry();
    notifier({ telemetry });

    const results = await Promise.all(Object.values(ids).map((id) => settled(id)));
    expect(results.map((d) => [d.status, d.attempts, d.lastError])).toEqual([
      ['failed', 1, 'HTTP 404'],
      ['failed', 1, 'HTTP 410'],
      ['failed', 1, 'HTTP 302: redirects are not followed'],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500)); // would a retry come?
    expect(r.requests.map((q) => q.path).sort()).toEqual(['/gone', '/missing', '/moved']);
    expect(await deliveryCounts(telemetry)).toEqual({
      'missing/failed': 1,
      'gone/failed': 1,
      'moved/failed': 1,
    });
  });

  it('a slow receiver (30 s) does not delay other channels; it holds only its own slots', async () => {
    const slow = await receiver(() => ({ status: 200, delayMs: 30_000 }));
    const fast = await receiver();
    await putChannel(t.db, 'slow', { type: 'webhook', url: `${slow.origin}/`, secret: SECRET });
    await putChannel(t.db, 'fast', { type: 'webhook', url: `${fast.origin}/`, secret: SECRET });
    // The slow channel's notifications are older: first in line.
    const past = new Date(Date.now() - 5_000);
    for (let i = 0; i < 6; i++) await queueNotification(t.db, 'slow', { now: past });
    const quick = [];
    for (let i = 0; i < 3; i++) quick.push(await queueNotification(t.db, 'fast'));

    const started = Date.now();
    const n = notifier({ timeoutMs: 10_000, stopWaitMs: 200 });
    // Within seconds: far below the slow receiver's 30 s and the 10 s attempt timeout.
    for (const q of quick) expect((await settled(q.deliveryId, 8000)).status).toBe('delivered');
    expect(Date.now() - started).toBeLessThan(5000);

    // The slow one: 4 attempts in flight (the per-channel cap), 2 waiting their turn.
    const depth = await outboxDepth(t.db, new Date());
    expect(depth).toMatchObject({ sending: 4, pending: 2 });
    expect(slow.maxOpen()).toBe(4);
    expect(n.inFlight()).toBe(4);

    // Stopping cuts them short: each recorded as a retry, for whoever sends next.
    running.splice(running.indexOf(n), 1);
    await n.stop();
    const health = await channelHealth(t.db, new Date());
    const slowHealth = health.find((h) => h.channelId === 'slow')!;
    expect(slowHealth).toMatchObject({ pending: 6, delivered: 0 });
    expect(slowHealth.lastFailure?.error).toContain('the dispatcher stopped during the attempt');
  });

  it('an attempt that outlasts its timeout is cut and retried; the budget spent → failed and visible', async () => {
    let n = 0;
    const r = await receiver(() => (++n === 1 ? 'hold' : { status: 503 }));
    await putChannel(t.db, 'hook', { type: 'webhook', url: `${r.origin}/`, secret: SECRET });
    const q = await queueNotification(t.db, 'hook');
    const telemetry = createTelemetry();
    notifier({ telemetry, timeoutMs: 300, policy: { ...FAST, maxAttempts: 3 } });

    const done = await settled(q.deliveryId);
    expect(done).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastError: 'HTTP 503; gave up after 3 attempts',
    });
    expect(done.attemptLog.map((a) => [a.outcome, a.statusCode, a.error])).toEqual([
      ['retry', null, 'no answer in 300 ms'],
      ['retry', 503, 'HTTP 503'],
      ['failed', 503, 'HTTP 503; gave up after 3 attempts'],
    ]);
    expect(done.attemptLog[0]!.latencyMs).toBeGreaterThanOrEqual(290);
    expect(r.requests).toHaveLength(3);

    const health = (await channelHealth(t.db, new Date())).find((h) => h.channelId === 'hook');
    expect(health).toMatchObject({
      failed: 1,
      pending: 0,
      lastFailure: { statusCode: 503, error: 'HTTP 503; gave up after 3 attempts' },
    });
    expect(await outboxDepth(t.db, new Date())).toEqual({ pending: 0, sending: 0, oldestDueMs: 0 });
    expect(await deliveryCounts(telemetry)).toEqual({ 'hook/retry': 2, 'hook/failed': 1 });
  });

  it('a deleted or disabled channel: failed with the reason, nothing sent', async () => {
    const r = await receiver();
    await putChannel(
      t.db,
      'off',
      { type: 'webhook', url: `${r.origin}/`, secret: SECRET },
      { enabled: false },
    );
    const off = await queueNotification(t.db, 'off');
    const gone = await queueNotification(t.db, 'gone');
    notifier();
    expect(await settled(off.deliveryId)).toMatchObject({
      status: 'failed',
      attempts: 0,
      lastError: 'channel "off" is disabled',
    });
    expect((await settled(gone.deliveryId)).lastError).toBe('channel "gone" no longer exists');
    expect(r.requests).toEqual([]);
  });

  it('recorded errors never hold a credential: URL tokens, user info, SMTP passwords', async () => {
    const port = await freePort();
    const secrets = ['u53r-n4me', 'p4ss-w0rd-XYZ', 'T0KEN-IN-PATH-123', 'QUERY-S3CRET'];
    await putChannel(t.db, 'hook', {
      type: 'webhook',
      url: `http://127.0.0.1:${port}/hooks/T0KEN-IN-PATH-123?token=QUERY-S3CRET`,
      secret: SECRET,
    });
    await putChannel(t.db, 'userinfo', {
      type: 'webhook',
      url: `http://u53r-n4me:p4ss-w0rd-XYZ@127.0.0.1:${port}/x`,
      secret: SECRET,
    });
    await putChannel(t.db, 'team', {
      type: 'slack',
      webhookUrl: `http://127.0.0.1:${port}/services/T0KEN-IN-PATH-123`,
    });
    const smtp = await smtpPeer({ pulse: 'right-password' });
    await putChannel(t.db, 'wrong-pass', {
      type: 'email',
      to: ['oncall@example.com'],
      from: 'pulse@example.com',
      smtp: smtp.url('u53r-n4me', 'p4ss-w0rd-XYZ'),
    });
    await putChannel(t.db, 'smtp-down', {
      type: 'email',
      to: ['oncall@example.com'],
      from: 'pulse@example.com',
      smtp: `smtp://u53r-n4me:p4ss-w0rd-XYZ@127.0.0.1:${port}`,
    });
    const ids = [];
    for (const c of ['hook', 'userinfo', 'team', 'wrong-pass', 'smtp-down']) {
      ids.push((await queueNotification(t.db, c)).deliveryId);
    }
    notifier({ policy: { ...FAST, maxAttempts: 2 } });

    const results = await Promise.all(ids.map((id) => settled(id)));
    expect(results.map((d) => d.status)).toEqual(Array(5).fill('failed'));
    expect(results[3]!.attemptLog[0]).toMatchObject({ outcome: 'failed', statusCode: 535 });
    const errors = results.flatMap((d) => [d.lastError, ...d.attemptLog.map((a) => a.error)]);
    expect(errors.every((e) => typeof e === 'string' && e.length > 0)).toBe(true);
    for (const e of errors) for (const s of secrets) expect(e).not.toContain(s);
    expect(results[0]!.lastError).toContain(`http://127.0.0.1:${port}`);
    expect(results[4]!.lastError).toContain(`smtp://127.0.0.1:${port}`);
  });

  it('stop() lets an attempt in flight finish', async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 300 }));
    await putChannel(t.db, 'hook', { type: 'webhook', url: `${r.origin}/`, secret: SECRET });
    const q = await queueNotification(t.db, 'hook');
    const n = notifier();
    await r.waitForRequests(1);
    running.splice(running.indexOf(n), 1);
    await n.stop();
    expect(n.inFlight()).toBe(0);
    expect((await deliveryResult(t.db, q.deliveryId))?.status).toBe('delivered');
  });
});

describe('the dispatcher', () => {
  it('sweeps incidents due a look: the group wait over, the open is written and delivered', async () => {
    const r = await receiver();
    await putChannel(
      t.db,
      'hook',
      { type: 'webhook', url: `${r.origin}/`, secret: SECRET },
      { isDefault: true },
    );
    const openedAt = new Date(Date.now() - 60_000);
    const [anomaly] = await t.db
      .insert(anomalies)
      .values({
        metricId: (await getMetricByKey(t.db, 'purchases'))!.id,
        severity: 'critical',
        direction: 'down',
        firstWindow: openedAt,
        lastWindow: openedAt,
        peakWindow: openedAt,
        value: 42,
        expected: 100,
        sigma: 5,
        z: -11,
        explanation: {
          dimensions: {},
          top: [],
          sentence: 'a drop',
          rootCause: { set: [{ region: 'eu-west' }], candidates: [] },
        } as never,
        sentence: 'a drop',
      })
      .returning({ id: anomalies.id });
    // Placed a minute ago: nothing written yet (group wait), a check due 30 s later.
    const [incidentId] = await placeAndRefresh(t.db, [anomaly!.id], INCIDENTS, openedAt);
    expect(await incidentDeliveryLog(t.db, incidentId!)).toEqual([]);

    notifier();
    const [request] = await r.waitForRequests(1);
    const body = WebhookPayload.parse(JSON.parse(request!.body));
    expect(body).toMatchObject({ kind: 'open', incident: { id: incidentId } });
    const log = await until(
      () => incidentDeliveryLog(t.db, incidentId!),
      (l) => l[0]?.deliveries[0]?.status === 'delivered',
    );
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ kind: 'open', key: body.key });
    expect(log[0]!.deliveries[0]).toMatchObject({ channelId: 'hook', attempts: 1 });
    expect(log[0]!.deliveries[0]!.attemptLog).toEqual([
      expect.objectContaining({ outcome: 'delivered', statusCode: 200 }),
    ]);
  });

  it('wakes on an incident notice instead of waiting for the next poll', async () => {
    const r = await receiver();
    await putChannel(t.db, 'hook', { type: 'webhook', url: `${r.origin}/`, secret: SECRET });
    const n = notifier({ pollMs: 60_000 });
    await until(async () => n.isLeader(), Boolean);
    await new Promise((resolve) => setTimeout(resolve, 300)); // LISTEN in place
    const q = await queueNotification(t.db, 'hook');
    await notifyInTransaction(t.db, { kind: 'incident', id: 1 });
    expect((await settled(q.deliveryId, 3000)).status).toBe('delivered');
  });

  it('two dispatchers: one leads and sends everything once; the other takes over when it stops', async () => {
    const r = await receiver();
    await putChannel(t.db, 'hook', { type: 'webhook', url: `${r.origin}/`, secret: SECRET });
    const workers = ['a', 'b'].map((name) => {
      const handle = createDb(t.url, { max: 3, appName: `notifier-${name}` });
      handles.push(handle);
      const telemetry = createTelemetry();
      return {
        telemetry,
        notifier: notifier({ db: handle.db, sql: handle.sql, telemetry }),
      };
    });
    const queued = [];
    for (let i = 0; i < 5; i++) queued.push(await queueNotification(t.db, 'hook'));
    for (const q of queued) expect((await settled(q.deliveryId)).status).toBe('delivered');

    expect(r.requests).toHaveLength(5);
    expect(new Set(r.requests.map((q) => header(q, 'idempotency-key'))).size).toBe(5);
    const leaders = workers.filter((w) => w.notifier.isLeader());
    expect(leaders).toHaveLength(1);
    const counts = await Promise.all(workers.map((w) => deliveryCounts(w.telemetry)));
    expect(counts.map((c) => c['hook/delivered'] ?? 0).sort()).toEqual([0, 5]);

    const leader = leaders[0]!;
    const follower = workers.find((w) => w !== leader)!;
    running.splice(running.indexOf(leader.notifier), 1);
    await leader.notifier.stop();
    const after = await queueNotification(t.db, 'hook');
    expect((await settled(after.deliveryId)).status).toBe('delivered');
    expect(follower.notifier.isLeader()).toBe(true);
    expect((await deliveryCounts(follower.telemetry))['hook/delivered']).toBe(1);
  });
});

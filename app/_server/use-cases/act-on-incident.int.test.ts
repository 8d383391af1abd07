/**
 * Acting on a whole incident against a real PostgreSQL: each action reaches every anomaly that
 * allows it in one transaction, with their audit trails, the incident's derived stamps and the
 * notification the change makes due written to the outbox; nothing is written when no anomaly
 * allows it (a 409 in words). Acting on one anomaly refreshes its incident too. The route
 * refuses viewers. Also the read models (board list, catch-up, detail with its delivery log).
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LifecycleRequest } from '@/lib/alerts/workflow';
import { parseConfig } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import type { Explanation } from '@/lib/types';
import type { IncidentSummary } from '@/lib/views';
import {
  anomalies,
  anomalyEvents,
  incidents,
  notificationAttempts,
  notificationChannels,
  notificationDeliveries,
  notifications,
  silences,
} from '@/db/schema';
import { createSession, createUser, type SessionUser } from '@/db/queries/auth';
import {
  boardIncidents,
  incidentDetail,
  incidentsChangedSince,
  incidentSummary,
} from '@/db/queries/incident-views';
import { placeAndRefresh, refreshIncident, type IncidentSettings } from '@/db/queries/incidents';
import { ensureDefaultMetrics, getMetricByKey } from '@/db/queries/metrics';
import { CHANNEL, parseNotice } from '@/db/queries/notify';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { POST as incidentActionsRoute } from '@/app/api/incidents/[id]/actions/route';
import { registerWeb } from '../context';
import { SESSION_COOKIE } from '../headers';
import { applyLifecycleAction } from './act-on-anomaly';
import { applyIncidentAction, incidentRefusal } from './act-on-incident';

let t: TestDatabase;
let alice: SessionUser;
let bob: SessionUser;
let vera: SessionUser;
const metricIds: Record<string, number> = {};
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 15, 12);
const settings: IncidentSettings = {
  baseWindowMs: MINUTE,
  publicUrl: 'https://pulse.example.com',
  schedule: { groupWaitMs: 30_000, repeatIntervalMs: 4 * 3_600_000 },
};
const at = (ms: number) => new Date(T0 + ms);

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  for (const key of ['purchases', 'revenue', 'conversion', 'api_latency']) {
    metricIds[key] = (await getMetricByKey(t.db, key))!.id;
  }
  alice = await createUser(t.db, { username: 'alice', passwordHash: 'x', role: 'editor' });
  bob = await createUser(t.db, { username: 'bob', passwordHash: 'x', role: 'admin' });
  vera = await createUser(t.db, { username: 'vera', passwordHash: 'x', role: 'viewer' });
  // One default channel: every notification gets a delivery to it.
  await t.db.insert(notificationChannels).values({
    id: 'team',
    type: 'webhook',
    target: 'https://team.example.com',
    secret: { url: 'https://team.example.com/hook', secret: 's'.repeat(24) },
    isDefault: true,
  });
  registerWeb({
    db: t.db,
    sql: t.sql,
    log: createLogger('test', 'silent'),
    config: parseConfig({ DATABASE_URL: t.url, PULSE_WINDOW: '1m' }),
  });
});
afterAll(() => t.drop());

beforeEach(async () => {
  await t.db.delete(notifications);
  await t.db.delete(anomalies);
  await t.db.delete(incidents);
  await t.db.delete(silences);
});

const explanation = (cause: Record<string, string> | null): Explanation => ({
  dimensions: {},
  top: [],
  sentence: 'a drop',
  ...(cause ? { rootCause: { set: [cause], candidates: [], sentence: 'cause' } } : {}),
});

async function newAnomaly(
  metric: string,
  options: { cause?: Record<string, string> | null; severity?: 'warn' | 'critical' } = {},
): Promise<number> {
  const window = at(0);
  const [row] = await t.db
    .insert(anomalies)
    .values({
      metricId: metricIds[metric]!,
      status: 'open',
      severity: options.severity ?? 'critical',
      direction: 'down',
      firstWindow: window,
      lastWindow: window,
      peakWindow: window,
      value: 42,
      expected: 100,
      sigma: 5,
      z: -11,
      explanation: explanation(options.cause === undefined ? { region: 'eu-west' } : options.cause),
      sentence: 'a drop',
      normalWindows: 0,
      updatedAt: at(0),
    })
    .returning({ id: anomalies.id });
  return row!.id;
}

/**
 * An incident of purchases and revenue (sharing region=eu-west), placed at T0; announced (its
 * open notification written) when `announce`, once the group wait has passed.
 */
async function newIncident(announce = true) {
  const ids = [await newAnomaly('purchases'), await newAnomaly('revenue')];
  const [incidentId] = await placeAndRefresh(t.db, ids, settings, at(0));
  if (announce) await refreshIncident(t.db, incidentId!, settings, at(31_000));
  return { incidentId: incidentId!, ids };
}

const actOn = (incidentId: number, user: SessionUser, request: LifecycleRequest, ms: number) =>
  applyIncidentAction(t.db, {
    incidentId,
    userId: user.id,
    request: request as LifecycleRequest & { action: 'acknowledge' },
    incidents: settings,
    now: at(ms),
  });

const written = (incidentId: number) =>
  t.db
    .select({ kind: notifications.kind, id: notifications.id })
    .from(notifications)
    .where(eq(notifications.incidentId, incidentId))
    .orderBy(asc(notifications.sequence));

const anomalyRows = (ids: number[]) =>
  Promise.all(
    ids.map(async (id) => (await t.db.select().from(anomalies).where(eq(anomalies.id, id)))[0]!),
  );

describe('acting on an incident', () => {
  it('acknowledges every open anomaly in one go and writes one acknowledge notification', async () => {
    const { incidentId, ids } = await newIncident();
    expect((await written(incidentId)).map((n) => n.kind)).toEqual(['open']);

    const done = await actOn(incidentId, alice, { action: 'acknowledge', note: 'on it' }, 60_000);
    expect(done.ok).toBe(true);
    if (!done.ok) return;
    expect(done.anomalyIds).toEqual(ids);
    expect(done.summary.acknowledged).toEqual({ by: 'alice', at: T0 + 60_000 });
    expect(done.summary.anomalies.map((a) => a.acknowledged?.by)).toEqual(['alice', 'alice']);
    for (const row of await anomalyRows(ids)) {
      expect(row).toMatchObject({ acknowledgedBy: alice.id, acknowledgedAt: at(60_000) });
    }
    const trail = await t.db.select().from(anomalyEvents).orderBy(asc(anomalyEvents.anomalyId));
    expect(trail.map((e) => [e.anomalyId, e.action, e.detail])).toEqual(
      ids.map((id) => [id, 'acknowledge', { note: 'on it' }]),
    );
    const log = await written(incidentId);
    expect(log.map((n) => n.kind)).toEqual(['open', 'acknowledge']);
    const deliveries = await t.db
      .select({ channelId: notificationDeliveries.channelId })
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.notificationId, log[1]!.id));
    expect(deliveries).toEqual([{ channelId: 'team' }]);

    // Again: nothing allows it, so nothing is written.
    const again = await actOn(incidentId, bob, { action: 'acknowledge', note: null }, 70_000);
    expect(again).toEqual({
      ok: false,
      reason: 'conflict',
      message: 'Already acknowledged by alice.',
    });
    expect((await written(incidentId)).length).toBe(2);
    expect(await t.db.select().from(anomalyEvents)).toHaveLength(2);
  });

  it('acknowledges only the anomalies not acknowledged yet', async () => {
    const { incidentId, ids } = await newIncident();
    const one = await applyLifecycleAction(t.db, {
      anomalyId: ids[0]!,
      userId: bob.id,
      request: { action: 'acknowledge', note: null },
      incidents: settings,
      now: at(40_000),
    });
    expect(one.ok).toBe(true);
    // One of two: the incident is not acknowledged, and owes nothing.
    expect((await incidentSummary(t.db, incidentId))!.acknowledged).toBeNull();
    expect((await written(incidentId)).map((n) => n.kind)).toEqual(['open']);

    const done = await actOn(incidentId, alice, { action: 'acknowledge', note: null }, 60_000);
    expect(done.ok && done.anomalyIds).toEqual([ids[1]]);
    const rows = await anomalyRows(ids);
    expect(rows.map((r) => r.acknowledgedBy)).toEqual([bob.id, alice.id]);
    expect((await written(incidentId)).map((n) => n.kind)).toEqual(['open', 'acknowledge']);
  });

  it('acknowledging the last unacknowledged anomaly on its own acknowledges the incident', async () => {
    const { incidentId, ids } = await newIncident();
    for (const [i, id] of ids.entries()) {
      const done = await applyLifecycleAction(t.db, {
        anomalyId: id,
        userId: alice.id,
        request: { action: 'acknowledge', note: null },
        incidents: settings,
        now: at(40_000 + i * 1000),
      });
      expect(done.ok).toBe(true);
    }
    const summary = (await incidentSummary(t.db, incidentId))!;
    expect(summary.acknowledged).toEqual({ by: 'alice', at: T0 + 41_000 });
    expect((await written(incidentId)).map((n) => n.kind)).toEqual(['open', 'acknowledge']);
  });

  it('resolves the whole incident, with its resolve notification; reopens it', async () => {
    const { incidentId, ids } = await newIncident();
    const done = await actOn(incidentId, alice, { action: 'resolve', note: null }, 60_000);
    expect(done.ok && done.summary).toMatchObject({ status: 'resolved', resolvedAt: T0 + 60_000 });
    const rows = await anomalyRows(ids);
    expect(rows.map((r) => [r.status, r.resolvedBy])).toEqual([
      ['resolved', alice.id],
      ['resolved', alice.id],
    ]);
    expect((await written(incidentId)).map((n) => n.kind)).toEqual(['open', 'resolve']);

    expect(await actOn(incidentId, bob, { action: 'resolve', note: null }, 70_000)).toEqual({
      ok: false,
      reason: 'conflict',
      message: 'Only an open incident can be resolved.',
    });
    const reopened = await actOn(incidentId, bob, { action: 'reopen', note: null }, 80_000);
    expect(reopened.ok && reopened.summary.status).toBe('open');
    expect((await anomalyRows(ids)).map((r) => r.status)).toEqual(['open', 'open']);
    // Announced again at once (a reopened incident skips the group wait).
    expect((await written(incidentId)).map((n) => n.kind)).toEqual(['open', 'resolve', 'open']);
  });

  it('snoozing mutes it: no open notification while snoozed, sent once the snooze ends', async () => {
    const { incidentId, ids } = await newIncident(false);
    const until = T0 + 2 * 3_600_000;
    const done = await actOn(incidentId, alice, { action: 'snooze', until, note: null }, 10_000);
    expect(done.ok && done.summary.snoozedUntil).toBe(until);
    expect((await anomalyRows(ids)).map((r) => r.snoozedUntil?.getTime())).toEqual([until, until]);

    // The group wait passes while snoozed: nothing is sent; the next look is when it ends.
    const row = await refreshIncident(t.db, incidentId, settings, at(60_000));
    expect(row!.nextCheckAt?.getTime()).toBe(until);
    expect(await written(incidentId)).toEqual([]);
    await refreshIncident(t.db, incidentId, settings, new Date(until + 1000));
    expect((await written(incidentId)).map((n) => n.kind)).toEqual(['open']);

    const unsnoozed = await actOn(incidentId, bob, { action: 'unsnooze', note: null }, 20_000);
    expect(unsnoozed.ok && unsnoozed.summary.snoozedUntil).toBeNull();
    expect(await actOn(incidentId, bob, { action: 'unsnooze', note: null }, 30_000)).toMatchObject({
      ok: false,
      message: 'This incident is not snoozed.',
    });
  });

  it('refuses what no anomaly allows, with a sentence about the incident; 404 for none', async () => {
    const { incidentId } = await newIncident();
    expect(await actOn(incidentId, alice, { action: 'reopen', note: null }, 40_000)).toEqual({
      ok: false,
      reason: 'conflict',
      message: 'Only a resolved incident can be reopened.',
    });
    expect(await actOn(incidentId, alice, { action: 'unacknowledge', note: null }, 40_000)).toEqual(
      { ok: false, reason: 'conflict', message: 'This incident is not acknowledged.' },
    );
    expect(await actOn(987_654, alice, { action: 'resolve', note: null }, 40_000)).toEqual({
      ok: false,
      reason: 'not_found',
    });
    expect(await t.db.select().from(anomalyEvents)).toEqual([]);
  });

  it('words a refusal about the incident when its anomalies refuse for different reasons', () => {
    expect(
      incidentRefusal('acknowledge', [
        { refusal: 'Already acknowledged by alice.', status: 'open' },
        { refusal: 'Only an open anomaly can be acknowledged.', status: 'resolved' },
      ]),
    ).toBe('Every open anomaly of this incident is acknowledged already.');
    expect(
      incidentRefusal('resolve', [
        { refusal: 'This anomaly was withdrawn (late data …)', status: 'withdrawn' },
        { refusal: 'Only an open anomaly can be resolved.', status: 'resolved' },
      ]),
    ).toBe('Only an open incident can be resolved.');
    expect(
      incidentRefusal('resolve', [{ refusal: 'This anomaly was withdrawn', status: 'withdrawn' }]),
    ).toMatch(/^Every anomaly of this incident was withdrawn/);
  });

  it('queues an anomaly notice per anomaly changed and one incident notice, on commit', async () => {
    const { incidentId, ids } = await newIncident();
    const heard: unknown[] = [];
    const listener = await t.sql.listen(CHANNEL, (payload) => heard.push(parseNotice(payload)));
    try {
      await actOn(incidentId, alice, { action: 'acknowledge', note: null }, 60_000);
      await actOn(incidentId, alice, { action: 'acknowledge', note: null }, 61_000); // refused
      await expect.poll(() => heard.length).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(heard).toEqual([
        ...ids.map((id) => ({ kind: 'anomaly', id })),
        { kind: 'incident', id: incidentId },
      ]);
    } finally {
      await listener.unlisten();
    }
  });
});

describe('POST /api/incidents/[id]/actions', () => {
  async function post(user: SessionUser, incidentId: number, body: unknown) {
    const token = await createSession(t.db, user.id, 60_000);
    const request = new Request(`http://pulse.test/api/incidents/${incidentId}/actions`, {
      method: 'POST',
      headers: {
        host: 'pulse.test',
        origin: 'http://pulse.test',
        cookie: `${SESSION_COOKIE}=${token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    return incidentActionsRoute(request, {
      params: Promise.resolve({ id: String(incidentId) }),
    });
  }

  it('refuses a viewer (403) and lets an editor act on the whole incident', async () => {
    const { incidentId, ids } = await newIncident();
    const refused = await post(vera, incidentId, { action: 'acknowledge' });
    expect(refused.status).toBe(403);
    expect((await anomalyRows(ids)).map((r) => r.acknowledgedAt)).toEqual([null, null]);

    const snoozed = await post(alice, incidentId, { action: 'snooze', preset: '2h' });
    expect(snoozed.status).toBe(200);
    const summary = (await snoozed.json()) as IncidentSummary;
    expect(summary.id).toBe(incidentId);
    expect(summary.snoozedUntil).toBeGreaterThan(Date.now());
    expect(summary.anomalies.map((a) => a.id)).toEqual(ids);

    const conflict = await post(alice, incidentId, { action: 'reopen' });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({ error: 'Only a resolved incident can be reopened.' });
    // Verdicts stay per anomaly.
    const verdict = await post(alice, incidentId, { action: 'mark_true_positive' });
    expect(verdict.status).toBe(400);
    expect(((await verdict.json()) as { fields: Record<string, string> }).fields.action).toMatch(
      /^action must be one of: acknowledge/,
    );
    expect((await post(alice, 987_654, { action: 'resolve' })).status).toBe(404);
  });
});

describe('the incident read models', () => {
  it('lists open and recently resolved incidents with their anomalies, newest first', async () => {
    const first = await newIncident();
    const other = await newAnomaly('api_latency', {
      cause: { device: 'android' },
      severity: 'warn',
    });
    await t.db
      .update(anomalies)
      .set({ firstWindow: at(5 * MINUTE), lastWindow: at(5 * MINUTE) })
      .where(eq(anomalies.id, other));
    const [second] = await placeAndRefresh(t.db, [other], settings, at(5 * MINUTE));
    expect(second).not.toBe(first.incidentId);

    const now = at(10 * MINUTE);
    const listed = await boardIncidents(t.db, { now });
    expect(listed.map((i) => [i.id, i.anomalies.map((a) => a.id)])).toEqual([
      [second, [other]],
      [first.incidentId, first.ids],
    ]);
    expect(listed[1]).toMatchObject({
      status: 'open',
      severity: 'critical',
      cause: { region: 'eu-west' },
      silenced: false,
      acknowledged: null,
    });
    expect(listed[1]!.title).toMatch(/^region=eu-west: Purchases −58%, Revenue −58%$/);
    expect(listed[1]!.anomalies.every((a) => a.incidentId === first.incidentId)).toBe(true);

    // Resolved a day and more ago: off the board; changed since a time: in the catch-up.
    await actOn(first.incidentId, alice, { action: 'resolve', note: null }, 6 * MINUTE);
    expect(
      (await boardIncidents(t.db, { now: new Date(T0 + 25 * 3_600_000) })).map((i) => i.id),
    ).toEqual([second]);
    expect((await boardIncidents(t.db, { now })).map((i) => i.id)).toEqual([
      second,
      first.incidentId,
    ]);
    const changed = await incidentsChangedSince(t.db, T0 + 5.5 * MINUTE);
    expect(changed.map((i) => [i.id, i.status])).toEqual([[first.incidentId, 'resolved']]);
  });

  it('marks an incident an active silence matches, and until when', async () => {
    const { incidentId } = await newIncident();
    const endsAt = new Date(Date.now() + 3_600_000);
    await t.db.insert(silences).values({
      matchers: { cause: { region: 'eu-*' } },
      comment: 'maintenance',
      createdBy: 'alice',
      startsAt: new Date(Date.now() - 60_000),
      endsAt,
    });
    const summary = (await incidentSummary(t.db, incidentId))!;
    expect(summary.silenced).toBe(true);
    expect(summary.silencedUntil).toBe(endsAt.getTime());
    await t.db.insert(silences).values({
      matchers: { metrics: ['api_*'] },
      comment: 'other',
      createdBy: 'alice',
      startsAt: new Date(Date.now() - 60_000),
      endsAt,
    });
    await t.db.delete(silences).where(eq(silences.comment, 'maintenance'));
    expect((await incidentSummary(t.db, incidentId))!.silenced).toBe(false);
  });

  it('gives the drill-down the delivery log: per notification, per channel, the last attempt', async () => {
    const { incidentId } = await newIncident();
    await actOn(incidentId, alice, { action: 'acknowledge', note: null }, 60_000);
    const [open] = await t.db
      .select({ id: notificationDeliveries.id })
      .from(notificationDeliveries)
      .innerJoin(notifications, eq(notifications.id, notificationDeliveries.notificationId))
      .where(eq(notifications.kind, 'open'));
    await t.db.insert(notificationAttempts).values([
      {
        deliveryId: open!.id,
        attempt: 1,
        startedAt: at(32_000),
        latencyMs: 30,
        outcome: 'retry',
        statusCode: 503,
        error: 'HTTP 503',
      },
      {
        deliveryId: open!.id,
        attempt: 2,
        startedAt: at(34_000),
        latencyMs: 25,
        outcome: 'delivered',
        statusCode: 200,
      },
    ]);
    await t.db
      .update(notificationDeliveries)
      .set({ status: 'delivered', attempts: 2, lastError: 'HTTP 503', deliveredAt: at(34_000) })
      .where(eq(notificationDeliveries.id, open!.id));

    const detail = (await incidentDetail(t.db, incidentId))!;
    expect(detail.notifications.map((n) => [n.kind, n.key])).toEqual([
      ['acknowledge', `pulse-${incidentId}-2-acknowledge`],
      ['open', `pulse-${incidentId}-1-open`],
    ]);
    expect(detail.notifications[1]!.deliveries).toEqual([
      {
        channelId: 'team',
        channelType: 'webhook',
        target: 'https://team.example.com',
        status: 'delivered',
        attempts: 2,
        lastError: 'HTTP 503',
        deliveredAt: T0 + 34_000,
        nextAttemptAt: null,
        lastAttemptAt: T0 + 34_000,
        lastStatusCode: 200,
      },
    ]);
    expect(detail.notifications[0]!.deliveries).toMatchObject([
      { channelId: 'team', status: 'pending', attempts: 0, lastAttemptAt: null },
    ]);
    // Nothing of the channel's settings leaves the server.
    expect(JSON.stringify(detail)).not.toContain('s'.repeat(24));
    expect(await incidentDetail(t.db, 987_654)).toBeNull();
  });
});

import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifecycleRequest } from '@/lib/alerts/workflow';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { anomalies, anomalyEvents, users } from '@/db/schema';
import { anomalyExists, listAnomalyEvents } from '@/db/queries/anomalies';
import { createUser, type SessionUser } from '@/db/queries/auth';
import { ensureDefaultMetrics, getMetricByKey } from '@/db/queries/metrics';
import { CHANNEL, parseNotice } from '@/db/queries/notify';
import { anomalySummary } from '@/db/queries/views';
import { applyLifecycleAction } from './act-on-anomaly';

let t: TestDatabase;
let alice: SessionUser;
let bob: SessionUser;
let metricId: number;

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  metricId = (await getMetricByKey(t.db, 'purchases'))!.id;
  alice = await createUser(t.db, { username: 'alice', passwordHash: 'x', role: 'editor' });
  bob = await createUser(t.db, { username: 'bob', passwordHash: 'x', role: 'admin' });
});
afterAll(() => t.drop());

async function newAnomaly(status: 'open' | 'resolved' | 'withdrawn' = 'open'): Promise<number> {
  const at = new Date(Date.UTC(2026, 0, 15, 12));
  const [row] = await t.db
    .insert(anomalies)
    .values({
      metricId,
      status,
      severity: 'critical',
      direction: 'down',
      firstWindow: at,
      lastWindow: at,
      peakWindow: at,
      value: 1,
      expected: 10,
      sigma: 1,
      z: -9,
      explanation: { dimensions: {}, top: [], sentence: 'a drop' },
      sentence: 'a drop',
      normalWindows: 1,
      updatedAt: new Date(Date.now() - 60_000),
    })
    .returning({ id: anomalies.id });
  return row!.id;
}

const incidentSettings = { baseWindowMs: 60_000, publicUrl: 'http://pulse.test' };

const act = (anomalyId: number, user: SessionUser, request: LifecycleRequest, now?: Date) =>
  applyLifecycleAction(t.db, {
    anomalyId,
    userId: user.id,
    request,
    incidents: incidentSettings,
    ...(now ? { now } : {}),
  });

const events = (anomalyId: number) =>
  t.db
    .select()
    .from(anomalyEvents)
    .where(eq(anomalyEvents.anomalyId, anomalyId))
    .orderBy(asc(anomalyEvents.id));

describe('anomaly lifecycle', () => {
  it('acknowledges once, records who and when on the row and in the trail, and undoes it', async () => {
    const id = await newAnomaly();
    const before = (await anomalySummary(t.db, id))!;
    const done = await act(id, alice, { action: 'acknowledge', note: 'looking' });
    expect(done.ok).toBe(true);
    if (!done.ok) return;
    expect(done.summary.acknowledged).toMatchObject({ by: 'alice' });
    expect(done.summary.updatedAt).toBeGreaterThan(before.updatedAt);

    const again = await act(id, bob, { action: 'acknowledge', note: null });
    expect(again).toEqual({
      ok: false,
      reason: 'conflict',
      message: 'Already acknowledged by alice.',
    });

    const undone = await act(id, bob, { action: 'unacknowledge', note: null });
    expect(undone.ok && undone.summary.acknowledged).toBeNull();
    const [row] = await t.db.select().from(anomalies).where(eq(anomalies.id, id));
    expect(row).toMatchObject({ acknowledgedAt: null, acknowledgedBy: null });

    const trail = await events(id);
    expect(trail.map((e) => [e.action, e.userId, e.detail])).toEqual([
      ['acknowledge', alice.id, { note: 'looking' }],
      ['unacknowledge', bob.id, {}],
    ]);
  });

  it('resolves only open anomalies and reopens only resolved ones', async () => {
    const id = await newAnomaly();
    expect(await act(id, alice, { action: 'reopen', note: null })).toEqual({
      ok: false,
      reason: 'conflict',
      message: 'Only a resolved anomaly can be reopened.',
    });
    const resolved = await act(id, alice, { action: 'resolve', note: 'fixed by rollback' });
    expect(resolved.ok && resolved.summary).toMatchObject({
      status: 'resolved',
      resolvedBy: { by: 'alice' },
    });
    expect(await act(id, bob, { action: 'resolve', note: null })).toMatchObject({
      reason: 'conflict',
      message: 'Only an open anomaly can be resolved.',
    });
    const reopened = await act(id, bob, { action: 'reopen', note: null });
    expect(reopened.ok && reopened.summary).toMatchObject({ status: 'open', resolvedBy: null });
    const [row] = await t.db.select().from(anomalies).where(eq(anomalies.id, id));
    expect(row).toMatchObject({ resolvedAt: null, resolvedBy: null, normalWindows: 0 });
    expect((await events(id)).map((e) => e.action)).toEqual(['resolve', 'reopen']);
  });

  it("the detector's own resolution names nobody; reopening it is allowed", async () => {
    const id = await newAnomaly('resolved');
    expect((await anomalySummary(t.db, id))!.resolvedBy).toBeNull();
    expect((await act(id, alice, { action: 'reopen', note: null })).ok).toBe(true);
  });

  it('snoozes until a time and ends the snooze; the time is kept in the trail', async () => {
    const id = await newAnomaly();
    const now = new Date();
    const until = now.getTime() + 2 * 3_600_000;
    const snoozed = await act(id, alice, { action: 'snooze', until, note: null }, now);
    expect(snoozed.ok && snoozed.summary.snoozedUntil).toBe(until);
    const unsnoozed = await act(id, bob, { action: 'unsnooze', note: null });
    expect(unsnoozed.ok && unsnoozed.summary.snoozedUntil).toBeNull();
    expect(await act(id, bob, { action: 'unsnooze', note: null })).toMatchObject({
      reason: 'conflict',
    });
    const [first] = await events(id);
    expect(first!.detail).toEqual({ until: new Date(until).toISOString() });
  });

  it('records, switches and clears verdicts, keeping the previous one in the trail', async () => {
    const id = await newAnomaly();
    const tp = await act(id, alice, { action: 'mark_true_positive', note: null });
    expect(tp.ok && tp.summary.verdict).toMatchObject({ value: 'true_positive', by: 'alice' });
    expect(await act(id, bob, { action: 'mark_true_positive', note: null })).toMatchObject({
      reason: 'conflict',
    });
    const fp = await act(id, bob, { action: 'mark_false_positive', note: 'deploy noise' });
    expect(fp.ok && fp.summary.verdict).toMatchObject({ value: 'false_positive', by: 'bob' });
    const cleared = await act(id, bob, { action: 'clear_verdict', note: null });
    expect(cleared.ok && cleared.summary.verdict).toBeNull();
    expect((await events(id)).map((e) => e.detail)).toEqual([
      {},
      { note: 'deploy noise', previous: 'true_positive' },
      { previous: 'false_positive' },
    ]);
  });

  it('a withdrawn anomaly accepts only verdicts', async () => {
    const id = await newAnomaly('withdrawn');
    for (const action of ['acknowledge', 'resolve', 'reopen'] as const) {
      const refused = await act(id, alice, { action, note: null });
      expect(refused).toMatchObject({ ok: false, reason: 'conflict' });
      if (!refused.ok && refused.reason === 'conflict') {
        expect(refused.message).toMatch(/withdrawn/);
      }
    }
    expect((await act(id, alice, { action: 'mark_false_positive', note: null })).ok).toBe(true);
    expect((await events(id)).map((e) => e.action)).toEqual(['mark_false_positive']);
  });

  it('an unknown anomaly is not found and nothing is written', async () => {
    expect(await act(999_999, alice, { action: 'acknowledge', note: null })).toEqual({
      ok: false,
      reason: 'not_found',
    });
    expect(await anomalyExists(t.db, 999_999)).toBe(false);
    expect(await listAnomalyEvents(t.db, 999_999)).toEqual([]);
  });

  it('concurrent identical actions: exactly one wins, the rest are conflicts', async () => {
    const id = await newAnomaly();
    const people = [alice, bob, alice, bob, alice, bob];
    const results = await Promise.all(
      people.map((user) => act(id, user, { action: 'acknowledge', note: null })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'conflict')).toHaveLength(people.length - 1);
    expect(await events(id)).toHaveLength(1);

    // Resolve and reopen racing: whichever order they land in, the trail matches the row.
    const id2 = await newAnomaly();
    const raced = await Promise.all([
      act(id2, alice, { action: 'resolve', note: null }),
      act(id2, bob, { action: 'resolve', note: null }),
      act(id2, bob, { action: 'reopen', note: null }),
    ]);
    const trail = (await events(id2)).map((e) => e.action);
    expect(trail.length).toBe(raced.filter((r) => r.ok).length);
    const [row] = await t.db.select().from(anomalies).where(eq(anomalies.id, id2));
    expect(row!.status).toBe(trail.at(-1) === 'reopen' ? 'open' : 'resolved');
  });

  it('NOTIFYs the web tier on commit, and not for a refused action', async () => {
    const id = await newAnomaly();
    const heard: unknown[] = [];
    const listener = await t.sql.listen(CHANNEL, (payload) => heard.push(parseNotice(payload)));
    try {
      await act(id, alice, { action: 'acknowledge', note: null });
      await act(id, alice, { action: 'acknowledge', note: null }); // refused
      await act(id, alice, { action: 'mark_true_positive', note: null });
      await expect.poll(() => heard.length).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(heard).toEqual([
        { kind: 'anomaly', id },
        { kind: 'anomaly', id },
      ]);
    } finally {
      await listener.unlisten();
    }
  });

  it('lists the audit trail newest first, with usernames, notes and snooze times', async () => {
    const id = await newAnomaly();
    const carol = await createUser(t.db, { username: 'carol', passwordHash: 'x', role: 'editor' });
    const base = Date.now();
    await act(id, alice, { action: 'acknowledge', note: null }, new Date(base));
    await act(
      id,
      bob,
      { action: 'snooze', until: base + 1_800_000, note: '<b>later</b>' },
      new Date(base + 1000),
    );
    await act(id, carol, { action: 'resolve', note: null }, new Date(base + 2000));
    await t.db.delete(users).where(eq(users.id, carol.id));

    const trail = await listAnomalyEvents(t.db, id);
    expect(trail.map(({ action, by, note, until }) => ({ action, by, note, until }))).toEqual([
      { action: 'resolve', by: null, note: null, until: null },
      { action: 'snooze', by: 'bob', note: '<b>later</b>', until: base + 1_800_000 },
      { action: 'acknowledge', by: 'alice', note: null, until: null },
    ]);
    expect(trail[0]!.at).toBe(base + 2000);
    // The deleted user's resolution keeps its time, without a name.
    expect((await anomalySummary(t.db, id))!.resolvedBy).toEqual({ by: null, at: base + 2000 });
  });
});

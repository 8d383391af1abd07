/**
 * Incidents and the outbox against a real PostgreSQL: placement by the pure rule, derived
 * columns, the notifications the schedule writes (group wait, acknowledge, resolve, silences,
 * escalation) with one delivery per routed channel, and no duplicates when two writers race.
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseNotifyConfig } from '@/lib/alerts/notify/config-file';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  anomalies,
  incidents,
  notificationChannels,
  notificationDeliveries,
  notificationRoutes,
  notifications,
  silences,
} from '@/db/schema';
import { createUser } from './auth';
import {
  placeAndRefresh,
  refreshIncident,
  incidentsDueCheck,
  type IncidentSettings,
} from './incidents';
import { ensureDefaultMetrics, getMetricByKey } from './metrics';
import { applyProvisioning, mergeProvisioning } from './provisioning';

let t: TestDatabase;
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 15, 12);
const settings: IncidentSettings = {
  baseWindowMs: MINUTE,
  publicUrl: 'https://pulse.example.com',
  schedule: { groupWaitMs: 30_000, repeatIntervalMs: 4 * 3_600_000 },
};
const metricIds: Record<string, number> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  for (const key of ['purchases', 'revenue', 'conversion', 'api_latency']) {
    metricIds[key] = (await getMetricByKey(t.db, key))!.id;
  }
});
afterAll(() => t.drop());

beforeEach(async () => {
  await t.db.delete(notifications);
  await t.db.delete(anomalies);
  await t.db.delete(incidents);
  await t.db.delete(silences);
  await applyProvisioning(
    t.db,
    parseNotifyConfig(
      {
        channels: [
          {
            id: 'pager',
            type: 'webhook',
            url: 'https://pager.example.com/h',
            secret: 'p'.repeat(20),
          },
          {
            id: 'team',
            type: 'webhook',
            url: 'https://team.example.com/h',
            secret: 't'.repeat(20),
          },
        ],
        routes: [
          {
            match: { minSeverity: 'critical', metrics: ['revenue*'] },
            channels: ['pager'],
            continue: true,
          },
          { match: { minSeverity: 'warn' }, channels: ['team'] },
        ],
      },
      {},
    ),
    new Date(T0),
  );
});

async function anomaly(
  key: string,
  opts: {
    cause?: Record<string, string>[];
    severity?: 'warn' | 'critical';
    first?: number;
    last?: number;
    value?: number;
    expected?: number;
  } = {},
): Promise<number> {
  const first = new Date(opts.first ?? T0);
  const last = new Date(opts.last ?? opts.first ?? T0);
  const set = opts.cause ?? [{ region: 'eu-west' }];
  const [row] = await t.db
    .insert(anomalies)
    .values({
      metricId: metricIds[key]!,
      severity: opts.severity ?? 'critical',
      direction: 'down',
      firstWindow: first,
      lastWindow: last,
      peakWindow: last,
      value: opts.value ?? 42,
      expected: opts.expected ?? 100,
      sigma: 5,
      z: -11,
      explanation: {
        dimensions: {},
        top: [],
        sentence: 'a drop',
        rootCause: { set, candidates: [] },
      } as never,
      sentence: 'a drop',
    })
    .returning({ id: anomalies.id });
  return row!.id;
}

const incidentOf = async (anomalyId: number) =>
  (await t.db.select().from(anomalies).where(eq(anomalies.id, anomalyId)))[0]!.incidentId!;

const outbox = () =>
  t.db
    .select({
      id: notifications.id,
      incidentId: notifications.incidentId,
      kind: notifications.kind,
      key: notifications.key,
      sequence: notifications.sequence,
      message: notifications.message,
    })
    .from(notifications)
    .orderBy(asc(notifications.id));

const deliveriesOf = async (notificationId: number) =>
  (
    await t.db
      .select({
        channelId: notificationDeliveries.channelId,
        status: notificationDeliveries.status,
      })
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.notificationId, notificationId))
      .orderBy(asc(notificationDeliveries.channelId))
  ).map((d) => d.channelId);

const at = (ms: number) => new Date(T0 + ms);

describe('placing anomalies', () => {
  it('joins related anomalies sharing a cause into one incident, titled by the cause', async () => {
    const purchases = await anomaly('purchases', { value: 42, expected: 100 });
    const revenue = await anomaly('revenue', {
      cause: [{ region: 'eu-west', device: 'ios' }],
      value: 38,
      expected: 100,
    });
    const latency = await anomaly('api_latency', {
      cause: [{ endpoint: '/search' }],
      severity: 'warn',
    });
    await t.db.transaction((tx) =>
      placeAndRefresh(tx, [purchases, revenue, latency], settings, at(0)),
    );

    const one = await incidentOf(purchases);
    expect(await incidentOf(revenue)).toBe(one);
    expect(await incidentOf(latency)).not.toBe(one);
    const [row] = await t.db.select().from(incidents).where(eq(incidents.id, one));
    expect(row).toMatchObject({
      status: 'open',
      severity: 'critical',
      cause: { region: 'eu-west' },
      title: 'region=eu-west: Purchases −58%, Revenue −62%',
    });
  });

  it('an anomaly that opens later joins the incident and it grows a metric', async () => {
    const purchases = await anomaly('purchases');
    await t.db.transaction((tx) => placeAndRefresh(tx, [purchases], settings, at(0)));
    const conversion = await anomaly('conversion', {
      first: T0 + 2 * MINUTE,
      value: 0.04,
      expected: 0.12,
    });
    await t.db.transaction((tx) => placeAndRefresh(tx, [conversion], settings, at(2 * MINUTE)));
    const id = await incidentOf(purchases);
    expect(await incidentOf(conversion)).toBe(id);
    const [row] = await t.db.select().from(incidents).where(eq(incidents.id, id));
    expect(row!.title).toBe('region=eu-west: Purchases −58%, Conversion −8 pts');
    expect(row!.lastWindow.getTime()).toBe(T0 + 2 * MINUTE);
  });
});

describe('notifications', () => {
  it('waits the group wait, then writes one open with a delivery per routed channel', async () => {
    const revenue = await anomaly('revenue');
    const purchases = await anomaly('purchases');
    await t.db.transaction((tx) => placeAndRefresh(tx, [revenue, purchases], settings, at(0)));
    const id = await incidentOf(revenue);
    expect(await outbox()).toEqual([]);
    const [row] = await t.db.select().from(incidents).where(eq(incidents.id, id));
    expect(row!.nextCheckAt?.getTime()).toBe(T0 + 30_000);

    expect(await incidentsDueCheck(t.db, at(29_000))).toEqual([]);
    expect(await incidentsDueCheck(t.db, at(30_000))).toEqual([id]);
    await t.db.transaction((tx) => refreshIncident(tx, id, settings, at(30_000)));
    const [open] = await outbox();
    expect(open).toMatchObject({
      incidentId: id,
      kind: 'open',
      sequence: 1,
      key: `pulse-${id}-1-open`,
    });
    expect(open!.message.incident.link).toBe(`https://pulse.example.com/incidents/${id}`);
    expect(open!.message.incident.anomalies.map((a) => a.metric.key).sort()).toEqual([
      'purchases',
      'revenue',
    ]);
    // critical on revenue → pager and (continue) team.
    expect(await deliveriesOf(open!.id)).toEqual(['pager', 'team']);

    // Looking again writes nothing new.
    await t.db.transaction((tx) => refreshIncident(tx, id, settings, at(31_000)));
    expect(await outbox()).toHaveLength(1);
  });

  it('acknowledge and resolve are announced once, to every channel already told', async () => {
    const revenue = await anomaly('revenue');
    await t.db.transaction((tx) => placeAndRefresh(tx, [revenue], settings, at(0)));
    const id = await incidentOf(revenue);
    await t.db.transaction((tx) => refreshIncident(tx, id, settings, at(30_000)));

    const alice = await createUser(t.db, {
      username: `alice-${id}`,
      passwordHash: 'x',
      role: 'editor',
    });
    await t.db
      .update(anomalies)
      .set({ acknowledgedAt: at(40_000), acknowledgedBy: alice.id })
      .where(eq(anomalies.id, revenue));
    await t.db.transaction((tx) => refreshIncident(tx, id, settings, at(40_000)));
    await t.db.transaction((tx) => refreshIncident(tx, id, settings, at(41_000)));
    await t.db.update(anomalies).set({ status: 'resolved' }).where(eq(anomalies.id, revenue));
    await t.db.transaction((tx) => refreshIncident(tx, id, settings, at(50_000)));

    const sent = await outbox();
    expect(sent.map((n) => n.kind)).toEqual(['open', 'acknowledge', 'resolve']);
    expect(sent[1]!.message.incident).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: alice.username,
    });
    expect(sent[2]!.message.incident.status).toBe('resolved');
    for (const n of sent) expect(await deliveriesOf(n.id)).toEqual(['pager', 'team']);
    const [row] = await t.db.select().from(incidents).where(eq(incidents.id, id));
    expect(row).toMatchObject({ status: 'resolved', nextCheckAt: null });
  });

  it('a silenced incident sends nothing until the silence ends; a blip resolved in the group wait is never announced', async () => {
    const latency = await anomaly('api_latency', {
      cause: [{ endpoint: '/search' }],
      severity: 'warn',
    });
    await t.db.insert(silences).values({
      matchers: { metrics: ['api_*'] },
      comment: 'deploy',
      createdBy: 'ana',
      startsAt: at(0),
      endsAt: at(10 * MINUTE),
    });
    await t.db.transaction((tx) => placeAndRefresh(tx, [latency], settings, at(0)));
    const id = await incidentOf(latency);
    await t.db.transaction((tx) => refreshIncident(tx, id, settings, at(60_000)));
    expect(await outbox()).toEqual([]);
    const [held] = await t.db.select().from(incidents).where(eq(incidents.id, id));
    expect(held!.nextCheckAt?.getTime()).toBe(T0 + 10 * MINUTE);
    await t.db.transaction((tx) => refreshIncident(tx, id, settings, at(10 * MINUTE)));
    expect((await outbox()).map((n) => n.kind)).toEqual(['open']);

    const blip = await anomaly('purchases', {
      cause: [{ region: 'us-east' }],
      first: T0 + 60 * MINUTE,
    });
    await t.db.transaction((tx) => placeAndRefresh(tx, [blip], settings, at(60 * MINUTE)));
    await t.db.update(anomalies).set({ status: 'resolved' }).where(eq(anomalies.id, blip));
    const blipIncident = await incidentOf(blip);
    await t.db.transaction((tx) => refreshIncident(tx, blipIncident, settings, at(61 * MINUTE)));
    expect((await outbox()).filter((n) => n.incidentId === blipIncident)).toEqual([]);
  });

  it('escalates when a warn incident turns critical', async () => {
    const latency = await anomaly('api_latency', {
      cause: [{ endpoint: '/search' }],
      severity: 'warn',
    });
    await t.db.transaction((tx) => placeAndRefresh(tx, [latency], settings, at(0)));
    const id = await incidentOf(latency);
    await t.db.transaction((tx) => refreshIncident(tx, id, settings, at(30_000)));
    await t.db.update(anomalies).set({ severity: 'critical' }).where(eq(anomalies.id, latency));
    await t.db.transaction((tx) => refreshIncident(tx, id, settings, at(90_000)));
    const sent = await outbox();
    expect(sent.map((n) => [n.kind, n.message.incident.severity])).toEqual([
      ['open', 'warn'],
      ['escalate', 'critical'],
    ]);
    // warn → team only; api_latency is not a revenue metric, so critical still → team.
    for (const n of sent) expect(await deliveriesOf(n.id)).toEqual(['team']);
  });

  it('two writers racing on one incident write each notification once', async () => {
    const revenue = await anomaly('revenue');
    await t.db.transaction((tx) => placeAndRefresh(tx, [revenue], settings, at(0)));
    const id = await incidentOf(revenue);
    await Promise.all(
      Array.from({ length: 6 }, () =>
        t.db.transaction((tx) => refreshIncident(tx, id, settings, at(30_000))),
      ),
    );
    const sent = await outbox();
    expect(sent.map((n) => n.kind)).toEqual(['open']);
    expect(await deliveriesOf(sent[0]!.id)).toEqual(['pager', 'team']);
  });
});

describe('provisioning', () => {
  it('replaces provisioned channels, routes and silences and leaves the browser’s alone', async () => {
    await t.db.insert(notificationChannels).values({
      id: 'browser-made',
      type: 'webhook',
      target: 'https://x.example.com',
      secret: {
        id: 'browser-made',
        type: 'webhook',
        url: 'https://x.example.com/h',
        secret: 'x'.repeat(20),
      },
    });
    const merged = mergeProvisioning(
      parseNotifyConfig(
        {
          channels: [
            { id: 'team', type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T/B/x' },
          ],
          defaultChannels: ['team'],
          silences: [
            {
              matchers: { severity: 'warn' },
              createdBy: 'ops',
              comment: 'noisy',
              startsAt: T0,
              endsAt: T0 + MINUTE,
            },
          ],
        },
        {},
      ),
      { url: 'https://hooks.example.com/pulse?token=abc', secret: 's'.repeat(20) },
    );
    const result = await t.db.transaction((tx) => applyProvisioning(tx, merged, at(0)));
    expect(result).toMatchObject({ channels: 2, routes: 1, silences: 1, tookOver: [] });

    const channels = await t.db
      .select({
        id: notificationChannels.id,
        target: notificationChannels.target,
        isDefault: notificationChannels.isDefault,
        provisioned: notificationChannels.provisioned,
      })
      .from(notificationChannels)
      .orderBy(asc(notificationChannels.id));
    expect(channels).toEqual([
      { id: 'browser-made', target: 'https://x.example.com', isDefault: false, provisioned: false },
      { id: 'team', target: 'Slack (hooks.slack.com)', isDefault: true, provisioned: true },
      // The target shows the origin only: the token in the URL stays in the secret column.
      { id: 'webhook', target: 'https://hooks.example.com', isDefault: false, provisioned: true },
    ]);
    const routes = await t.db.select().from(notificationRoutes);
    expect(routes.map((r) => [r.channels, r.continue, r.provisioned])).toEqual([
      [['webhook'], true, true],
    ]);

    // Applying nothing removes what was provisioned, and only that.
    await t.db.transaction((tx) => applyProvisioning(tx, null, at(0)));
    const left = await t.db.select({ id: notificationChannels.id }).from(notificationChannels);
    expect(left.map((c) => c.id)).toEqual(['browser-made']);
    expect(await t.db.select().from(notificationRoutes)).toEqual([]);
    expect(await t.db.select().from(silences)).toEqual([]);
  });

  it('the file and the shortcut cannot both name a channel webhook', () => {
    const file = parseNotifyConfig(
      { channels: [{ id: 'webhook', type: 'slack', webhookUrl: 'https://hooks.slack.com/x' }] },
      {},
    );
    expect(() =>
      mergeProvisioning(file, { url: 'https://h.example.com', secret: 's'.repeat(20) }),
    ).toThrow(/PULSE_NOTIFY_CONFIG declares a channel "webhook"/);
  });
});

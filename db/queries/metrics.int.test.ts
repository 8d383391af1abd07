/**
 * Metric definitions against a real PostgreSQL: create (key unique), change the definition
 * (who, when, re-score request; the key never changes), enable/disable, the list with the last
 * point, suggestions, the board showing new and paused metrics, and the preview computed from
 * stored rollups and leaves equal to the pure evaluation of the same events.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellsFromLeaves, matchesFilters } from '@/lib/metrics/cells';
import { previewSeries } from '@/lib/metrics/definition-preview';
import { validateDefinition, type DefinitionInput } from '@/lib/metrics/definition';
import { naiveFold } from '@/lib/stream/rollup-merge';
import type { LeafDelta, MetricDefinition, PulseEvent } from '@/lib/types';
import { leafRollups, metricPoints } from '../schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { createUser } from './auth';
import { definitionTotals, metricCatalog, previewDefinition } from './definition-preview';
import {
  MetricKeyTakenError,
  RESCORE_WINDOW_MS,
  createMetric,
  ensureDefaultMetrics,
  getMetricByKey,
  getMetricItem,
  listMetricItems,
  setMetricEnabled,
  toDefinition,
  updateDefinition,
} from './metrics';
import { upsertRollups } from './stream';
import { loadBoard } from './views';

const W = 10_000;
const HOUR = 3_600_000;
/** "Now" for the preview: a whole hour, so the last hour is 360 complete base windows. */
const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);

let t: TestDatabase;
let editorId: number;

function definition(input: Record<string, unknown>): DefinitionInput {
  const checked = validateDefinition(input);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.definition;
}

const euPurchases = () =>
  definition({
    key: 'eu_purchases',
    name: 'EU purchases',
    kind: 'count',
    eventType: 'purchase',
    filters: { region: ['eu-west'] },
  });

/** Canonical leaf text (dimension names never look like integers, so key order holds). */
const leafText = (dims: Record<string, string>) =>
  JSON.stringify(
    Object.fromEntries(Object.entries(dims).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );

function foldLeaves(events: readonly PulseEvent[]): LeafDelta[] {
  const cells = new Map<string, LeafDelta>();
  const add = (e: PulseEvent, measure: string, x: number) => {
    const windowStart = Math.floor(e.ts / W) * W;
    const leaf = leafText(e.dims);
    const key = `${windowStart}|${e.type}|${measure}|${leaf}`;
    const cell = cells.get(key);
    if (cell) {
      cell.count += 1;
      cell.sum += x;
      cell.sumsq += x * x;
    } else {
      cells.set(key, {
        windowStart,
        eventType: e.type,
        leaf,
        measure,
        count: 1,
        sum: x,
        sumsq: x * x,
      });
    }
  };
  for (const e of events) {
    add(e, '', 0);
    for (const [m, x] of Object.entries(e.measures)) add(e, m, x);
  }
  return [...cells.values()];
}

/** Writes events as the workers do: marginal rollups and the leaf cube. */
async function store(events: PulseEvent[]): Promise<void> {
  const deltas = naiveFold(events, W);
  for (let i = 0; i < deltas.length; i += 2000)
    await upsertRollups(t.sql, deltas.slice(i, i + 2000));
  const leaves = foldLeaves(events);
  for (let i = 0; i < leaves.length; i += 2000) {
    await t.db
      .insert(leafRollups)
      .values(
        leaves.slice(i, i + 2000).map((l) => ({ ...l, windowStart: new Date(l.windowStart) })),
      );
  }
}

/** Deterministic traffic over the last 70 minutes before NOW. */
function traffic(): PulseEvent[] {
  const regions = ['eu-west', 'us-east', 'ap-south'];
  const devices = ['ios', 'android', 'web'];
  const events: PulseEvent[] = [];
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let ts = NOW - 70 * 60_000; ts < NOW + 30_000; ts += 700) {
    const dims = {
      region: regions[Math.floor(rand() * 3)]!,
      device: devices[Math.floor(rand() * 3)]!,
      ...(rand() < 0.3 ? { plan: rand() < 0.5 ? 'free' : 'pro' } : {}),
    };
    events.push({ ts, type: 'session_start', dims, measures: {} });
    if (rand() < 0.4) {
      events.push({ ts, type: 'purchase', dims, measures: { revenue: Math.round(rand() * 100) } });
    }
    if (rand() < 0.2) events.push({ ts, type: 'refund', dims, measures: {} });
  }
  return events;
}

let events: PulseEvent[];

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  editorId = (await createUser(t.db, { username: 'eddie', passwordHash: 'x', role: 'editor' })).id;
  events = traffic();
  await store(events);
});
afterAll(() => t.drop());

describe('metric definitions', () => {
  it('creates a metric with the default rule; a key is taken once', async () => {
    const now = new Date(NOW);
    const row = await createMetric(t.db, euPurchases(), editorId, now);
    expect(row).toMatchObject({
      key: 'eu_purchases',
      kind: 'count',
      eventType: 'purchase',
      extraEventTypes: [],
      filters: { region: ['eu-west'] },
      windowMultiple: 1,
      enabled: true,
      warnZ: 3,
      criticalZ: 5,
      definitionUpdatedBy: editorId,
      rescoreFrom: null,
    });
    expect(row.definitionUpdatedAt?.getTime()).toBe(NOW);
    await expect(createMetric(t.db, { ...euPurchases(), name: 'Again' }, editorId)).rejects.toThrow(
      MetricKeyTakenError,
    );
    // The detector reads it back with its filters.
    const stored = await getMetricByKey(t.db, 'eu_purchases');
    expect(toDefinition(stored!)).toMatchObject({
      filters: { region: ['eu-west'] },
      extraEventTypes: [],
      windowMultiple: 1,
    });
  });

  it('lists every metric with its last point', async () => {
    const metric = (await getMetricByKey(t.db, 'purchases'))!;
    await t.db.insert(metricPoints).values(
      [1, 2, 3].map((i) => ({
        metricId: metric.id,
        windowStart: new Date(NOW - i * W),
        value: 100 + i,
        volume: 100 + i,
        status: i === 1 ? ('ok' as const) : ('learning' as const),
      })),
    );
    const items = await listMetricItems(t.db);
    expect(items.map((m) => m.key)).toEqual([
      'purchases',
      'conversion',
      'error_rate',
      'api_latency',
      'revenue',
      'eu_purchases',
    ]);
    expect(items[0]!.last).toEqual({ windowStart: NOW - W, value: 101, status: 'ok' });
    expect(items.at(-1)).toMatchObject({ key: 'eu_purchases', last: null, enabled: true });
    expect((await getMetricItem(t.db, 'purchases'))!.last?.value).toBe(101);
    expect(await getMetricItem(t.db, 'nope')).toBeUndefined();
  });

  it('changes a definition: who and when, never the key; re-scoring is asked for explicitly', async () => {
    const now = new Date(NOW + 60_000);
    const changed = definition({
      key: 'something_else',
      name: 'EU and US purchases and refunds',
      kind: 'count',
      eventType: 'purchase',
      extraEventTypes: ['refund'],
      filters: { region: ['eu-west', 'us-east'] },
      windowMultiple: 3,
      unit: 'orders',
    });
    const row = await updateDefinition(t.db, 'eu_purchases', changed, { userId: editorId, now });
    expect(row).toMatchObject({
      key: 'eu_purchases',
      name: 'EU and US purchases and refunds',
      extraEventTypes: ['refund'],
      filters: { region: ['eu-west', 'us-east'] },
      windowMultiple: 3,
      unit: 'orders',
      rescoreFrom: null,
    });
    expect(row!.definitionUpdatedAt?.getTime()).toBe(now.getTime());
    expect(await getMetricByKey(t.db, 'something_else')).toBeUndefined();

    const rescored = await updateDefinition(t.db, 'eu_purchases', euPurchases(), {
      userId: editorId,
      rescore: true,
      now,
    });
    expect(rescored!.rescoreFrom?.getTime()).toBe(now.getTime() - RESCORE_WINDOW_MS);
    expect(rescored!.filters).toEqual({ region: ['eu-west'] });
    expect(await updateDefinition(t.db, 'nope', euPurchases(), { userId: null })).toBeUndefined();
  });

  it('puts new metrics on the board (no points yet: learning) and marks disabled ones', async () => {
    const before = await loadBoard(t.db, { windowMs: W, now: NOW });
    expect(before.metrics.find((m) => m.key === 'eu_purchases')).toMatchObject({
      enabled: true,
      points: [],
    });
    expect((await setMetricEnabled(t.db, 'eu_purchases', false))?.enabled).toBe(false);
    const after = await loadBoard(t.db, { windowMs: W, now: NOW });
    expect(after.metrics.find((m) => m.key === 'eu_purchases')?.enabled).toBe(false);
    expect((await getMetricItem(t.db, 'eu_purchases'))?.enabled).toBe(false);
    await setMetricEnabled(t.db, 'eu_purchases', true);
    expect(await setMetricEnabled(t.db, 'nope', true)).toBeUndefined();
  });

  it('suggests event types with their measures and dimension values by frequency', async () => {
    const catalog = await metricCatalog(t.db, NOW - 2 * HOUR);
    expect(catalog.eventTypes).toEqual([
      { type: 'purchase', measures: ['revenue'] },
      { type: 'refund', measures: [] },
      { type: 'session_start', measures: [] },
    ]);
    const dims = Object.fromEntries(catalog.dimensions.map((d) => [d.dim, d.values]));
    expect(Object.keys(dims).sort()).toEqual(['device', 'plan', 'region']);
    expect([...dims.region!].sort()).toEqual(['ap-south', 'eu-west', 'us-east']);
    expect([...dims.plan!].sort()).toEqual(['free', 'pro']);
    expect(await metricCatalog(t.db, NOW + HOUR)).toEqual({ eventTypes: [], dimensions: [] });
  });
});

describe('preview of a draft definition', () => {
  /** The pure evaluation of the same events: leaves → cells → series. */
  function expectedSeries(def: DefinitionInput, from: number, to: number) {
    const metric: MetricDefinition = { ...def, id: 0, enabled: true };
    const inRange = events.filter((e) => e.ts >= from && e.ts < to);
    return previewSeries(metric, cellsFromLeaves(metric, foldLeaves(inRange)), {
      from,
      to,
      baseWindowMs: W,
    });
  }

  it.each([
    ['an unfiltered count', { kind: 'count', eventType: 'purchase' }],
    ['a count of two types', { kind: 'count', eventType: 'purchase', extraEventTypes: ['refund'] }],
    [
      'a one-dimension filter',
      { kind: 'count', eventType: 'purchase', filters: { region: ['eu-west'] } },
    ],
    [
      'a filter on two dimensions',
      {
        kind: 'count',
        eventType: 'purchase',
        filters: { region: ['eu-west', 'us-east'], device: ['ios'] },
      },
    ],
    [
      'a filtered ratio over 3 windows',
      {
        kind: 'ratio',
        eventType: 'purchase',
        denominatorEventType: 'session_start',
        filters: { region: ['ap-south'], plan: ['pro'] },
        windowMultiple: 3,
      },
    ],
    [
      'a filtered average',
      {
        kind: 'avg',
        eventType: 'purchase',
        measure: 'revenue',
        filters: { device: ['web'], region: ['eu-west'] },
      },
    ],
  ])('%s: the last hour of complete windows, as the pure evaluation', async (_label, input) => {
    const def = definition({ key: 'draft', name: 'Draft', ...input });
    const preview = await previewDefinition(t.db, def, { baseWindowMs: W, now: NOW + 4_000 });
    const span = W * def.windowMultiple;
    expect(preview.windowMs).toBe(span);
    expect(preview.to).toBe(Math.floor(NOW / span) * span);
    expect(preview.to - preview.from).toBe(HOUR);
    expect(preview.points).toHaveLength(HOUR / span);
    const expected = expectedSeries(def, preview.from, preview.to);
    expect(preview.points.map((p) => p.windowStart)).toEqual(expected.map((p) => p.windowStart));
    preview.points.forEach((p, i) => {
      expect(p.volume).toBe(expected[i]!.volume);
      if (p.value === null) expect(expected[i]!.value).toBeNull();
      else expect(p.value).toBeCloseTo(expected[i]!.value!, 9);
    });
    // Something was measured.
    expect(preview.points.some((p) => p.volume > 0)).toBe(true);
  });

  it('filters in PostgreSQL exactly as the pure filter does (any filter)', async () => {
    const from = NOW - 20 * W;
    const to = NOW - 10 * W;
    const inRange = events.filter((e) => e.ts >= from && e.ts < to);
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('region', 'device', 'plan'),
          fc.uniqueArray(fc.constantFrom('eu-west', 'us-east', 'ios', 'web', 'pro', 'free'), {
            minLength: 1,
            maxLength: 3,
          }),
          { maxKeys: 3 },
        ),
        async (filters) => {
          const def = definition({
            key: 'draft',
            name: 'Draft',
            kind: 'count',
            eventType: 'purchase',
            filters,
          });
          const totals = await definitionTotals(t.db, def, from, to);
          const count = totals
            .filter((c) => c.measure === '' && c.eventType === 'purchase')
            .reduce((n, c) => n + c.count, 0);
          const passing = inRange.filter(
            (e) => e.type === 'purchase' && matchesFilters(filters, e.dims),
          );
          expect(count).toBe(passing.length);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a window multiple larger than the hour still previews one window', async () => {
    const def = definition({
      key: 'd',
      name: 'D',
      kind: 'count',
      eventType: 'purchase',
      windowMultiple: 60,
    });
    const preview = await previewDefinition(t.db, def, { baseWindowMs: 2 * 60_000, now: NOW });
    expect(preview.windowMs).toBe(2 * HOUR);
    expect(preview.points).toHaveLength(1);
  });
});

/**
 * The memory store against the PostgreSQL store: the same simulated windows (with injected
 * incidents, so anomalies open, extend, count normal windows and resolve) are written to both
 * and scored by the same engine; every outcome, point and anomaly must be the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc } from 'drizzle-orm';
import { scoreBaseWindow, type EngineMetric } from './engine';
import { MemoryEngineStore, type MemoryAnomaly } from './memory-store';
import type { ScoredPoint } from '@/lib/types';
import { Pipeline } from '@/lib/stream/pipeline';
import { Simulator } from '@/lib/simulator/generator';
import { schedule } from '@/lib/simulator/scenarios';
import { DEFAULT_RULE, type Explanation } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { pgEngineStore } from '@/db/queries/engine-store';
import { ensureDefaultMetrics, listMetrics, toDefinition, toRule } from '@/db/queries/metrics';
import { writeFlush } from '@/db/queries/stream';
import { anomalies, metricPoints, metrics } from '@/db/schema';

const MINUTE = 60_000;

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  // A filtered metric over two base windows: cells from the leaf cube, scored every other window.
  await t.db.insert(metrics).values({
    key: 'eu_android_purchases',
    name: 'EU Android purchases',
    kind: 'count',
    eventType: 'purchase',
    filters: { region: ['eu-west', 'eu-central'], device: ['android'] },
    windowMultiple: 2,
  });
});
afterAll(() => t.drop());

/**
 * The words of a sentence, sorted: a change spread over several dimensions lists them in the
 * order the store returned the cells, and PostgreSQL returns rows in its own order.
 */
function words(sentence: string | undefined): string[] {
  return (sentence ?? '').split(/[\s,]+/).sort();
}

/** Numbers equal up to float summation order (PostgreSQL returns rows in its own order). */
function expectClose(a: number | null, b: number | null, what: string) {
  if (a === null || b === null) {
    expect(a, what).toBe(b);
    return;
  }
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(
    1e-9 * Math.max(1, Math.abs(a), Math.abs(b)),
  );
}

describe('MemoryEngineStore mirrors the PostgreSQL store', () => {
  it('gives the same outcomes, points and anomalies for the same windows', async () => {
    const start = Date.UTC(2026, 0, 5, 14);
    const injections = schedule({
      startMs: start,
      firstAfterMs: 22 * MINUTE,
      durationMs: 5 * MINUTE,
      gapMs: 4 * MINUTE,
      scenarios: ['purchase_drop_eu_west', 'latency_search_android', 'error_burst_app_version'],
      untilMs: start + 50 * MINUTE,
    });
    const sim = new Simulator({ seed: 7, ratePerSec: 200, injections });
    const rows = await listMetrics(t.db);
    // Varied rules so that every lifecycle path runs: a pending run before an anomaly opens
    // (consecutive 2), quick resolution, a robust baseline.
    const engineMetrics: EngineMetric[] = rows.map((row) => {
      const rule = toRule(row);
      switch (row.key) {
        case 'purchases':
          return { definition: toDefinition(row), rule: { ...rule, consecutiveWindows: 2 } };
        case 'api_latency':
          return { definition: toDefinition(row), rule: { ...rule, resolveAfter: 1 } };
        case 'error_rate':
          return { definition: toDefinition(row), rule: { ...rule, baseline: 'robust' } };
        default:
          return { definition: toDefinition(row), rule: { ...DEFAULT_RULE, ...rule } };
      }
    });
    const pipeline = new Pipeline({
      source: 'mirror',
      partition: 0,
      windowMs: MINUTE,
      outOfOrderMs: 2000,
      allowedLatenessMs: 0,
      maxValuesPerDim: 200,
    });
    const pg = pgEngineStore(t.db);
    const memory = new MemoryEngineStore();
    const end = start + 50 * MINUTE;
    const steps = new Set<string>();
    for (let w = start; w < end + MINUTE; w += MINUTE) {
      if (w < end) {
        for (const event of sim.generate(w, w + MINUTE)) {
          pipeline.ingestLine(JSON.stringify(event), w + MINUTE);
        }
      } else {
        pipeline.finish();
      }
      const batch = pipeline.drain();
      // As a flush writes them: one transaction, additive upserts.
      await writeFlush(t.sql, {
        deltas: batch.deltas,
        leaves: batch.leaves,
        quarantined: [],
        progress: [],
      });
      memory.add(batch);
      // The window before this one is final (out-of-orderness 2 s, no lateness).
      const closed = w - MINUTE;
      if (closed < start) continue;
      const fromPg = await scoreBaseWindow(pg, engineMetrics, closed, MINUTE);
      const fromMemory = await scoreBaseWindow(memory, engineMetrics, closed, MINUTE);
      expect(fromMemory.length).toBe(fromPg.length);
      fromPg.forEach((a, i) => {
        const b = fromMemory[i]!;
        const what = `${a.metric.key} @ ${new Date(a.windowStart).toISOString()}`;
        steps.add(a.step.kind);
        expect(b.metric.key, what).toBe(a.metric.key);
        expect(b.windowStart, what).toBe(a.windowStart);
        expect(b.score.status, what).toBe(a.score.status);
        expect(b.step, what).toEqual(a.step);
        expect(b.openId, what).toBe(a.openId);
        expect(b.anomalyId, what).toBe(a.anomalyId);
        expectClose(b.score.z, a.score.z, `${what} z`);
        expectClose(b.score.value, a.score.value, `${what} value`);
        expect(words(b.peak?.explanation.sentence), what).toEqual(
          words(a.peak?.explanation.sentence),
        );
      });
    }
    // Every lifecycle path was exercised.
    expect([...steps].sort()).toEqual(
      ['count_normal', 'extend', 'none', 'open', 'pending', 'resolve'].sort(),
    );

    const pgPoints: ScoredPoint[] = (
      await t.db
        .select()
        .from(metricPoints)
        .orderBy(asc(metricPoints.metricId), asc(metricPoints.windowStart))
    ).map((p) => ({ ...p, windowStart: p.windowStart.getTime() }));
    const memPoints = memory.points();
    expect(memPoints.length).toBe(pgPoints.length);
    pgPoints.forEach((a, i) => {
      const b = memPoints[i]!;
      const what = `point ${a.metricId} @ ${new Date(a.windowStart).toISOString()}`;
      expect({ ...b, value: 0, expected: 0, sigma: 0, z: 0, volume: 0 }, what).toEqual({
        ...a,
        value: 0,
        expected: 0,
        sigma: 0,
        z: 0,
        volume: 0,
      });
      for (const key of ['value', 'expected', 'sigma', 'z', 'volume'] as const) {
        expectClose(b[key], a[key], `${what} ${key}`);
      }
    });

    const pgAnomalies = await t.db.select().from(anomalies).orderBy(asc(anomalies.id));
    const memAnomalies: MemoryAnomaly[] = memory.anomalies();
    expect(pgAnomalies.length).toBeGreaterThanOrEqual(3);
    expect(memAnomalies.length).toBe(pgAnomalies.length);
    pgAnomalies.forEach((a, i) => {
      const b = memAnomalies[i]!;
      const what = `anomaly ${a.id}`;
      expect(
        {
          id: b.id,
          metricId: b.metricId,
          status: b.status,
          severity: b.severity,
          direction: b.direction,
          firstWindow: b.firstWindow,
          lastWindow: b.lastWindow,
          peakWindow: b.peakWindow,
          normalWindows: b.normalWindows,
        },
        what,
      ).toEqual({
        id: a.id,
        metricId: a.metricId,
        status: a.status,
        severity: a.severity,
        direction: a.direction,
        firstWindow: a.firstWindow.getTime(),
        lastWindow: a.lastWindow.getTime(),
        peakWindow: a.peakWindow.getTime(),
        normalWindows: a.normalWindows,
      });
      for (const key of ['value', 'expected', 'sigma', 'z'] as const) {
        expectClose(b[key], a[key], `${what} ${key}`);
      }
      expect(words(b.sentence), what).toEqual(words(a.sentence));
      // jsonb round trip on both sides: same contributors (ties may rank in row order).
      const names = (e: Explanation) => e.top.map((c) => `${c.dim}=${c.value}`).sort();
      expect(names(b.explanation), what).toEqual(names(a.explanation));
      expect(b.explanation.rootCause?.set, what).toEqual(a.explanation.rootCause?.set);
    });
  });
});

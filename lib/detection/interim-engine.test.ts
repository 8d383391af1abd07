import { describe, expect, it } from 'vitest';
import { defaultEngineMetrics } from './backtest';
import { scoreBaseWindow } from './engine';
import { scoreInterimWindow } from './interim-engine';
import { MemoryEngineStore } from './memory-store';
import { Random } from '@/lib/simulator/random';
import { TOTAL, type RollupDelta } from '@/lib/types';

const W = 60_000;
const T0 = Date.UTC(2026, 0, 5, 12);
const purchases = defaultEngineMetrics().filter((m) => m.definition.key === 'purchases');

/** The purchases total of one window (the only cell a count metric reads). */
const cell = (windowStart: number, count: number): RollupDelta => ({
  windowStart,
  eventType: 'purchase',
  dim: TOTAL,
  value: TOTAL,
  measure: '',
  count,
  sum: 0,
  sumsq: 0,
  min: 0,
  max: 0,
});

/** A store with 20 scored windows of about 1000 purchases; returns it and the next window. */
async function warmStore(): Promise<{ store: MemoryEngineStore; open: number }> {
  const store = new MemoryEngineStore();
  const rng = new Random(7);
  let w = T0;
  for (let i = 0; i < 20; i++, w += W) {
    store.addRollups([cell(w, rng.poisson(1000))]);
    await scoreBaseWindow(store, purchases, w, W);
  }
  return { store, open: w };
}

const half = (open: number) => ({ low: open + W / 2, high: open + W / 2 });

describe('interim scoring over the engine store', () => {
  it('opens an interim anomaly early and the final score confirms it in place', async () => {
    const { store, open } = await warmStore();
    store.addRollups([cell(open, 100)]); // half-way, a tenth of the expected pace
    const [look] = await scoreInterimWindow(store, purchases, open, W, half(open));
    expect(look!.verdict.severity).toBe('critical');
    const id = look!.anomalyId!;
    expect(store.anomalies()[id - 1]).toMatchObject({ interim: true, status: 'open' });
    expect(store.anomalies()[id - 1]!.sentence).toMatch(/^Interim, 50% of the window in\./);
    // A second look does not open another.
    expect((await scoreInterimWindow(store, purchases, open, W, half(open)))[0]).toBeUndefined();

    store.addRollups([cell(open, 100)]);
    const [final] = await scoreBaseWindow(store, purchases, open, W);
    expect(final!.step.kind).toBe('open');
    expect(final!.anomalyId).toBe(id);
    expect(store.anomalies()).toHaveLength(1);
    expect(store.anomalies()[0]).toMatchObject({ interim: false, confirmed: true, status: 'open' });
    expect(store.points(purchases[0]!.definition.id).at(-1)!.anomalyId).toBe(id);
  });

  it('withdraws it when the rest of the window makes up for the start', async () => {
    const { store, open } = await warmStore();
    store.addRollups([cell(open, 100)]);
    const [look] = await scoreInterimWindow(store, purchases, open, W, half(open));
    const id = look!.anomalyId!;
    store.addRollups([cell(open, 900)]);
    const [final] = await scoreBaseWindow(store, purchases, open, W);
    expect(final!.step.kind).toBe('none');
    expect(final!.interimId).toBe(id);
    const withdrawn = store.anomalies()[id - 1]!;
    expect(withdrawn.status).toBe('withdrawn');
    expect(withdrawn.sentence).toMatch(/^Withdrawn: the interim alert was not confirmed/);
    expect(store.points(purchases[0]!.definition.id).at(-1)!.anomalyId).toBeNull();
  });

  it('leaves a quiet partial window alone, and says nothing before a tenth of it', async () => {
    const { store, open } = await warmStore();
    store.addRollups([cell(open, 500)]);
    const [look] = await scoreInterimWindow(store, purchases, open, W, half(open));
    expect(look!.anomalyId).toBeNull();
    const early = { low: open + 3_000, high: open + 3_000 };
    expect(await scoreInterimWindow(store, purchases, open, W, early)).toEqual([]);
  });
});

/**
 * Exact-set accuracy of explainCube on generated incidents (lib/rca/generate.ts): random cubes of
 * 3–5 dimensions with 2–8 values and at most 2 000 leaves, a drop or spike injected into one (or
 * two) conjunctions of 1–3 dimension values, 5% multiplicative noise per leaf and Poisson counts;
 * only incidents the detector would flag (total deviation ≥ 4σ). Seeds are fixed, so the figures
 * are reproducible; they are printed, and floors keep them from silently regressing.
 */
import { describe, expect, it } from 'vitest';
import { explainCube } from './explain';
import { generateIncident, setKey, type IncidentSpec } from './generate';

const MAGNITUDES = [-0.2, -0.5, -0.9, 0.2, 0.5, 1];
const SEEDS = 20;

function accuracy(spec: Omit<IncidentSpec, 'change'>, change: number, seeds: number): number {
  let exact = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const incident = generateIncident(seed * 7919 + Math.round(change * 100), { ...spec, change });
    const { rootCause } = explainCube(incident.leaves);
    if (setKey(rootCause) === setKey(incident.causes)) exact++;
  }
  return exact / seeds;
}

function table(title: string, rows: [string, number[]][]): string {
  const head = `${title.padEnd(22)}${MAGNITUDES.map((m) => `${m > 0 ? '+' : ''}${m * 100}%`.padStart(7)).join('')}   all`;
  const lines = rows.map(
    ([name, cells]) =>
      `${name.padEnd(22)}${cells.map((x) => x.toFixed(2).padStart(7)).join('')}  ${(cells.reduce((s, x) => s + x, 0) / cells.length).toFixed(2)}`,
  );
  return [head, ...lines].join('\n');
}

describe('root-cause accuracy on generated incidents', () => {
  it('finds the exact cause of one conjunction of 1, 2 or 3 dimensions', () => {
    const rows: [string, number[]][] = [1, 2, 3].map((causeDims) => [
      `one cause, ${causeDims}-dim`,
      MAGNITUDES.map((change) => accuracy({ causeDims }, change, SEEDS)),
    ]);
    console.log(table(`exact set (${SEEDS} seeds)`, rows));
    const mean = (cells: number[]) => cells.reduce((s, x) => s + x, 0) / cells.length;
    expect(mean(rows[0]![1])).toBeGreaterThanOrEqual(0.9);
    expect(mean(rows[1]![1])).toBeGreaterThanOrEqual(0.8);
    expect(mean(rows[2]![1])).toBeGreaterThanOrEqual(0.8);
    for (const [, cells] of rows) for (const x of cells) expect(x).toBeGreaterThanOrEqual(0.75);
  }, 120_000);

  it('mostly holds when each dimension value also has its own 2% error', () => {
    // Errors shared by a slice (a region whose expected value is off) are real deviations the
    // leaf noise does not cover; the slice-noise estimate keeps most of them from being named.
    const rows: [string, number[]][] = [1, 2, 3].map((causeDims) => [
      `${causeDims}-dim, slice noise`,
      MAGNITUDES.map((change) => accuracy({ causeDims, sliceNoise: 0.02 }, change, 10)),
    ]);
    console.log(table('exact set (10 seeds)', rows));
    const mean = (cells: number[]) => cells.reduce((s, x) => s + x, 0) / cells.length;
    expect(mean(rows[0]![1])).toBeGreaterThanOrEqual(0.8);
    expect(mean(rows[1]![1])).toBeGreaterThanOrEqual(0.7);
    expect(mean(rows[2]![1])).toBeGreaterThanOrEqual(0.6);
  }, 120_000);

  it('finds the cause in sparse cubes, where most leaves see nothing (errors per leaf)', () => {
    // Mean 0.3 events per leaf and up to 700 leaves: a Gaussian score with σ floored at 1 named
    // conjunctions holding 2 events against 0.01 expected instead of the slice that changed.
    const changes = [-0.9, 1, 3];
    const rows: [string, number[]][] = [1, 2, 3].map((causeDims) => [
      `${causeDims}-dim, sparse`,
      changes.map((change) =>
        accuracy({ causeDims, meanLeaf: 0.3, maxLeaves: 700, baselineWindows: 20 }, change, SEEDS),
      ),
    ]);
    console.log(
      `sparse cubes, exact set (${SEEDS} seeds) at ${changes.map((c) => `${c > 0 ? '+' : ''}${c * 100}%`).join(' / ')}:\n${rows.map(([n, r]) => `${n}: ${r.map((x) => x.toFixed(2)).join(' / ')}`).join('\n')}`,
    );
    const mean = (cells: number[]) => cells.reduce((s, x) => s + x, 0) / cells.length;
    expect(mean(rows[0]![1])).toBeGreaterThanOrEqual(0.8);
    expect(mean(rows[1]![1])).toBeGreaterThanOrEqual(0.7);
  }, 120_000);

  it('finds both causes when two conjunctions changed', () => {
    const changes = [-0.5, 0.5];
    const rows = [1, 2, 3].map((causeDims) =>
      changes.map((change) => accuracy({ causeDims, causes: 2 }, change, 10)),
    );
    console.log(
      `two causes, exact set (10 seeds) at -50% / +50%: ${rows.map((r, i) => `${i + 1}-dim ${r.map((x) => x.toFixed(2)).join(' / ')}`).join(', ')}`,
    );
    for (const cells of rows) for (const x of cells) expect(x).toBeGreaterThanOrEqual(0.7);
  }, 120_000);

  it('names no cause for noise alone or for a change spread in proportion to size', () => {
    const falseCauses = (spec: IncidentSpec) => {
      let named = 0;
      for (let seed = 1; seed <= 30; seed++) {
        if (explainCube(generateIncident(seed, spec).leaves).rootCause.length > 0) named++;
      }
      return named / 30;
    };
    const quiet = falseCauses({ causeDims: 0, change: 0 });
    const spread = falseCauses({ causeDims: 0, change: 0, spread: -0.15 });
    console.log(
      `cause named without one: noise only ${quiet.toFixed(2)}, spread -15% ${spread.toFixed(2)}`,
    );
    expect(quiet).toBeLessThanOrEqual(0.05);
    expect(spread).toBeLessThanOrEqual(0.05);
  }, 120_000);
});

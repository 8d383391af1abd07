/**
 * Properties of explainCube over generated cubes (fast-check drives the seeds): deterministic and
 * independent of row order, additive (a leaf split into two rows is the same leaf), silent when
 * nothing changed, and the deviation shares of disjoint candidates never add up to more than
 * the whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explainCube } from './explain';
import { generateIncident, rng, type IncidentSpec } from './generate';
import type { Elements, Leaf, RcaResult } from './types';

const seed = fc.integer({ min: 1, max: 1_000_000 });
const spec = fc.record({
  causeDims: fc.integer({ min: 1, max: 3 }),
  causes: fc.integer({ min: 1, max: 2 }),
  change: fc.constantFrom(-0.9, -0.5, -0.2, 0.2, 0.5, 1),
});
/** Small cubes keep a property run fast; the search is the same. */
const small = (s: Omit<IncidentSpec, 'maxLeaves' | 'minZ'>): IncidentSpec => ({
  ...s,
  maxLeaves: 300,
  minZ: 0,
});

function shuffled<T>(list: readonly T[], s: number): T[] {
  const random = rng(s);
  const out = list.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Disjoint: some dimension they both name has different values. */
const disjoint = (x: Elements, y: Elements) =>
  Object.entries(x).some(([dim, value]) => dim in y && y[dim] !== value);

function expectSame(x: RcaResult, y: RcaResult) {
  expect(y.rootCause).toEqual(x.rootCause);
  expect(y.sentence).toBe(x.sentence);
  expect(y.candidates.map((c) => c.elements)).toEqual(x.candidates.map((c) => c.elements));
  y.candidates.forEach((c, i) => {
    expect(c.score).toBeCloseTo(x.candidates[i]!.score, 9);
    expect(c.explains).toBeCloseTo(x.candidates[i]!.explains, 9);
  });
}

describe('explainCube properties', () => {
  it('is deterministic and does not depend on the order of the rows', () => {
    fc.assert(
      fc.property(seed, spec, (s, incidentSpec) => {
        const { leaves } = generateIncident(s, small(incidentSpec));
        const first = explainCube(leaves);
        expect(explainCube(leaves)).toEqual(first);
        expect(explainCube(shuffled(leaves, s))).toEqual(first);
      }),
      { numRuns: 25 },
    );
  });

  it('is additive: a leaf split into two rows with the same dims gives the same answer', () => {
    fc.assert(
      fc.property(seed, spec, fc.double({ min: 0, max: 1, noNaN: true }), (s, incidentSpec, t) => {
        const { leaves } = generateIncident(s, small(incidentSpec));
        const at = s % leaves.length;
        const leaf = leaves[at]!;
        const part = Math.floor(leaf.actual * t);
        const split: Leaf[] = [
          ...leaves.slice(0, at),
          { dims: { ...leaf.dims }, actual: part, expected: leaf.expected * t },
          { dims: { ...leaf.dims }, actual: leaf.actual - part, expected: leaf.expected * (1 - t) },
          ...leaves.slice(at + 1),
        ];
        expectSame(explainCube(leaves), explainCube(split));
      }),
      { numRuns: 25 },
    );
  });

  it('names no cause when nothing changed', () => {
    const dims = fc.dictionary(
      fc.constantFrom('region', 'device', 'plan', 'version'),
      fc.constantFrom('a', 'b', 'c', 'd'),
      { minKeys: 1 },
    );
    const rows = fc.array(
      fc.record({ dims, expected: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(rows, (list) => {
        const result = explainCube(list.map((r) => ({ ...r, actual: r.expected })));
        expect(result.rootCause).toEqual([]);
        expect(result.sentence).toMatch(
          /^(No data|The total did not change: every slice is as expected)\.$/,
        );
      }),
      { numRuns: 50 },
    );
  });

  it('never lets disjoint candidates explain more than the whole deviation', () => {
    fc.assert(
      fc.property(seed, spec, (s, { causeDims, change }) => {
        // Without noise every slice moves with the change or not at all.
        const incident = generateIncident(
          s,
          small({ causeDims, change, causes: 1, noise: 0, poisson: false }),
        );
        const { candidates } = explainCube(incident.leaves, { maxCandidates: 200 });
        for (const c of candidates) expect(c.explains).toBeGreaterThanOrEqual(-1e-9);
        // Greedy disjoint subsets, starting from each candidate.
        for (const start of candidates) {
          const chosen = [start];
          for (const c of candidates) {
            if (chosen.every((x) => disjoint(x.elements, c.elements))) chosen.push(c);
          }
          expect(chosen.reduce((sum, c) => sum + c.explains, 0)).toBeLessThanOrEqual(1 + 1e-9);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('scores in [0, 1], root causes first, then candidates by score', () => {
    fc.assert(
      fc.property(seed, spec, (s, incidentSpec) => {
        const { rootCause, candidates } = explainCube(
          generateIncident(s, small(incidentSpec)).leaves,
        );
        expect(candidates.slice(0, rootCause.length).map((c) => c.elements)).toEqual(rootCause);
        const rest = candidates.slice(rootCause.length);
        for (const c of candidates) {
          expect(c.score).toBeGreaterThanOrEqual(0);
          expect(c.score).toBeLessThanOrEqual(1);
          expect(c.excess).toBeCloseTo(c.explains - c.expectedShare, 12);
        }
        rest.forEach((c, i) => i > 0 && expect(c.score).toBeLessThanOrEqual(rest[i - 1]!.score));
      }),
      { numRuns: 20 },
    );
  });

  it('generates the same incident from the same seed', () => {
    fc.assert(
      fc.property(seed, spec, (s, incidentSpec) => {
        expect(generateIncident(s, small(incidentSpec))).toEqual(
          generateIncident(s, small(incidentSpec)),
        );
      }),
      { numRuns: 10 },
    );
  });
});

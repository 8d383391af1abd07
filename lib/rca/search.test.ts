/**
 * The search only scores the conjunctions that can be a cause (possibleCauses): one it leaves out
 * must be one no fit could choose, whatever causes were claimed before it — every part of its
 * leaves deviates less than half the minimum share of the reference deviation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCube, enumerateElements } from './cube';
import { generateIncident, rng } from './generate';
import { possibleCauses } from './search';

describe('possibleCauses', () => {
  it('leaves out only conjunctions no part of which carries the minimum share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(-0.5, 0.3, 1),
        fc.constantFrom(0.1, 0.3),
        (seed, causeDims, change, minShare) => {
          const incident = generateIncident(seed, {
            causeDims,
            change,
            maxLeaves: 400,
            meanLeaf: 3,
            minZ: 0,
          });
          const cube = buildCube(incident.leaves);
          const elements = enumerateElements(cube, 3);
          let reference = 0;
          for (let i = 0; i < cube.n; i++) reference += cube.actual[i]! - cube.expected[i]!;
          const kept = new Set(possibleCauses(cube, elements, { minShare, reference }));
          const floor = (minShare / 2) * Math.abs(reference);
          const random = rng(seed);
          for (const element of elements) {
            if (kept.has(element)) continue;
            // Any part of it (the leaves not claimed yet, after any earlier causes).
            for (let trial = 0; trial < 4; trial++) {
              let deviation = 0;
              for (const i of element.leaves) {
                if (trial === 0 || random() < 0.5) deviation += cube.actual[i]! - cube.expected[i]!;
              }
              expect(Math.abs(deviation)).toBeLessThan(floor);
            }
          }
          // And the causes themselves are kept.
          for (const cause of incident.causes) {
            const found = elements.find(
              (e) =>
                e.dims.length === Object.keys(cause).length &&
                e.dims.every((k, j) => cause[cube.dims[k]!] === cube.values[k]![e.values[j]!]),
            );
            if (found && Math.abs(reference) > 0) {
              let sum = 0;
              for (const i of found.leaves) sum += Math.abs(cube.actual[i]! - cube.expected[i]!);
              if (sum >= floor) expect(kept.has(found)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps everything when the reference deviation is 0', () => {
    const incident = generateIncident(7, { causeDims: 1, change: -0.5, maxLeaves: 200 });
    const cube = buildCube(incident.leaves);
    const elements = enumerateElements(cube, 3);
    expect(possibleCauses(cube, elements, { minShare: 0.1, reference: 0 })).toHaveLength(
      elements.length,
    );
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fairShare, planShards, shardOf } from './shards';

describe('shardOf', () => {
  it('spreads metrics by id and keeps a split metric’s series with their parent', () => {
    expect([1, 2, 3, 4].map((id) => shardOf({ id }, 2))).toEqual([1, 0, 1, 0]);
    expect(shardOf({ id: 7, series: { parentId: 4 } }, 2)).toBe(0);
    expect(shardOf({ id: 7, series: null }, 2)).toBe(1);
    expect(shardOf({ id: 123 }, 1)).toBe(0);
  });
});

describe('planShards', () => {
  it('takes every shard alone, half of them with a second worker', () => {
    expect(fairShare(4, 1)).toBe(4);
    expect(fairShare(4, 2)).toBe(2);
    expect(fairShare(3, 2)).toBe(2);
    expect(fairShare(2, 5)).toBe(1);
    expect(planShards(new Set(), 4, 1)).toEqual({ take: [0, 1, 2, 3], release: [] });
    expect(planShards(new Set([0, 1, 2, 3]), 4, 1)).toEqual({ take: [], release: [] });
  });

  it('gives back what is beyond its share, the highest first and shard 0 last', () => {
    expect(planShards(new Set([0, 1, 2, 3]), 4, 2)).toEqual({ take: [], release: [3, 2] });
    expect(planShards(new Set([0, 3]), 4, 4)).toEqual({ take: [], release: [3] });
    expect(planShards(new Set([0]), 4, 8)).toEqual({ take: [], release: [] });
  });

  it('gives up shards beyond a lowered count at once', () => {
    expect(planShards(new Set([0, 5]), 2, 1)).toEqual({ take: [1], release: [5] });
  });

  it('leaves no shard unheld once every worker has followed its plan (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }),
        (shards, workers, order) => {
          // Each worker in turn releases, then tries to take free shards up to its share
          // (pg_try_advisory_lock fails on a held one), in an arbitrary order of turns.
          const owner = new Map<number, number>();
          const heldBy = (w: number) =>
            new Set([...owner].filter(([, o]) => o === w).map(([s]) => s));
          const turn = (w: number) => {
            const plan = planShards(heldBy(w), shards, workers);
            for (const s of plan.release) owner.delete(s);
            let have = heldBy(w).size;
            for (const s of plan.take) {
              if (have >= fairShare(shards, workers)) break;
              if (!owner.has(s)) {
                owner.set(s, w);
                have++;
              }
            }
          };
          for (const w of order) turn(w % workers);
          // Two full rounds settle it.
          for (let round = 0; round < 2; round++) for (let w = 0; w < workers; w++) turn(w);
          expect(owner.size).toBe(shards);
          for (let w = 0; w < workers; w++) {
            expect(heldBy(w).size).toBeLessThanOrEqual(fairShare(shards, workers));
          }
        },
      ),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DAYS_AHEAD,
  PARTITIONED_TABLE_NAMES,
  dayPartition,
  dayStart,
  defaultPartitionName,
  parsePartitionName,
  partitionName,
  partitionsToCreate,
  partitionsToDrop,
  retentionCutoff,
  type RangePartition,
} from './partitions';
import {
  DAY_MS,
  LONGEST_BASELINE_MS,
  MIN_RETENTION,
  STORED_TABLES,
  formatDuration,
  keptFor,
} from './policy';

const NOW = Date.UTC(2026, 11, 5, 19, 27, 38); // 2026-12-05 19:27:38Z
const TODAY = Date.UTC(2026, 11, 5);

/** Any instant between 1971 and 2200. */
const instant = fc.integer({ min: 31_536_000_000, max: 7_258_118_400_000 });
const days = (n: number) => n * DAY_MS;
const table = fc.constantFrom(...PARTITIONED_TABLE_NAMES);

describe('partition names', () => {
  it.each([
    ['rollups', Date.UTC(2026, 11, 5), 'rollups_p20261205'],
    ['leaf_rollups', Date.UTC(2027, 0, 1), 'leaf_rollups_p20270101'],
    ['metric_points', Date.UTC(2028, 1, 29), 'metric_points_p20280229'],
    ['quarantine', Date.UTC(1999, 8, 9), 'quarantine_p19990909'],
  ] as const)('%s on %d is %s', (t, day, name) => {
    expect(partitionName(t, day)).toBe(name);
    expect(parsePartitionName(t, name)).toBe(day);
  });

  it('round-trips every day, and names stay within PostgreSQL’s 63 bytes', () => {
    fc.assert(
      fc.property(table, instant, (t, ms) => {
        const day = dayStart(ms);
        const name = partitionName(t, day);
        expect(parsePartitionName(t, name)).toBe(day);
        expect(name.length).toBeLessThanOrEqual(63);
        expect(name).toMatch(/^[a-z_]+_p\d{8}$/);
      }),
    );
  });

  it('refuses what is not a day of that table', () => {
    expect(parsePartitionName('rollups', 'rollups_default')).toBeNull();
    expect(parsePartitionName('rollups', 'leaf_rollups_p20261205')).toBeNull();
    expect(parsePartitionName('rollups', 'rollups_p20260231')).toBeNull(); // no 31 February
    expect(parsePartitionName('rollups', 'rollups_p20261301')).toBeNull();
    expect(parsePartitionName('rollups', 'rollups_p2026120')).toBeNull();
    expect(parsePartitionName('rollups', 'rollups_p20261205x')).toBeNull();
    expect(parsePartitionName('rollups', 'rollups_p00000101')).toBeNull();
    expect(() => partitionName('rollups', TODAY + 1)).toThrow(RangeError);
    expect(() => partitionName('rollups', Date.UTC(10_000, 0, 1))).toThrow(RangeError);
    expect(defaultPartitionName('quarantine')).toBe('quarantine_default');
  });

  it('gives the UTC day of an instant as a half-open range', () => {
    fc.assert(
      fc.property(table, instant, (t, ms) => {
        const p = dayPartition(t, ms);
        expect(p.from).toBeLessThanOrEqual(ms);
        expect(ms).toBeLessThan(p.to);
        expect(p.to - p.from).toBe(DAY_MS);
        expect(p.from % DAY_MS).toBe(0);
      }),
    );
  });
});

describe('partitionsToCreate', () => {
  it('creates the days an event may still be of (7 back), today and two ahead on an empty table', () => {
    const names = (retention: number) =>
      partitionsToCreate('rollups', [], NOW, retention).map((p) => p.name);
    const span = Array.from({ length: 10 }, (_, i) =>
      partitionName('rollups', TODAY + days(i - 7)),
    );
    expect(names(days(90))).toEqual(span);
    expect(span[0]).toBe('rollups_p20261128');
    expect(span.at(-1)).toBe('rollups_p20261207');
    expect(partitionsToCreate('rollups', [], NOW, days(90))[7]).toEqual({
      name: 'rollups_p20261205',
      from: TODAY,
      to: TODAY + DAY_MS,
    });
    // Not before retention: with 1 day kept, from yesterday (its day ends after the cutoff).
    expect(names(days(1))).toEqual(span.slice(6));
    expect(DAYS_AHEAD).toBe(2);
  });

  it('leaves out days that exist, and is idempotent', () => {
    const first = partitionsToCreate('quarantine', [], NOW, days(14));
    expect(partitionsToCreate('quarantine', first, NOW, days(14))).toEqual([]);
    expect(partitionsToCreate('quarantine', first.slice(0, 1), NOW, days(14))).toEqual(
      first.slice(1),
    );
    // The next day, one more.
    expect(partitionsToCreate('quarantine', first, NOW + DAY_MS, days(14))).toEqual([
      dayPartition('quarantine', TODAY + days(3)),
    ]);
  });

  it('creates the days the default partition holds rows for, within retention only', () => {
    const plan = partitionsToCreate('rollups', [], NOW, days(90), {
      defaultDays: [
        TODAY - days(20) + 5000, // kept: within 90 days (a replayed file of last month)
        TODAY - days(3), // within the days made anyway
        TODAY - days(91), // past retention: the retention pass deletes those rows
        TODAY + days(40), // far ahead: waits until it is near
      ],
    });
    expect(plan.map((p) => p.name)).toEqual([
      'rollups_p20261115',
      ...Array.from({ length: 10 }, (_, i) => partitionName('rollups', TODAY + days(i - 7))),
    ]);
  });

  it('never overlaps an existing partition, whatever its range', () => {
    // A wide partition (say, made by hand) covering tomorrow and the day after.
    const wide = { name: 'rollups_legacy', from: TODAY + DAY_MS, to: TODAY + days(3) };
    const past = (n: number) =>
      Array.from({ length: n }, (_, i) => dayPartition('rollups', TODAY + days(i - 7)));
    expect(partitionsToCreate('rollups', [wide], NOW, days(90))).toEqual(past(8));
    // One that reaches a second into today leaves today to it (and to the default partition).
    const ragged = { ...wide, from: TODAY + DAY_MS - 1000 };
    expect(partitionsToCreate('rollups', [ragged], NOW, days(90))).toEqual(past(7));
  });

  it('properties: aligned, unique, sorted, disjoint from what exists, covers the days ahead', () => {
    const existingDay = fc.integer({ min: -120, max: 10 });
    fc.assert(
      fc.property(
        table,
        instant,
        fc.integer({ min: 1, max: 400 }),
        fc.array(existingDay, { maxLength: 20 }),
        fc.array(fc.integer({ min: -500 * DAY_MS, max: 60 * DAY_MS }), { maxLength: 20 }),
        fc.integer({ min: 0, max: 5 }),
        (t, now, retentionDays, existingOffsets, defaultOffsets, ahead) => {
          const existing = [...new Set(existingOffsets)].map((k) =>
            dayPartition(t, dayStart(now) + days(k)),
          );
          const defaultDays = defaultOffsets.map((o) => now + o);
          const retention = days(retentionDays);
          const plan = partitionsToCreate(t, existing, now, retention, {
            defaultDays,
            daysAhead: ahead,
          });
          const cutoff = retentionCutoff(now, retention);
          const last = dayStart(now) + days(ahead);
          for (const [i, p] of plan.entries()) {
            expect(p).toEqual(dayPartition(t, p.from));
            if (i > 0) expect(p.from).toBeGreaterThan(plan[i - 1]!.from);
            expect(existing.some((e) => e.from < p.to && p.from < e.to)).toBe(false);
            expect(p.to).toBeGreaterThan(cutoff); // never created only to be dropped
            expect(p.from).toBeLessThanOrEqual(last);
          }
          // Today and the days ahead are covered afterwards; so is every in-retention default day.
          const after = [...existing, ...plan];
          const covered = (ms: number) => after.some((p) => p.from <= ms && ms < p.to);
          for (let day = dayStart(now); day <= last; day += DAY_MS) expect(covered(day)).toBe(true);
          // And every day an event the contract accepts may be of, within retention.
          for (let day = dayStart(now - days(7)); day < dayStart(now); day += DAY_MS)
            if (day + DAY_MS > cutoff) expect(covered(day)).toBe(true);
          for (const ms of defaultDays) {
            if (dayStart(ms) + DAY_MS > cutoff && ms < last + DAY_MS)
              expect(covered(ms)).toBe(true);
          }
          // Idempotent.
          expect(
            partitionsToCreate(t, after, now, retention, { defaultDays, daysAhead: ahead }),
          ).toEqual([]);
        },
      ),
    );
  });
});

describe('partitionsToDrop', () => {
  const p = (offset: number): RangePartition => dayPartition('rollups', TODAY + days(offset));

  it('drops a partition once all of it is past retention', () => {
    const existing = [p(-10), p(-8), p(-7), p(-1), p(0), p(1)];
    // Cutoff is 2026-11-28 19:27:38: the 27th has ended before it, the 28th has not.
    expect(partitionsToDrop(existing, NOW, days(7)).map((x) => x.name)).toEqual([
      'rollups_p20261125',
      'rollups_p20261127',
    ]);
    expect(partitionsToDrop(existing, NOW, days(90))).toEqual([]);
  });

  it('properties: keeps every row within retention, keeps no partition wholly past it', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: 1, max: 400 }),
        fc.uniqueArray(fc.integer({ min: -800, max: 5 }), { maxLength: 30 }),
        fc.integer({ min: 0, max: DAY_MS * 400 }),
        (now, retentionDays, offsets, age) => {
          const existing = offsets.map((k) =>
            dayPartition('metric_points', dayStart(now) + days(k)),
          );
          const retention = days(retentionDays);
          const dropped = partitionsToDrop(existing, now, retention);
          const cutoff = retentionCutoff(now, retention);
          for (const d of dropped) expect(d.to).toBeLessThanOrEqual(cutoff);
          for (const e of existing.filter((x) => !dropped.includes(x))) {
            expect(e.to).toBeGreaterThan(cutoff);
            // Kept at most a day longer than the retention.
            expect(now - e.from).toBeLessThan(retention + DAY_MS);
          }
          // A row `age` old, within retention, is never in a dropped partition.
          const row = now - age;
          if (age <= retention) {
            expect(dropped.some((d) => d.from <= row && row < d.to)).toBe(false);
          }
        },
      ),
    );
  });
});

describe('the policy', () => {
  it('needs points and rollups for the longest baseline, four weeks, plus a day', () => {
    expect(LONGEST_BASELINE_MS).toBe(days(28));
    expect(MIN_RETENTION.pointsMs.ms).toBe(days(29));
    expect(MIN_RETENTION.rollupsMs.ms).toBe(days(29));
    expect(MIN_RETENTION.leafCubeMs.ms).toBe(days(2));
  });

  it('formats durations as they are configured', () => {
    expect(formatDuration(days(90))).toBe('90d');
    expect(formatDuration(36 * 3_600_000)).toBe('36h');
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0ms');
  });

  it('says what every stored table keeps', () => {
    const policy = {
      rollupsMs: days(90),
      leafCubeMs: days(7),
      pointsMs: days(90),
      quarantineMs: days(14),
      workerMetricsMs: 600_000,
    };
    expect(STORED_TABLES.map((t) => keptFor(t, policy))).toEqual([
      '90d',
      '7d',
      '90d',
      '14d',
      'always',
      'always',
      'until silent 10m',
      'until expired',
    ]);
  });
});

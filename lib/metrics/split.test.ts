import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seriesDefinition, seriesKey, seriesName, valuesToName } from './split';
import { matchesDefinition } from './cells';
import { validateDefinition } from './definition';
import { OTHER_VALUE } from '@/lib/stream/rollup';
import type { MetricDefinition } from '@/lib/types';

const parent: MetricDefinition = {
  id: 7,
  key: 'purchases',
  name: 'Purchases',
  kind: 'count',
  eventType: 'purchase',
  extraEventTypes: [],
  measure: null,
  denominatorEventType: null,
  filters: { device: ['ios', 'android'] },
  windowMultiple: 1,
  unit: '',
  enabled: true,
  split: { dim: 'region', topN: 2 },
};

describe('split series', () => {
  it('are named after the parent and their value', () => {
    expect(seriesName('Purchases', { dim: 'region', value: 'eu-west' })).toBe(
      'Purchases · region=eu-west',
    );
    expect(seriesName('Purchases', { dim: 'region', value: null })).toBe(
      'Purchases · region: other',
    );
    expect(seriesKey('purchases', 3)).toBe('purchases.3');
  });

  it('narrow the parent to their value, or exclude the named ones', () => {
    const eu = seriesDefinition(
      parent,
      { parentId: 7, dim: 'region', value: 'eu' },
      ['eu', 'us'],
      9,
      'purchases.1',
    );
    expect(eu.filters).toEqual({ device: ['ios', 'android'], region: ['eu'] });
    expect(eu.exclude).toEqual({});
    expect(eu.split).toBeNull();
    const other = seriesDefinition(
      parent,
      { parentId: 7, dim: 'region', value: null },
      ['us', 'eu'],
      10,
      'purchases.0',
    );
    expect(other.filters).toEqual(parent.filters);
    expect(other.exclude).toEqual({ region: ['eu', 'us'] });
  });

  it('count every event of the parent exactly once between them', () => {
    const values = ['eu', 'us', 'ap', OTHER_VALUE];
    fc.assert(
      fc.property(
        fc.subarray(['eu', 'us', 'ap']),
        fc.record({
          region: fc.option(fc.constantFrom(...values), { nil: undefined }),
          device: fc.constantFrom('ios', 'android', 'web'),
        }),
        (named, event) => {
          const dims = Object.fromEntries(
            Object.entries(event).filter(([, v]) => v !== undefined),
          ) as Record<string, string>;
          const series = [...named.map((v) => v as string | null), null].map((value, i) =>
            seriesDefinition(parent, { parentId: 7, dim: 'region', value }, named, i, `p.${i}`),
          );
          const hits = series.filter((s) => matchesDefinition(s, dims)).length;
          expect(hits).toBe(matchesDefinition(parent, dims) ? 1 : 0);
        },
      ),
    );
  });

  it('name the highest volumes first, up to the top N, never the guard bucket', () => {
    const volumes = new Map([
      ['eu', 50],
      [OTHER_VALUE, 500],
      ['us', 80],
      ['ap', 80],
      ['sa', 0],
    ]);
    const noFilter = { filters: {} };
    expect(valuesToName(noFilter, { dim: 'region', topN: 2 }, volumes, [])).toEqual(['ap', 'us']);
    expect(valuesToName(noFilter, { dim: 'region', topN: 3 }, volumes, ['us'])).toEqual([
      'ap',
      'eu',
    ]);
    expect(valuesToName(noFilter, { dim: 'region', topN: 1 }, volumes, ['eu'])).toEqual([]);
    expect(valuesToName(noFilter, { dim: 'region', topN: 9 }, volumes, [])).toEqual([
      'ap',
      'us',
      'eu',
    ]);
    expect(
      valuesToName({ filters: { region: ['eu'] } }, { dim: 'region', topN: 3 }, volumes, []),
    ).toEqual(['eu']);
  });
});

describe('a split in the definition form', () => {
  const base = { key: 'p', name: 'P', kind: 'count', eventType: 'purchase' };

  it('is optional and defaults its top N', () => {
    const none = validateDefinition(base);
    expect(none.ok && none.definition.split).toBeNull();
    const blank = validateDefinition({ ...base, split: { dim: '', topN: 5 } });
    expect(blank.ok && blank.definition.split).toBeNull();
    const region = validateDefinition({ ...base, split: { dim: 'region' } });
    expect(region.ok && region.definition.split).toEqual({ dim: 'region', topN: 10 });
  });

  it('says what is wrong beside the field', () => {
    const many = validateDefinition({ ...base, split: { dim: 'region', topN: 51 } });
    expect(!many.ok && many.errors.split).toBe('Split into 1 to 50 values.');
    const bad = validateDefinition({ ...base, split: { dim: 'Region!', topN: 3 } });
    expect(!bad.ok && bad.errors.split).toMatch(/Dimension names/);
    const one = validateDefinition({
      ...base,
      filters: { region: ['eu'] },
      split: { dim: 'region' },
    });
    expect(!one.ok && one.errors.split).toMatch(/only counts one value of region/);
  });
});

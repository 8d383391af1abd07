import { describe, expect, it } from 'vitest';
import type { Contributor } from '@/lib/types';
import {
  DEFAULT_CONTRIBUTOR_SORT,
  ariaSort,
  nextSort,
  sortContributors,
  type ContributorSort,
} from './contributor-sort';

const row = (value: string, over: Partial<Contributor> = {}): Contributor => ({
  dim: 'region',
  value,
  actual: 100,
  expected: 100,
  deviation: 0,
  share: 0,
  z: 0,
  volume: 100,
  ...over,
});

const rows = [
  row('eu-west', {
    dim: 'region',
    actual: 42,
    expected: 100,
    share: 0.95,
    expectedShare: 0.25,
    z: -9,
  }),
  row('ios', { dim: 'device', actual: 480, expected: 500, share: 1.09, expectedShare: 0.5, z: -1 }),
  row('Android', { dim: 'device', actual: 300, expected: 290, share: -0.09, z: 0.6 }),
  row('latam', { dim: 'region', actual: 12, expected: 0, share: 0.2, expectedShare: 0.05, z: 4 }),
];
const order = (sort: ContributorSort) => sortContributors(rows, sort).map((c) => c.value);

describe('sortContributors', () => {
  it('sorts by contribution beyond size by default, not by raw share', () => {
    expect(DEFAULT_CONTRIBUTOR_SORT).toEqual({ key: 'excess', direction: 'descending' });
    // ios carries more of the change (109%) but has half the traffic; eu-west 95% from 25%.
    expect(sortContributors(rows).map((c) => c.value)).toEqual([
      'eu-west',
      'ios',
      'latam',
      'Android',
    ]);
    expect(order({ key: 'share', direction: 'descending' })).toEqual([
      'ios',
      'eu-west',
      'latam',
      'Android',
    ]);
    expect(order({ key: 'share', direction: 'ascending' })).toEqual([
      'Android',
      'latam',
      'eu-west',
      'ios',
    ]);
  });

  it('sorts names as text, case aside, and ties in the order given', () => {
    expect(order({ key: 'value', direction: 'ascending' })).toEqual([
      'Android',
      'eu-west',
      'ios',
      'latam',
    ]);
    expect(order({ key: 'dim', direction: 'ascending' })).toEqual([
      'ios',
      'Android',
      'eu-west',
      'latam',
    ]);
    expect(order({ key: 'dim', direction: 'descending' })).toEqual([
      'eu-west',
      'latam',
      'ios',
      'Android',
    ]);
  });

  it('sorts by every number column; a new slice has the largest change, missing values go last', () => {
    expect(order({ key: 'actual', direction: 'descending' })).toEqual([
      'ios',
      'Android',
      'eu-west',
      'latam',
    ]);
    expect(order({ key: 'expected', direction: 'ascending' })).toEqual([
      'latam',
      'eu-west',
      'Android',
      'ios',
    ]);
    expect(order({ key: 'change', direction: 'descending' })).toEqual([
      'latam',
      'Android',
      'ios',
      'eu-west',
    ]);
    expect(order({ key: 'z', direction: 'ascending' })).toEqual([
      'eu-west',
      'ios',
      'Android',
      'latam',
    ]);
    for (const direction of ['ascending', 'descending'] as const) {
      expect(order({ key: 'expectedShare', direction }).at(-1)).toBe('Android');
    }
  });

  it('does not change the rows it is given', () => {
    const copy = [...rows];
    sortContributors(rows, { key: 'value', direction: 'ascending' });
    expect(rows).toEqual(copy);
  });
});

describe('nextSort and ariaSort', () => {
  it('flips the sorted column and starts another in its natural order', () => {
    const start = DEFAULT_CONTRIBUTOR_SORT;
    expect(nextSort(start, 'excess')).toEqual({ key: 'excess', direction: 'ascending' });
    expect(nextSort(start, 'share')).toEqual({ key: 'share', direction: 'descending' });
    expect(nextSort(start, 'value')).toEqual({ key: 'value', direction: 'ascending' });
    expect(nextSort(start, 'z')).toEqual({ key: 'z', direction: 'descending' });
    expect(nextSort({ key: 'value', direction: 'ascending' }, 'value')).toEqual({
      key: 'value',
      direction: 'descending',
    });
  });

  it('announces the direction on the sorted column only', () => {
    expect(ariaSort(DEFAULT_CONTRIBUTOR_SORT, 'excess')).toBe('descending');
    expect(ariaSort(DEFAULT_CONTRIBUTOR_SORT, 'share')).toBe('none');
    expect(ariaSort(DEFAULT_CONTRIBUTOR_SORT, 'value')).toBe('none');
  });
});

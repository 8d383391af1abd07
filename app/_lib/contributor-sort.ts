/**
 * Sorting the drill-down's contributors table by any column. Pure: the table keeps a
 * {@link ContributorSort} in state, `nextSort` answers a click on a header, `ariaSort` what the
 * header announces.
 */
import type { Contributor } from '@/lib/types';

export type ContributorSortKey =
  'dim' | 'value' | 'actual' | 'expected' | 'change' | 'share' | 'expectedShare' | 'excess' | 'z';

export type SortDirection = 'ascending' | 'descending';

export interface ContributorSort {
  key: ContributorSortKey;
  direction: SortDirection;
}

/**
 * By contribution beyond size: the values that carry most more of the change than their usual
 * share first — the explanation's own ranking (lib/detection/breakdown.ts). Not by raw share,
 * which puts a big value that only followed its traffic above the cause.
 */
export const DEFAULT_CONTRIBUTOR_SORT: ContributorSort = { key: 'excess', direction: 'descending' };

const TEXT_KEYS: readonly ContributorSortKey[] = ['dim', 'value'];

/** A slice's relative change; null without an expected value (a new slice sorts as the largest). */
function relativeChange(c: Contributor): number | null {
  if (!Number.isFinite(c.actual) || !Number.isFinite(c.expected)) return null;
  if (c.expected === 0) return c.actual === 0 ? 0 : Number.POSITIVE_INFINITY;
  return c.actual / c.expected - 1;
}

/** share − expected share; null for an explanation stored before expected shares existed. */
export function excessOf(c: Contributor): number | null {
  if (c.excess !== undefined) return c.excess;
  return c.expectedShare === undefined ? null : c.share - c.expectedShare;
}

function numberOf(c: Contributor, key: ContributorSortKey): number | null {
  const value =
    key === 'change'
      ? relativeChange(c)
      : key === 'expectedShare'
        ? (c.expectedShare ?? null)
        : key === 'excess'
          ? excessOf(c)
          : (c[key as 'actual' | 'expected' | 'share' | 'z'] as number);
  return value === null || Number.isNaN(value) ? null : value;
}

/** Code-unit order with a case-insensitive first pass: stable wherever it runs. */
function compareText(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The rows in the order `sort` asks for: numbers by value, names by text; rows without a value
 * (an old explanation without expected shares) last either way; ties keep the order they came
 * in (the explanation's ranking). Returns a new array.
 */
export function sortContributors(
  rows: readonly Contributor[],
  sort: ContributorSort = DEFAULT_CONTRIBUTOR_SORT,
): Contributor[] {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  const text = TEXT_KEYS.includes(sort.key);
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      if (text) {
        const key = sort.key as 'dim' | 'value';
        return sign * compareText(a.row[key], b.row[key]) || a.index - b.index;
      }
      const x = numberOf(a.row, sort.key);
      const y = numberOf(b.row, sort.key);
      if (x === null || y === null)
        return (x === null ? 1 : 0) - (y === null ? 1 : 0) || a.index - b.index;
      return x === y ? a.index - b.index : sign * (x < y ? -1 : 1);
    })
    .map(({ row }) => row);
}

/**
 * The sort after a click on `key`'s header: the same column flips; another starts with its
 * natural order (names A to Z, numbers largest first).
 */
export function nextSort(current: ContributorSort, key: ContributorSortKey): ContributorSort {
  if (current.key === key) {
    return { key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
  }
  return { key, direction: TEXT_KEYS.includes(key) ? 'ascending' : 'descending' };
}

/** The header's aria-sort: the direction on the sorted column, 'none' on the others. */
export function ariaSort(
  current: ContributorSort,
  key: ContributorSortKey,
): SortDirection | 'none' {
  return current.key === key ? current.direction : 'none';
}

'use client';
/**
 * The top contributors across dimensions, sortable by any column (app/_lib/contributor-sort.ts):
 * by contribution beyond size (the explanation's ranking) until a header is pressed. Values link to the explore
 * page filtered to them; a share above the whole, or against the change, says why beside it.
 */
import { useState } from 'react';
import type { SliceTone } from '@/lib/detection/breakdown';
import type { Contributor } from '@/lib/types';
import { EventText } from '../../_components/event-text';
import {
  DEFAULT_CONTRIBUTOR_SORT,
  ariaSort,
  excessOf,
  nextSort,
  sortContributors,
  type ContributorSort,
  type ContributorSortKey,
} from '../../_lib/contributor-sort';
import {
  formatPoints,
  formatShare,
  formatSliceChange,
  formatZ,
  shareNote,
} from '../../_lib/format';
import { PivotLink, type PivotContext } from './pivot-link';
import { TableWrap } from '@/app/_components/table-wrap';

interface Column {
  key: ContributorSortKey;
  label: string;
  numeric: boolean;
  /** What the column means, for the header's tooltip and the notes under the table. */
  hint?: string;
}

const COLUMNS: readonly Column[] = [
  { key: 'dim', label: 'Dimension', numeric: false },
  { key: 'value', label: 'Value', numeric: false },
  { key: 'actual', label: 'Actual', numeric: true },
  { key: 'expected', label: 'Expected', numeric: true },
  { key: 'change', label: 'Change', numeric: true },
  {
    key: 'share',
    label: 'Share of the change',
    numeric: true,
    hint: "how much of its dimension's change the value carries; a dimension's values add up to 100%",
  },
  {
    key: 'expectedShare',
    label: 'Usual share',
    numeric: true,
    hint: 'its share of the expected total: what it would carry had it only followed its traffic',
  },
  {
    key: 'excess',
    label: 'Beyond its share',
    numeric: true,
    hint: 'share of the change minus usual share, in percentage points (pts): how much more of the change it carries than its size explains. Sorted by this at first',
  },
  {
    key: 'z',
    label: 'z',
    numeric: true,
    hint: 'how unusual its own value is: standard deviations from its expected value',
  },
];

export function ContributorsTable({
  top,
  format,
  change,
  pivot,
  toneOf,
}: {
  top: Contributor[];
  format: (value: number) => string;
  change: 'drop' | 'rise';
  pivot: PivotContext;
  /** The breakdown's classification of a value (its dimension's colours), if it has one. */
  toneOf: (c: Contributor) => SliceTone | undefined;
}) {
  const [sort, setSort] = useState<ContributorSort>(DEFAULT_CONTRIBUTOR_SORT);
  const rows = sortContributors(top, sort);
  return (
    <>
      <TableWrap label="Top contributors">
        <table className="table sortable" data-testid="contributors">
          <caption className="sr-only">
            Top contributors, sorted by {COLUMNS.find((c) => c.key === sort.key)!.label} (
            {sort.direction}). Press a column header to sort by it.
          </caption>
          <thead>
            <tr>
              {COLUMNS.map((column) => (
                <th
                  key={column.key}
                  scope="col"
                  className={column.numeric ? 'num' : undefined}
                  aria-sort={ariaSort(sort, column.key)}
                >
                  <button
                    type="button"
                    className="sort-button"
                    title={column.hint ? `${column.label}: ${column.hint}` : undefined}
                    onClick={() => setSort((current) => nextSort(current, column.key))}
                    data-testid={`sort-${column.key}`}
                  >
                    {column.label}
                    <span className="sort-indicator" aria-hidden="true">
                      {sort.key !== column.key ? '↕' : sort.direction === 'ascending' ? '↑' : '↓'}
                    </span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => {
              const note = shareNote(c.share, change, 'the other values');
              const tone = toneOf(c);
              return (
                <tr key={`${c.dim}\u0000${c.value}`}>
                  <td>
                    <EventText value={c.dim} />
                  </td>
                  <td className="cell-value">
                    <PivotLink pivot={pivot} filter={{ [c.dim]: c.value }}>
                      <EventText value={c.value} />
                    </PivotLink>
                  </td>
                  <td className="num">{format(c.actual)}</td>
                  <td className="num">{format(c.expected)}</td>
                  <td className="num">{formatSliceChange(c.actual, c.expected)}</td>
                  <td className="num">
                    <span className="share">
                      <span className="share-track" aria-hidden="true">
                        <span
                          className={`share-bar ${tone?.beyondShare ? `tone-${tone.direction}` : 'tone-neutral'}`}
                          style={{ width: `${Math.min(100, Math.max(0, c.share) * 100)}%` }}
                        />
                      </span>
                      <span className="share-text">{formatShare(c.share)}</span>
                    </span>
                    {note ? <span className="share-note">{note}</span> : null}
                  </td>
                  <td className="num">
                    {c.expectedShare === undefined ? '—' : formatShare(c.expectedShare)}
                  </td>
                  <td className="num">{formatPoints(excessOf(c))}</td>
                  <td className="num">{formatZ(c.z)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
      <ul className="muted footnote column-notes">
        {COLUMNS.filter((c) => c.hint).map((c) => (
          <li key={c.key}>
            <strong>{c.label}</strong>: {c.hint}.
          </li>
        ))}
      </ul>
    </>
  );
}

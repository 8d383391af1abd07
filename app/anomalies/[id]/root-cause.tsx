/**
 * The multi-dimensional root cause: the smallest set of dimension-value conjunctions that
 * explains the change, each a link to the explore page filtered to it, and the ranked
 * candidates it was chosen from with their share of the change and fit in words.
 */
import { Fragment } from 'react';
import type { RootCause } from '@/lib/types';
import { EventText } from '../../_components/event-text';
import { formatShare, scoreWords, shareNote } from '../../_lib/format';
import { PivotLink, type PivotContext } from './pivot-link';
import { TableWrap } from '@/app/_components/table-wrap';

/** A conjunction as a key: its text, never shown (see Conjunction). */
export const conjunctionKey = (elements: Record<string, string>) =>
  Object.entries(elements)
    .map(([dim, value]) => `${dim}=${value}`)
    .join(' AND ');

/** `region=eu-west AND device=ios`, each name and value isolated (event data). */
export function Conjunction({ elements }: { elements: Record<string, string> }) {
  return Object.entries(elements).map(([dim, value], i) => (
    <Fragment key={dim}>
      {i > 0 ? ' AND ' : null}
      <EventText value={dim} />=<EventText value={value} />
    </Fragment>
  ));
}

export function RootCauseCard({
  rootCause,
  change,
  pivot,
}: {
  rootCause: RootCause;
  change: 'drop' | 'rise';
  pivot: PivotContext;
}) {
  const candidates = rootCause.candidates.slice(0, 5);
  return (
    <section className="card" aria-labelledby="root-cause-heading" data-testid="root-cause">
      <h2 id="root-cause-heading">Root cause</h2>
      {rootCause.set.length === 0 ? (
        <p className="empty">
          No combination of up to three dimension values explains it: the change is spread.
        </p>
      ) : (
        <ul className="cause-set" aria-label="Root-cause set">
          {rootCause.set.map((elements) => (
            <li key={conjunctionKey(elements)} className="cause-chip">
              <PivotLink pivot={pivot} filter={elements}>
                <Conjunction elements={elements} />
              </PivotLink>
            </li>
          ))}
        </ul>
      )}
      {rootCause.namedBy === 'slice-drift' ? (
        <p className="muted" data-testid="root-cause-named-by">
          Named by the slice drift test: <EventText value={rootCause.sentence} />
          {candidates.length > 0 ? ' The candidates below are what this window alone shows.' : ''}
        </p>
      ) : null}
      {rootCause.namedBy === 'drift-span' ? (
        <p className="muted" data-testid="root-cause-named-by">
          Named from all of the drift&rsquo;s windows added up: this window&rsquo;s change alone is
          too small to name a cause.
          {candidates.length > 0 ? ' The candidates below are from all of them too.' : ''}
        </p>
      ) : null}
      {candidates.length > 0 ? (
        <>
          <TableWrap label="Root-cause candidates">
            <table className="table" data-testid="root-cause-candidates">
              <caption className="muted">Candidates, best first</caption>
              <thead>
                <tr>
                  <th scope="col">Slice</th>
                  <th scope="col" className="num">
                    Share of the {change}
                  </th>
                  <th scope="col" className="num">
                    Fit
                  </th>
                </tr>
              </thead>
              <tbody>
                {candidates.map((c) => {
                  const note = shareNote(c.explains, change, 'the other slices');
                  return (
                    <tr key={conjunctionKey(c.elements)}>
                      <td className="cell-value">
                        <PivotLink pivot={pivot} filter={c.elements}>
                          <Conjunction elements={c.elements} />
                        </PivotLink>
                      </td>
                      <td className="num">
                        {formatShare(c.explains)}
                        {note ? <span className="share-note">{note}</span> : null}
                      </td>
                      <td className="num">{scoreWords(c.score)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
          <p className="muted footnote" data-testid="root-cause-notes">
            <strong>Share of the {change}</strong>: how much of the {change} happened in the slice;
            above 100% when the other slices moved the other way. <strong>Fit</strong>: how much of
            the unusual pattern the slice explains on its own, from 0 (nothing: it changed like
            everything else) to 1 (all of it).
          </p>
        </>
      ) : null}
    </section>
  );
}

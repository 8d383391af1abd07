'use client';
/**
 * Compare, split and filter controls of the explore page. Each change is a navigation (the
 * caller's `onChange`), so the URL always says what is shown.
 */
import { useState } from 'react';
import { MAX_FILTERS, type Compare, type ExploreState } from '@/lib/explore/view-state';
import { EventText } from '@/app/_components/event-text';
import { revealControls } from '@/app/_lib/format';

const TOP_CHOICES = [3, 5, 10, 20] as const;

export function ViewControls({
  state,
  dimensions,
  onChange,
}: {
  state: ExploreState;
  dimensions: { dim: string; values: string[] }[];
  onChange: (next: Partial<ExploreState>) => void;
}) {
  const [adding, setAdding] = useState<{ dim: string; value: string }>({ dim: '', value: '' });
  const filters = Object.entries(state.filter);
  const free = dimensions.filter((d) => !(d.dim in state.filter));
  const valuesOf = (dim: string) => dimensions.find((d) => d.dim === dim)?.values ?? [];
  // The split dimension the URL names may have no values lately; keep it choosable.
  const splitDims = dimensions.map((d) => d.dim);
  if (state.split && !splitDims.includes(state.split)) splitDims.push(state.split);

  return (
    <div className="explore-controls">
      <label className="control">
        <span>Compare with</span>
        <select
          value={state.compare}
          onChange={(e) => onChange({ compare: e.target.value as Compare })}
          data-testid="compare"
        >
          <option value="off">Nothing</option>
          <option value="1d">A day before</option>
          <option value="1w">A week before</option>
        </select>
      </label>
      <label className="control">
        <span>Split by</span>
        <select
          value={state.split ?? ''}
          onChange={(e) => onChange({ split: e.target.value === '' ? null : e.target.value })}
          data-testid="split"
        >
          <option value="">No split</option>
          {splitDims.map((dim) => (
            <option key={dim} value={dim}>
              {revealControls(dim)}
            </option>
          ))}
        </select>
      </label>
      {state.split ? (
        <label className="control">
          <span>Lines</span>
          <select
            value={state.top}
            onChange={(e) => onChange({ top: Number(e.target.value) })}
            data-testid="split-top"
          >
            {TOP_CHOICES.map((n) => (
              <option key={n} value={n}>
                Top {n} + other
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <div className="control explore-filter-control">
        <span aria-hidden>Filters</span>
        <div className="explore-filters" role="group" aria-label="Filters">
          {filters.map(([dim, value]) => (
            <span key={dim} className="chip" data-testid="filter-chip">
              <EventText value={`${dim}=${value}`} />
              <button
                type="button"
                className="chip-remove"
                aria-label={revealControls(`Remove filter ${dim}=${value}`)}
                onClick={() => {
                  const next = { ...state.filter };
                  delete next[dim];
                  onChange({ filter: next });
                }}
              >
                ×
              </button>
            </span>
          ))}
          {filters.length < MAX_FILTERS && free.length > 0 ? (
            <form
              method="post"
              className="add-filter"
              onSubmit={(e) => {
                e.preventDefault();
                if (!adding.dim || !adding.value) return;
                onChange({ filter: { ...state.filter, [adding.dim]: adding.value } });
                setAdding({ dim: '', value: '' });
              }}
            >
              <label className="sr-only" htmlFor="filter-dim">
                Filter dimension
              </label>
              <select
                id="filter-dim"
                value={adding.dim}
                onChange={(e) => setAdding({ dim: e.target.value, value: '' })}
              >
                <option value="">Filter by…</option>
                {free.map((d) => (
                  <option key={d.dim} value={d.dim}>
                    {revealControls(d.dim)}
                  </option>
                ))}
              </select>
              {adding.dim ? (
                <>
                  <label className="sr-only" htmlFor="filter-value">
                    Value of {revealControls(adding.dim)}
                  </label>
                  <select
                    id="filter-value"
                    value={adding.value}
                    onChange={(e) => setAdding({ ...adding, value: e.target.value })}
                  >
                    <option value="">Value…</option>
                    {valuesOf(adding.dim).map((v) => (
                      <option key={v} value={v}>
                        {revealControls(v)}
                      </option>
                    ))}
                  </select>
                  <button type="submit" className="button" disabled={!adding.value}>
                    Add filter
                  </button>
                </>
              ) : null}
            </form>
          ) : null}
        </div>
      </div>
    </div>
  );
}

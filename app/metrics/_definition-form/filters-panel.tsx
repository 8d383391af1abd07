/**
 * Filters: rows of a dimension and its allowed values. A value typed but not added yet counts
 * as added (see rowValues); a row's error shows only after a submit (see rowError).
 */
import type { MetricCatalog } from '@/lib/views';
import { DEFINITION_LIMITS } from '@/lib/metrics/definition';
import { EventText } from '../../_components/event-text';
import { revealControls } from '../../_lib/format';
import { Suggestions } from './suggestions';
import { newRow, rowError, valuesOf, type DefinitionFormModel, type FilterRow } from './values';

export function FiltersPanel({
  form,
  catalog,
}: {
  form: DefinitionFormModel;
  catalog: MetricCatalog;
}) {
  const { values } = form;
  const errors = { server: form.serverErrors, client: form.checked.errors };

  /** A change inside a row answers the server's filter errors (they name dimensions, not rows). */
  function changeRow(id: number, patch: Partial<FilterRow>) {
    form.edit(
      (v) => ({
        ...v,
        filters: v.filters.map((row) => (row.id === id ? { ...row, ...patch } : row)),
      }),
      (key) => key.startsWith('filters'),
    );
  }

  function addValue(row: FilterRow, value: string) {
    const v = value.trim();
    if (!v) return;
    changeRow(row.id, {
      values: row.values.includes(v) ? row.values : [...row.values, v],
      draft: '',
    });
  }

  const wholeError = form.errorFor('filters');
  return (
    <fieldset className="filters" aria-describedby="filters-hint">
      <legend>Filters</legend>
      <p id="filters-hint" className="hint">
        Only events with one of the values in every filtered dimension count
        {values.kind === 'ratio' ? ' (above and below the line)' : ''}.
      </p>
      {values.filters.length === 0 ? (
        <p className="muted small" data-testid="no-filters">
          No filters: every event of the type counts.
        </p>
      ) : null}
      {values.filters.map((row, index) => {
        const error = rowError(values.filters, row, errors, form.submitted);
        const known = valuesOf(catalog, row.dim).filter((v) => !row.values.includes(v));
        return (
          <div key={row.id} className="filter-row" data-testid="filter-row">
            <div className="field">
              <label htmlFor={`filter-dim-${row.id}`}>
                Dimension<span className="sr-only"> of filter {index + 1}</span>
              </label>
              <input
                id={`filter-dim-${row.id}`}
                value={row.dim}
                list="dimension-options"
                autoComplete="off"
                spellCheck={false}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `filter-error-${row.id}` : undefined}
                onChange={(e) => changeRow(row.id, { dim: e.target.value })}
              />
            </div>
            <div className="field">
              <label htmlFor={`filter-value-${row.id}`}>
                Values<span className="sr-only"> of filter {index + 1}</span>
              </label>
              {row.values.length > 0 ? (
                <ul className="tag-list" aria-label={`Values of ${row.dim || 'filter'}`}>
                  {row.values.map((v) => (
                    <li key={v}>
                      <button
                        type="button"
                        className="tag"
                        aria-label={revealControls(`Remove ${v}`)}
                        onClick={() =>
                          changeRow(row.id, { values: row.values.filter((x) => x !== v) })
                        }
                      >
                        <EventText className="tag-text" value={v} />{' '}
                        <span aria-hidden="true">×</span>
                      </button>
                    </li>
                  ))}
                </ul>
              ) : null}
              <div className="value-adder">
                <input
                  id={`filter-value-${row.id}`}
                  value={row.draft}
                  list={`filter-values-${row.id}`}
                  autoComplete="off"
                  placeholder="Add a value"
                  onChange={(e) => changeRow(row.id, { draft: e.target.value })}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault();
                      addValue(row, row.draft);
                    }
                  }}
                />
                <datalist id={`filter-values-${row.id}`}>
                  {known.map((v) => (
                    <option key={v} value={v} />
                  ))}
                </datalist>
                <button
                  type="button"
                  className="button button-ghost"
                  onClick={() => addValue(row, row.draft)}
                >
                  Add
                </button>
              </div>
              <Suggestions
                label={`Add a value of ${row.dim || 'the dimension'}`}
                options={known.slice(0, 8)}
                onPick={(v) => addValue(row, v)}
              />
            </div>
            <button
              type="button"
              className="button-link filter-remove"
              onClick={() =>
                form.setValues((v) => ({
                  ...v,
                  filters: v.filters.filter((r) => r.id !== row.id),
                }))
              }
            >
              Remove filter<span className="sr-only"> {index + 1}</span>
            </button>
            {error ? (
              <p id={`filter-error-${row.id}`} role="alert" className="field-error filter-error">
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
      {wholeError ? (
        <p role="alert" className="field-error">
          {wholeError}
        </p>
      ) : null}
      <div>
        <button
          type="button"
          className="button button-ghost"
          disabled={values.filters.length >= DEFINITION_LIMITS.maxFilterDims}
          onClick={() =>
            form.setValues((v) => ({
              ...v,
              filters: [...v.filters, newRow(v.nextRowId)],
              nextRowId: v.nextRowId + 1,
            }))
          }
        >
          Add a filter
        </button>
      </div>
    </fieldset>
  );
}

/**
 * What the metric measures: its kind, and the event types and measure that kind reads. Only
 * the fields of the chosen kind are shown (and sent).
 */
import type { MetricCatalog } from '@/lib/views';
import type { MetricKind } from '@/lib/types';
import { Field, FieldError } from '../../_components/form-field';
import { Suggestions } from './suggestions';
import { splitTypes, type DefinitionFormModel } from './values';

const KINDS: { kind: MetricKind; label: string; hint: string }[] = [
  { kind: 'count', label: 'Count', hint: 'number of events' },
  { kind: 'sum', label: 'Sum', hint: 'total of a measure' },
  { kind: 'avg', label: 'Average', hint: 'mean of a measure' },
  { kind: 'ratio', label: 'Ratio', hint: 'one count ÷ another' },
];

/** Props of a text input naming an event type or measure: no autocomplete, no spelling. */
const codeInput = { autoComplete: 'off', spellCheck: false } as const;

export function MeasurePanel({
  form,
  catalog,
}: {
  form: DefinitionFormModel;
  catalog: MetricCatalog;
}) {
  const { values, errorFor, fieldProps, set } = form;
  const extraTypes = splitTypes(values.extraEventTypes);
  const ratio = values.kind === 'ratio';
  return (
    <>
      <fieldset
        className="kind-picker"
        aria-describedby={errorFor('kind') ? 'kind-error' : undefined}
      >
        <legend>Kind</legend>
        <div className="kind-options">
          {KINDS.map(({ kind, label, hint }) => (
            <label key={kind} className="kind-option" data-selected={values.kind === kind}>
              <input
                type="radio"
                name="kind"
                value={kind}
                checked={values.kind === kind}
                onChange={() => set('kind', kind)}
              />
              <span className="kind-label">{label}</span>
              <span className="hint">{hint}</span>
            </label>
          ))}
        </div>
        <FieldError id="kind" error={errorFor('kind')} />
      </fieldset>

      <Field
        id="eventType"
        label={ratio ? 'Numerator event type' : 'Event type'}
        hint={
          ratio
            ? 'Events counted above the line, e.g. purchase.'
            : 'Events of this type are measured, e.g. purchase.'
        }
        error={errorFor('eventType')}
      >
        <input
          {...fieldProps('eventType')}
          {...codeInput}
          value={values.eventType}
          list="event-type-options"
          onChange={(e) => set('eventType', e.target.value)}
        />
      </Field>

      {values.kind === 'count' ? (
        <Field
          id="extraEventTypes"
          label="Also count (optional)"
          hint="Further event types counted together with the first, separated by commas."
          error={errorFor('extraEventTypes')}
          after={
            <Suggestions
              label="Add an event type"
              options={catalog.eventTypes
                .map((t) => t.type)
                .filter((t) => t !== values.eventType.trim() && !extraTypes.includes(t))}
              onPick={(type) => set('extraEventTypes', [...extraTypes, type].join(', '))}
            />
          }
        >
          <input
            {...fieldProps('extraEventTypes')}
            {...codeInput}
            value={values.extraEventTypes}
            onChange={(e) => set('extraEventTypes', e.target.value)}
          />
        </Field>
      ) : null}

      {values.kind === 'sum' || values.kind === 'avg' ? (
        <Field
          id="measure"
          label="Measure"
          hint={
            values.kind === 'sum'
              ? 'The number added up per window, e.g. revenue.'
              : 'The number averaged over the events that carry it, e.g. latency_ms.'
          }
          error={errorFor('measure')}
        >
          <input
            {...fieldProps('measure')}
            {...codeInput}
            value={values.measure}
            list="measure-options"
            onChange={(e) => set('measure', e.target.value)}
          />
        </Field>
      ) : null}

      {ratio ? (
        <Field
          id="denominatorEventType"
          label="Denominator event type"
          hint="Events counted below the line, e.g. session_start for a conversion rate."
          error={errorFor('denominatorEventType')}
        >
          <input
            {...fieldProps('denominatorEventType')}
            {...codeInput}
            value={values.denominatorEventType}
            list="event-type-options"
            onChange={(e) => set('denominatorEventType', e.target.value)}
          />
        </Field>
      ) : null}
    </>
  );
}

/** Window and unit: how often the metric is scored, and how its values read. */
import { DEFINITION_LIMITS } from '@/lib/metrics/definition';
import { Field } from '../../_components/form-field';
import { formatWindowLength } from '../window-length';
import type { DefinitionFormModel } from './values';

export function WindowPanel({
  form,
  windowMs,
}: {
  form: DefinitionFormModel;
  /** Base window of the detector (PULSE_WINDOW), in ms. */
  windowMs: number;
}) {
  const { values, errorFor, fieldProps, set } = form;
  const multiple = Number(values.windowMultiple);
  return (
    <div className="field-pair">
      <Field
        id="windowMultiple"
        label="Window multiple"
        hint={
          <>
            {Number.isInteger(multiple) && multiple >= 1 && multiple <= 60
              ? `Scored every ${formatWindowLength(multiple * windowMs)}`
              : 'From 1 to 60'}{' '}
            ({formatWindowLength(windowMs)} base windows).
          </>
        }
        error={errorFor('windowMultiple')}
      >
        <input
          {...fieldProps('windowMultiple')}
          type="number"
          inputMode="numeric"
          min={1}
          max={DEFINITION_LIMITS.maxWindowMultiple}
          step={1}
          value={values.windowMultiple}
          onChange={(e) => set('windowMultiple', e.target.value)}
        />
      </Field>
      <Field
        id="unit"
        label="Unit"
        hint="% shows fractions as percent; ms, $ or any text."
        error={errorFor('unit')}
      >
        <input
          {...fieldProps('unit')}
          value={values.unit}
          list="unit-options"
          autoComplete="off"
          onChange={(e) => set('unit', e.target.value)}
        />
      </Field>
    </div>
  );
}

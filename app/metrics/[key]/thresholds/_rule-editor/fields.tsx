/** The two kinds of control of the rule editor: a number with its range, and a choice. */
import type { ReactNode } from 'react';
import { Field } from '@/app/_components/form-field';
import type { RuleField, RuleFormModel } from './values';

export interface RulePanelProps {
  form: RuleFormModel;
  /** Sets a value (and clears the "Saved." note: it no longer describes the form). */
  change: (field: RuleField, value: string) => void;
}

interface FieldProps extends RulePanelProps {
  name: RuleField;
  label: string;
  hint: ReactNode;
}

export function NumberField({
  form,
  change,
  name,
  label,
  hint,
  min,
  max,
  step,
  decimal = false,
}: FieldProps & { min: number; max?: number; step: number; decimal?: boolean }) {
  return (
    <Field id={name} label={label} hint={hint} error={form.errorFor(name)}>
      <input
        {...form.fieldProps(name)}
        value={form.values[name]}
        type="number"
        inputMode={decimal ? 'decimal' : 'numeric'}
        min={min}
        max={max}
        step={step}
        onChange={(e) => change(name, e.target.value)}
      />
    </Field>
  );
}

export function SelectField({
  form,
  change,
  name,
  label,
  hint,
  options,
  after,
}: FieldProps & {
  /** A value shown as it is, or a value with the words shown for it. */
  options: readonly (string | { value: string; label: string })[];
  after?: ReactNode;
}) {
  return (
    <Field id={name} label={label} hint={hint} error={form.errorFor(name)} after={after}>
      <select
        {...form.fieldProps(name)}
        value={form.values[name]}
        onChange={(e) => change(name, e.target.value)}
      >
        {options.map((option) => {
          const { value, label: words } =
            typeof option === 'string' ? { value: option, label: option } : option;
          return (
            <option key={value} value={value}>
              {words}
            </option>
          );
        })}
      </select>
    </Field>
  );
}

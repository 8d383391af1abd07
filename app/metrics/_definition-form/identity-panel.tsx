/** Key and name: how the metric is addressed (URLs, API) and how it is shown. */
import { DEFINITION_LIMITS } from '@/lib/metrics/definition';
import { Field } from '../../_components/form-field';
import type { DefinitionFormModel } from './values';

export function IdentityPanel({ form, editing }: { form: DefinitionFormModel; editing: boolean }) {
  return (
    <>
      <Field
        id="key"
        label="Key"
        hint={
          editing
            ? 'The key names the metric in URLs and the API; it cannot change.'
            : 'Lowercase letters, digits, _ or -, e.g. eu_purchases. It cannot change later.'
        }
        error={form.errorFor('key')}
      >
        <input
          {...form.fieldProps('key')}
          value={form.values.key}
          readOnly={editing}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => form.set('key', e.target.value)}
        />
      </Field>
      <Field
        id="name"
        label="Name"
        hint="Shown on the board, e.g. “Purchases in EU West”."
        error={form.errorFor('name')}
      >
        <input
          {...form.fieldProps('name')}
          value={form.values.name}
          maxLength={DEFINITION_LIMITS.maxName * 2}
          autoComplete="off"
          onChange={(e) => form.set('name', e.target.value)}
        />
      </Field>
    </>
  );
}

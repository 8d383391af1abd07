/**
 * The markup of a form field, shared by every form: label, control, hint, error. The ids follow
 * useForm's fieldProps (`<id>-hint`, `<id>-error`), which the control points at with
 * aria-describedby; the error is an alert, so it is read out when it appears.
 */
import type { ReactNode } from 'react';

export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  return error ? (
    <p id={`${id}-error`} role="alert" className="field-error">
      {error}
    </p>
  ) : null;
}

export function Field({
  id,
  label,
  hint,
  error,
  after,
  children,
}: {
  id: string;
  label: ReactNode;
  hint: ReactNode;
  error: string | undefined;
  /** Shown between the hint and the error, e.g. quick picks. */
  after?: ReactNode;
  /** The control, labelled by `id`. */
  children: ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      <p id={`${id}-hint`} className="hint">
        {hint}
      </p>
      {after}
      <FieldError id={id} error={error} />
    </div>
  );
}

/**
 * The state of a form as a pure reducer: its values, the fields a person has left, whether a
 * submit was tried, the server's field errors and form-level message, and whether a request is
 * out. `useForm` (./use-form.ts) drives it in the browser; the rules for when an error shows
 * live here, so they are tested without a DOM.
 */

/** One message per field. Keys are field names; a server may use dotted ones (`filters.region`). */
export type FieldErrors<F extends string> = Partial<Record<F, string>>;

/**
 * A form's values as the client checks them: what would be sent (null while the values do not
 * parse) and the messages per field. Kept apart because a form may hold a parsed value and
 * still refuse it (a filter row without its dimension), and may want that value meanwhile.
 */
export interface Checked<Out, F extends string> {
  value: Out | null;
  errors: FieldErrors<F>;
}

/** True when the form may be sent: the values parse and no field has a message. */
export function isSendable<Out, F extends string>(
  checked: Checked<Out, F>,
): checked is { value: Out; errors: FieldErrors<F> } {
  return checked.value !== null && Object.keys(checked.errors).length === 0;
}

export interface FormState<V, F extends string> {
  values: V;
  /** Fields the person has left (blur): their client errors show from then on. */
  touched: Partial<Record<F, true>>;
  /** A submit was tried: every client error shows. */
  submitted: boolean;
  /** Field errors of the last refused request; each goes when its field changes. */
  serverErrors: FieldErrors<F>;
  /** The message under the form: the server's error, or why a submit was refused. */
  formError: string | null;
  /** A request is out. */
  pending: boolean;
}

export type FormAction<V, F extends string> =
  /**
   * New values. `clears` names the server errors the change answers (they go, with the form's
   * message); null changes the values only, e.g. a row added, or values another person saved.
   */
  | { type: 'change'; update: (values: V) => V; clears: ((key: F) => boolean) | null }
  | { type: 'touch'; field: F }
  | { type: 'submit' }
  | { type: 'refuse'; message: string | null }
  | { type: 'send' }
  /** The server refused: its messages replace the earlier ones; `keep` trims the values. */
  | { type: 'fail'; error: string; fields: FieldErrors<F>; keep: ((values: V) => V) | null }
  /** The request ended without a word for the form (a 401 on its way to the sign-in page). */
  | { type: 'settle' }
  /** Saved and staying on the page: these values, as if freshly opened. */
  | { type: 'succeed'; values: V }
  /** Start over from `values` (discard, or load another person's save); a request stays out. */
  | { type: 'reset'; values: V };

export function initFormState<V, F extends string>(values: V): FormState<V, F> {
  return {
    values,
    touched: {},
    submitted: false,
    serverErrors: {},
    formError: null,
    pending: false,
  };
}

function without<F extends string>(
  errors: FieldErrors<F>,
  drop: (key: F) => boolean,
): FieldErrors<F> {
  const keys = Object.keys(errors) as F[];
  if (!keys.some(drop)) return errors;
  const next: FieldErrors<F> = {};
  for (const key of keys) if (!drop(key)) next[key] = errors[key];
  return next;
}

export function formReducer<V, F extends string>(
  state: FormState<V, F>,
  action: FormAction<V, F>,
): FormState<V, F> {
  switch (action.type) {
    case 'change': {
      const values = action.update(state.values);
      if (action.clears === null) return { ...state, values };
      return {
        ...state,
        values,
        serverErrors: without(state.serverErrors, action.clears),
        formError: null,
      };
    }
    case 'touch':
      return state.touched[action.field]
        ? state
        : { ...state, touched: { ...state.touched, [action.field]: true } };
    case 'submit':
      // Server errors stay: they describe values the person has not changed since.
      return { ...state, submitted: true, formError: null };
    case 'refuse':
      return { ...state, formError: action.message };
    case 'send':
      return { ...state, pending: true };
    case 'fail':
      return {
        ...state,
        values: action.keep ? action.keep(state.values) : state.values,
        pending: false,
        serverErrors: action.fields,
        formError: action.error,
      };
    case 'settle':
      return { ...state, pending: false };
    case 'succeed':
      return initFormState(action.values);
    case 'reset':
      return { ...initFormState<V, F>(action.values), pending: state.pending };
  }
}

/**
 * The error shown next to `field`: the server's, else the client's once the field was left or
 * a submit was tried (nobody wants "Give the metric a key." before typing one).
 */
export function shownError<V, F extends string>(
  state: FormState<V, F>,
  clientErrors: FieldErrors<F>,
  field: F,
): string | undefined {
  return (
    state.serverErrors[field] ??
    (state.submitted || state.touched[field] ? clientErrors[field] : undefined)
  );
}

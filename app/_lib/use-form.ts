/**
 * The one way to write a form in Pulse. The hook owns the values, touched fields, the submitted
 * flag, client errors from `validate` (the lib validators, so browser and API say the same),
 * the server's field errors after a refused request, the form-level message, pending, and the
 * 401: sign in again and come back here. The rules themselves are the pure reducer in
 * ./form-state.ts.
 */
import { usePathname, useRouter } from 'next/navigation';
import { useReducer, useState, type FormEvent } from 'react';
import { loginHref, type ApiResult } from './api';
import {
  formReducer,
  initFormState,
  isSendable,
  shownError,
  type Checked,
  type FieldErrors,
} from './form-state';

export type { Checked, FieldErrors } from './form-state';

export interface FormOptions<V, F extends string, Out, R> {
  initial: V | (() => V);
  /** Checks the values on every render: what would be sent, and the messages per field. */
  validate: (values: V) => Checked<Out, F>;
  /** Sends the checked value. */
  submit: (value: Out, values: V) => Promise<ApiResult<R>>;
  /**
   * After a successful request: the values to show next when the form stays on the page (it
   * starts afresh from them), or nothing when it navigates away (it stays pending meanwhile,
   * so nobody sends it twice).
   */
  onSuccess: (data: R, value: Out) => V | void;
  /** A submit the client check refused, e.g. to focus the first field in error. */
  onInvalid?: (errors: FieldErrors<F>) => void;
  /** The form-level message of such a submit; by default the fields say it all. */
  invalidMessage?: string;
  /** The values after a refused request (signing in forgets the password). */
  afterFailure?: (values: V) => V;
  /**
   * A 401 means the session ended: sign in again and come back to this page. False where 401
   * is the answer itself (a wrong password on the sign-in form).
   */
  signInOn401?: boolean;
  /** Nothing is sent (a viewer reading the form). */
  disabled?: boolean;
}

/** The attributes that tie a control to its label's hint and error, and mark it touched. */
export interface FieldProps {
  id: string;
  name: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string;
  onBlur: () => void;
}

export interface Form<V, F extends string, Out> {
  values: V;
  /** This render's client check. */
  checked: Checked<Out, F>;
  submitted: boolean;
  pending: boolean;
  formError: string | null;
  serverErrors: FieldErrors<F>;
  /** The error shown next to `field` (see shownError). */
  errorFor: (field: F) => string | undefined;
  /** Props of the control of `field`; its hint is `<id>-hint`, its error `<id>-error`. */
  fieldProps: (field: F, id?: string) => FieldProps;
  /** Sets one value; the server's error of that field goes, with the form-level message. */
  set: <K extends keyof V & F>(field: K, value: V[K]) => void;
  /** Changes several values; server errors whose key `clears` accepts go, with the message. */
  edit: (update: (values: V) => V, clears: (key: F) => boolean) => void;
  /** Changes values and nothing else (a row added, values another person saved). */
  setValues: (update: (values: V) => V) => void;
  touch: (field: F) => void;
  /** Starts over from `values` (default: the initial ones): nothing touched, no messages. */
  reset: (values?: V) => void;
  handleSubmit: (event: FormEvent<HTMLFormElement>) => void;
}

export function useForm<V, F extends string, Out, R>(
  options: FormOptions<V, F, Out, R>,
): Form<V, F, Out> {
  const router = useRouter();
  const pathname = usePathname();
  const [initial] = useState(options.initial);
  const [state, dispatch] = useReducer(formReducer<V, F>, initial, initFormState<V, F>);
  const checked = options.validate(state.values);

  const errorFor = (field: F) => shownError(state, checked.errors, field);

  async function send(value: Out, values: V) {
    const { submit, onSuccess, afterFailure, signInOn401 = true } = options;
    dispatch({ type: 'send' });
    const result = await submit(value, values);
    if (result.ok) {
      const next = onSuccess(result.data, value);
      if (next !== undefined) dispatch({ type: 'succeed', values: next });
      return;
    }
    if (result.status === 401 && signInOn401) {
      dispatch({ type: 'settle' });
      router.replace(loginHref(pathname));
      return;
    }
    dispatch({
      type: 'fail',
      error: result.error,
      fields: (result.fields ?? {}) as FieldErrors<F>,
      keep: afterFailure ?? null,
    });
  }

  return {
    values: state.values,
    checked,
    submitted: state.submitted,
    pending: state.pending,
    formError: state.formError,
    serverErrors: state.serverErrors,
    errorFor,
    fieldProps: (field, id = field) => {
      const error = errorFor(field);
      return {
        id,
        name: field,
        'aria-invalid': error ? true : undefined,
        'aria-describedby': error ? `${id}-error ${id}-hint` : `${id}-hint`,
        onBlur: () => dispatch({ type: 'touch', field }),
      };
    },
    set: (field, value) => {
      const name: F = field;
      dispatch({
        type: 'change',
        update: (values) => ({ ...values, [name]: value }),
        clears: (key) => key === name,
      });
    },
    edit: (update, clears) => dispatch({ type: 'change', update, clears }),
    setValues: (update) => dispatch({ type: 'change', update, clears: null }),
    touch: (field) => dispatch({ type: 'touch', field }),
    reset: (values = initial) => dispatch({ type: 'reset', values }),
    handleSubmit: (event) => {
      event.preventDefault();
      if (options.disabled || state.pending) return;
      dispatch({ type: 'submit' });
      if (!isSendable(checked)) {
        options.onInvalid?.(checked.errors);
        dispatch({ type: 'refuse', message: options.invalidMessage ?? null });
        return;
      }
      void send(checked.value, state.values);
    },
  };
}

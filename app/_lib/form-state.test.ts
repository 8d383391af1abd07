import { describe, expect, it } from 'vitest';
import {
  formReducer,
  initFormState,
  isSendable,
  shownError,
  type FieldErrors,
  type FormAction,
  type FormState,
} from './form-state';

type Values = { key: string; name: string; rows: string[] };
type Field = 'key' | 'name' | 'filters' | `filters.${string}`;

const start = (): FormState<Values, Field> =>
  initFormState({ key: '', name: 'Purchases', rows: [] });

const run = (state: FormState<Values, Field>, ...actions: FormAction<Values, Field>[]) =>
  actions.reduce(formReducer<Values, Field>, state);

const set = (field: 'key' | 'name', value: string): FormAction<Values, Field> => ({
  type: 'change',
  update: (v) => ({ ...v, [field]: value }),
  clears: (key) => key === field,
});

const client: FieldErrors<Field> = { key: 'Give the metric a key.' };

describe('shownError', () => {
  it('shows a client error only once its field was left or a submit was tried', () => {
    const fresh = start();
    expect(shownError(fresh, client, 'key')).toBeUndefined();
    expect(shownError(run(fresh, { type: 'touch', field: 'name' }), client, 'key')).toBeUndefined();
    expect(shownError(run(fresh, { type: 'touch', field: 'key' }), client, 'key')).toBe(
      'Give the metric a key.',
    );
    expect(shownError(run(fresh, { type: 'submit' }), client, 'key')).toBe(
      'Give the metric a key.',
    );
  });

  it("prefers the server's error, shown at once", () => {
    const failed = run(start(), {
      type: 'fail',
      error: 'Check the highlighted fields.',
      fields: { key: 'Another metric has this key; choose another.' },
      keep: null,
    });
    expect(shownError(failed, client, 'key')).toBe('Another metric has this key; choose another.');
    expect(shownError(failed, {}, 'key')).toBe('Another metric has this key; choose another.');
  });
});

describe('formReducer', () => {
  const failed = () =>
    run(
      start(),
      { type: 'touch', field: 'key' },
      { type: 'submit' },
      { type: 'send' },
      {
        type: 'fail',
        error: 'The definition has problems.',
        fields: { key: 'Taken.', name: 'Too long.', 'filters.region': 'Bad region.' },
        keep: null,
      },
    );

  it('marks a field touched once, keeping the same state after', () => {
    const touched = run(start(), { type: 'touch', field: 'key' });
    expect(touched.touched).toEqual({ key: true });
    expect(formReducer(touched, { type: 'touch', field: 'key' })).toBe(touched);
  });

  it('a refused request ends pending and replaces the server messages', () => {
    const state = failed();
    expect(state.pending).toBe(false);
    expect(state.formError).toBe('The definition has problems.');
    expect(state.serverErrors).toEqual({
      key: 'Taken.',
      name: 'Too long.',
      'filters.region': 'Bad region.',
    });
    const again = run(state, {
      type: 'fail',
      error: 'Still wrong.',
      fields: { name: 'Too long.' },
      keep: null,
    });
    expect(again.serverErrors).toEqual({ name: 'Too long.' });
  });

  it("changing a field drops its server error and the form's message, not the others", () => {
    const state = run(failed(), set('key', 'eu_purchases'));
    expect(state.values.key).toBe('eu_purchases');
    expect(state.serverErrors).toEqual({ name: 'Too long.', 'filters.region': 'Bad region.' });
    expect(state.formError).toBeNull();
    expect(state.submitted).toBe(true);
    expect(state.touched).toEqual({ key: true });
  });

  it('an edit drops the server errors it answers', () => {
    const state = run(failed(), {
      type: 'change',
      update: (v) => ({ ...v, rows: ['region'] }),
      clears: (key) => key.startsWith('filters'),
    });
    expect(state.serverErrors).toEqual({ key: 'Taken.', name: 'Too long.' });
    expect(state.formError).toBeNull();
  });

  it('a change of values alone keeps every message', () => {
    const before = failed();
    const state = run(before, {
      type: 'change',
      update: (v) => ({ ...v, rows: [...v.rows, ''] }),
      clears: null,
    });
    expect(state.values.rows).toEqual(['']);
    expect(state.serverErrors).toBe(before.serverErrors);
    expect(state.formError).toBe('The definition has problems.');
  });

  it('a submit clears the form message but keeps server errors of unchanged fields', () => {
    const state = run(failed(), { type: 'submit' });
    expect(state.formError).toBeNull();
    expect(state.serverErrors.key).toBe('Taken.');
    expect(run(state, { type: 'refuse', message: 'Check the highlighted fields.' }).formError).toBe(
      'Check the highlighted fields.',
    );
  });

  it('keeps only what `keep` leaves of the values after a refusal (the password goes)', () => {
    const state = run(start(), set('key', 'secret'), {
      type: 'fail',
      error: 'Wrong username or password.',
      fields: {},
      keep: (v) => ({ ...v, key: '' }),
    });
    expect(state.values).toEqual({ key: '', name: 'Purchases', rows: [] });
  });

  it('a 401 only ends pending', () => {
    const sent = run(failed(), { type: 'submit' }, { type: 'send' });
    const settled = run(sent, { type: 'settle' });
    expect(settled).toEqual({ ...sent, pending: false });
  });

  it('success starts afresh from the saved values', () => {
    const saved = { key: 'purchases', name: 'Purchases', rows: [] };
    const state = run(
      failed(),
      { type: 'submit' },
      { type: 'send' },
      { type: 'succeed', values: saved },
    );
    expect(state).toEqual(initFormState(saved));
  });

  it('a reset starts afresh but leaves a request that is out pending', () => {
    const saved = { key: 'purchases', name: 'Purchases', rows: [] };
    const sent = run(failed(), { type: 'submit' }, { type: 'send' });
    expect(run(sent, { type: 'reset', values: saved })).toEqual({
      ...initFormState(saved),
      pending: true,
    });
    expect(run(failed(), { type: 'reset', values: saved })).toEqual(initFormState(saved));
  });
});

describe('isSendable', () => {
  it('needs a parsed value and no message', () => {
    expect(isSendable({ value: { key: 'k' }, errors: {} })).toBe(true);
    expect(isSendable({ value: null, errors: {} })).toBe(false);
    expect(isSendable({ value: { key: 'k' }, errors: { key: 'Taken.' } })).toBe(false);
  });
});

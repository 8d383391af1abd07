'use client';
import { useState } from 'react';
import {
  checkRoutesForm,
  routeForm,
  TYPE_LABEL,
  type RouteForm,
} from '@/lib/alerts/notify/settings-input';
import { describeMatch, type ChannelView, type RouteView } from '@/lib/alerts/notify/settings-view';
import { EventText } from '../../../_components/event-text';
import { FieldError } from '../../../_components/form-field';
import { apiFetch } from '../../../_lib/api';
import { revealControls } from '../../../_lib/format';
import { useForm, type FieldProps } from '../../../_lib/use-form';

interface RoutesValues {
  rows: RouteForm[];
  /** The default channels: those that take what no route takes. */
  defaults: string[];
}

let serial = 0;
const newKey = () => `new-${++serial}`;

function valuesOf(routes: readonly RouteView[], channels: readonly ChannelView[]): RoutesValues {
  return {
    rows: routes
      .filter((r) => !r.provisioned)
      .map((r) => routeForm({ ...r, name: r.name ?? undefined }, `route-${r.id}`)),
    defaults: channels.filter((c) => c.isDefault).map((c) => c.id),
  };
}

const blankRow = (): RouteForm => ({
  key: newKey(),
  name: '',
  minSeverity: '',
  metrics: '',
  cause: '',
  channels: [],
  continue: false,
});

/**
 * The routes set in the browser, edited as one ordered list and saved at once, with the
 * default channels. Provisioned routes are shown first, read-only: routing tries them first.
 */
export function RoutesEditor({
  routes,
  channels,
  onSaved,
}: {
  routes: RouteView[];
  channels: ChannelView[];
  onSaved: (saved: { routes: RouteView[]; channels: ChannelView[] }) => void;
}) {
  const provisioned = routes.filter((r) => r.provisioned);
  /** The values as last saved (or loaded): to tell unsaved changes, and to discard them. */
  const [savedValues, setSavedValues] = useState(() => valuesOf(routes, channels));
  const [saved, setSaved] = useState(false);
  const form = useForm({
    initial: () => valuesOf(routes, channels),
    validate: (values: RoutesValues) => {
      const checked = checkRoutesForm(values.rows);
      return {
        value: checked.value ? { routes: checked.value, defaultChannels: values.defaults } : null,
        errors: checked.errors as Record<string, string>,
      };
    },
    onInvalid: (errors) => {
      const first = Object.keys(errors)[0];
      const match = first ? /^routes\.(\d+)/.exec(first) : null;
      const row = match ? form.values.rows[Number(match[1])] : undefined;
      if (row) document.getElementById(`${row.key}-legend`)?.scrollIntoView({ block: 'center' });
    },
    invalidMessage: 'Some routes need a fix: see the messages beside them.',
    submit: (body) =>
      apiFetch<{ routes: RouteView[]; channels: ChannelView[] }>('/api/notifications/routes', {
        method: 'PUT',
        body: JSON.stringify(body),
      }),
    onSuccess: (answer) => {
      onSaved(answer);
      setSaved(true);
      const next = valuesOf(answer.routes, answer.channels);
      setSavedValues(next);
      return next;
    },
  });
  // Channels created or deleted meanwhile (adjusted while rendering, as React advises): a new
  // default joins the defaults, a deleted channel leaves the rows.
  const [seen, setSeen] = useState(channels);
  if (seen !== channels) {
    setSeen(channels);
    const before = new Set(seen.map((c) => c.id));
    const ids = new Set(channels.map((c) => c.id));
    const added = channels.filter((c) => !before.has(c.id) && c.isDefault).map((c) => c.id);
    if (added.length > 0 || seen.some((c) => !ids.has(c.id))) {
      const sync = (v: RoutesValues): RoutesValues => ({
        rows: v.rows.map((r) => ({ ...r, channels: r.channels.filter((id) => ids.has(id)) })),
        defaults: [...v.defaults.filter((id) => ids.has(id)), ...added],
      });
      setSavedValues(sync);
      form.setValues(sync);
    }
  }
  const dirty = JSON.stringify(form.values) !== JSON.stringify(savedValues);

  const rows = form.values.rows;
  const change = (index: number, update: (row: RouteForm) => RouteForm, field: string) =>
    form.edit(
      (v) => ({ ...v, rows: v.rows.map((r, i) => (i === index ? update(r) : r)) }),
      (key) => key.startsWith(`routes.${index}.${field}`),
    );
  /** Rows moved or removed: the server's messages named the old positions. */
  const restructure = (update: (rows: RouteForm[]) => RouteForm[]) =>
    form.edit(
      (v) => ({ ...v, rows: update(v.rows) }),
      (key) => key.startsWith('routes'),
    );
  const move = (index: number, by: -1 | 1) =>
    restructure((list) => {
      const next = [...list];
      const [row] = next.splice(index, 1);
      next.splice(index + by, 0, row!);
      return next;
    });

  const disabled = form.pending;
  const routable = channels.length > 0;

  return (
    <form
      method="post"
      onSubmit={form.handleSubmit}
      noValidate
      className="routes-form"
      data-testid="routes-form"
    >
      <p className="muted small routes-intro">
        Tried in order: the first route whose conditions hold takes the incident, and later ones are
        tried too only after a route marked <em>continue</em>. Incidents no route takes go to the
        default channels.
      </p>

      {provisioned.length > 0 ? (
        <ol className="route-list route-list-fixed" aria-label="Provisioned routes">
          {provisioned.map((r) => (
            <li key={r.id} className="route-fixed" data-testid="provisioned-route">
              <span className="notify-tag notify-tag-provisioned">Provisioned</span>{' '}
              <strong>{r.name ? <EventText value={r.name} /> : 'Unnamed route'}</strong>
              <span className="muted small">
                {' '}
                <EventText value={describeMatch(r.match)} ltr /> → {r.channels.join(', ')}
                {r.continue ? ' · continue' : ''}
              </span>
            </li>
          ))}
        </ol>
      ) : null}

      {!routable ? (
        <p className="empty">Create a channel first: routes send incidents to channels.</p>
      ) : rows.length === 0 ? (
        <p className="empty" data-testid="routes-empty">
          No routes set here: every incident goes to the default channels. Add a route to send some
          incidents elsewhere, e.g. critical ones on revenue metrics to a pager.
        </p>
      ) : (
        <ol className="route-list">
          {rows.map((row, i) => (
            <RouteRow
              key={row.key}
              row={row}
              index={i}
              count={rows.length}
              offset={provisioned.length}
              channels={channels}
              disabled={disabled}
              error={(field) => form.errorFor(`routes.${i}.${field}`)}
              // Checked on Save, not on leaving a field: a message appearing as the focus moves
              // would shift the rows under the pointer.
              fieldProps={(field, id) => ({
                ...form.fieldProps(`routes.${i}.${field}`, id),
                onBlur: () => undefined,
              })}
              onChange={(update, field) => change(i, update, field)}
              onMove={(by) => move(i, by)}
              onRemove={() => restructure((list) => list.filter((_, j) => j !== i))}
            />
          ))}
        </ol>
      )}

      {routable ? (
        <div className="form-actions">
          <button
            type="button"
            className="button button-ghost"
            onClick={() => form.setValues((v) => ({ ...v, rows: [...v.rows, blankRow()] }))}
            disabled={disabled}
          >
            Add route
          </button>
        </div>
      ) : null}

      {routable ? (
        <fieldset className="defaults" disabled={disabled}>
          <legend>Default channels</legend>
          <p className="hint">
            They receive the incidents no route takes. None: those notify nobody.
          </p>
          <div className="check-group">
            {channels.map((c) => (
              <label key={c.id} className="notify-check">
                <input
                  type="checkbox"
                  checked={form.values.defaults.includes(c.id)}
                  disabled={c.provisioned}
                  onChange={(e) =>
                    form.setValues((v) => ({
                      ...v,
                      defaults: e.target.checked
                        ? [...v.defaults, c.id]
                        : v.defaults.filter((id) => id !== c.id),
                    }))
                  }
                />
                <span>
                  <EventText value={c.id} /> <span className="muted">({TYPE_LABEL[c.type]})</span>
                  {c.provisioned ? <span className="muted"> · provisioned</span> : null}
                </span>
              </label>
            ))}
          </div>
          <FieldError id="routes-defaults" error={form.errorFor('defaultChannels')} />
        </fieldset>
      ) : null}

      {routable ? (
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={disabled}>
            {form.pending ? 'Saving…' : 'Save routes'}
          </button>
          {dirty && !form.pending ? (
            <span className="muted small" data-testid="routes-dirty">
              Unsaved changes
            </span>
          ) : null}
          {dirty ? (
            <button
              type="button"
              className="button-link"
              onClick={() => form.reset(savedValues)}
              disabled={disabled}
            >
              Discard
            </button>
          ) : null}
        </div>
      ) : null}
      {form.formError ? (
        <p role="alert" className="form-error" data-testid="routes-error">
          {form.formError}
        </p>
      ) : null}
      {saved && !dirty ? (
        <p role="status" className="form-success" data-testid="routes-saved">
          Routes saved: new notifications follow them.
        </p>
      ) : null}
    </form>
  );
}

function RouteRow({
  row,
  index,
  count,
  offset,
  channels,
  disabled,
  error,
  fieldProps,
  onChange,
  onMove,
  onRemove,
}: {
  row: RouteForm;
  index: number;
  count: number;
  /** Provisioned routes before this list: the number people see counts them. */
  offset: number;
  channels: ChannelView[];
  disabled: boolean;
  error: (field: string) => string | undefined;
  fieldProps: (field: string, id: string) => FieldProps;
  onChange: (update: (row: RouteForm) => RouteForm, field: string) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const id = (field: string) => `${row.key}-${field}`;
  const number = offset + index + 1;
  const label = row.name.trim() || `Route ${number}`;
  return (
    <li className="route-item" data-testid="route-row">
      <fieldset disabled={disabled}>
        <legend id={id('legend')} className="route-legend">
          {number}. <EventText value={label} />
        </legend>
        <div className="route-grid">
          <div className="field">
            <label htmlFor={id('name')}>Name (optional)</label>
            <input
              {...fieldProps('name', id('name'))}
              value={row.name}
              maxLength={200}
              autoComplete="off"
              onChange={(e) => onChange((r) => ({ ...r, name: e.target.value }), 'name')}
            />
            <p id={`${id('name')}-hint`} className="hint">
              For people reading the list.
            </p>
            <FieldError id={id('name')} error={error('name')} />
          </div>
          <div className="field">
            <label htmlFor={id('severity')}>Severity</label>
            <select
              {...fieldProps('match.minSeverity', id('severity'))}
              value={row.minSeverity}
              onChange={(e) =>
                onChange(
                  (r) => ({ ...r, minSeverity: e.target.value as RouteForm['minSeverity'] }),
                  'match.minSeverity',
                )
              }
            >
              <option value="">Any</option>
              <option value="warn">Warn and critical</option>
              <option value="critical">Critical only</option>
            </select>
            <p id={`${id('severity')}-hint`} className="hint">
              The least severity it takes.
            </p>
            <FieldError id={id('severity')} error={error('match.minSeverity')} />
          </div>
          <div className="field">
            <label htmlFor={id('metrics')}>Metrics</label>
            <input
              {...fieldProps('match.metrics', id('metrics'))}
              value={row.metrics}
              placeholder="any"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              onChange={(e) =>
                onChange((r) => ({ ...r, metrics: e.target.value }), 'match.metrics')
              }
            />
            <p id={`${id('metrics')}-hint`} className="hint">
              Metric keys, comma-separated; <code>*</code> and <code>?</code> are wildcards (
              <code>revenue*</code>).
            </p>
            <FieldError id={id('metrics')} error={error('match.metrics')} />
          </div>
          <div className="field">
            <label htmlFor={id('cause')}>Cause</label>
            <input
              {...fieldProps('match.cause', id('cause'))}
              value={row.cause}
              placeholder="any"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              onChange={(e) => onChange((r) => ({ ...r, cause: e.target.value }), 'match.cause')}
            />
            <p id={`${id('cause')}-hint`} className="hint">
              <code>dimension=value</code> pairs, comma-separated (<code>region=eu-*</code>).
            </p>
            <FieldError id={id('cause')} error={error('match.cause')} />
          </div>
        </div>
        <div
          className="check-group"
          role="group"
          aria-labelledby={id('channels-label')}
          aria-describedby={error('channels') ? `${id('channels')}-error` : undefined}
        >
          <span id={id('channels-label')} className="group-label">
            Send to
          </span>
          {channels.map((c) => (
            <label key={c.id} className="notify-check">
              <input
                type="checkbox"
                checked={row.channels.includes(c.id)}
                onChange={(e) =>
                  onChange(
                    (r) => ({
                      ...r,
                      channels: e.target.checked
                        ? [...r.channels, c.id]
                        : r.channels.filter((x) => x !== c.id),
                    }),
                    'channels',
                  )
                }
              />
              <span>
                <EventText value={c.id} />
                {c.enabled ? null : <span className="muted"> (disabled)</span>}
              </span>
            </label>
          ))}
        </div>
        <FieldError id={id('channels')} error={error('channels')} />
        <div className="route-foot">
          <label className="notify-check">
            <input
              type="checkbox"
              checked={row.continue}
              onChange={(e) => onChange((r) => ({ ...r, continue: e.target.checked }), 'continue')}
            />
            <span>Continue: later routes may take it too</span>
          </label>
          <div className="route-buttons">
            <button
              type="button"
              className="button button-ghost"
              onClick={() => onMove(-1)}
              disabled={index === 0}
              aria-label={revealControls(`Move ${label} up`)}
            >
              ↑ Up
            </button>
            <button
              type="button"
              className="button button-ghost"
              onClick={() => onMove(1)}
              disabled={index === count - 1}
              aria-label={revealControls(`Move ${label} down`)}
            >
              ↓ Down
            </button>
            <button
              type="button"
              className="button button-ghost"
              onClick={onRemove}
              aria-label={revealControls(`Remove ${label}`)}
            >
              Remove
            </button>
          </div>
        </div>
      </fieldset>
    </li>
  );
}

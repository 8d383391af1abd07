'use client';
import { useState } from 'react';
import { channelId } from '@/lib/alerts/notify/fields';
import { CHANNEL_TYPES, TYPE_LABEL, type ChannelType } from '@/lib/alerts/notify/settings-input';
import type { ChannelView } from '@/lib/alerts/notify/settings-view';
import { Field } from '../../../_components/form-field';
import { apiFetch } from '../../../_lib/api';
import { useForm } from '../../../_lib/use-form';
import {
  ChannelSettingFields,
  checkSettings,
  EMPTY_SETTINGS,
  type SettingValues,
} from './channel-fields';

interface NewChannel extends SettingValues {
  id: string;
  type: ChannelType;
  isDefault: boolean;
}

type Fields = keyof NewChannel;

const EMPTY: NewChannel = { id: '', type: 'webhook', isDefault: false, ...EMPTY_SETTINGS };

const TYPE_HINT: Record<ChannelType, string> = {
  webhook: 'JSON to any URL, signed with a secret.',
  slack: 'A message in a Slack channel.',
  email: 'Plain text and HTML over SMTP.',
};

function check(values: NewChannel, taken: readonly string[]) {
  const errors: Partial<Record<Fields, string>> = {};
  const id = channelId.safeParse(values.id.trim());
  if (values.id.trim() === '') errors.id = 'expected a channel id, such as pager or team-slack';
  else if (!id.success) errors.id = id.error.issues[0]?.message ?? 'expected a channel id';
  else if (taken.includes(id.data)) errors.id = 'this id is taken: choose another';
  const settings = checkSettings(values.type, values, 'create');
  Object.assign(errors, settings.errors);
  return {
    value: id.success
      ? {
          id: id.data,
          type: values.type,
          ...settings.settings,
          ...(values.isDefault ? { isDefault: true } : {}),
        }
      : null,
    errors,
  };
}

/** Creates a channel: its type, id and settings; its credentials are never shown again. */
export function NewChannelForm({
  taken,
  onCreated,
}: {
  taken: readonly string[];
  onCreated: (channel: ChannelView) => void;
}) {
  const [created, setCreated] = useState<string | null>(null);
  const form = useForm({
    initial: EMPTY,
    validate: (values: NewChannel) => check(values, taken),
    onInvalid: (errors) => {
      const first = (['id', 'url', 'secret', 'webhookUrl', 'to', 'from', 'smtp'] as const).find(
        (f) => errors[f],
      );
      if (first) document.getElementById(`new-channel-${first}`)?.focus();
    },
    submit: (body) =>
      apiFetch<{ channel: ChannelView }>('/api/notifications/channels', {
        method: 'POST',
        body: JSON.stringify(body),
      }),
    onSuccess: (answer, value) => {
      onCreated(answer.channel);
      setCreated(answer.channel.id);
      // A new form of the same type: its credentials are gone from the page.
      return { ...EMPTY, type: value.type };
    },
  });
  const disabled = form.pending;

  return (
    <form
      method="post"
      onSubmit={form.handleSubmit}
      noValidate
      className="notify-form"
      data-testid="new-channel-form"
    >
      <fieldset className="type-picker" disabled={disabled}>
        <legend>Type</legend>
        <div className="segmented">
          {CHANNEL_TYPES.map((type) => (
            <label
              key={type}
              className={form.values.type === type ? 'segment selected' : 'segment'}
            >
              <input
                type="radio"
                name="new-channel-type"
                value={type}
                checked={form.values.type === type}
                onChange={() => {
                  setCreated(null);
                  form.edit(
                    (v) => ({ ...v, type }),
                    () => true,
                  );
                }}
              />
              {TYPE_LABEL[type]}
            </label>
          ))}
        </div>
        <p className="hint">{TYPE_HINT[form.values.type]}</p>
      </fieldset>
      <Field
        id="new-channel-id"
        label="Id"
        hint="What routes name it by: lowercase letters, digits, - and _ (e.g. pager, team-slack)."
        error={form.errorFor('id')}
      >
        <input
          {...form.fieldProps('id', 'new-channel-id')}
          value={form.values.id}
          maxLength={64}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          onChange={(e) => {
            setCreated(null);
            form.set('id', e.target.value);
          }}
          disabled={disabled}
        />
      </Field>
      <ChannelSettingFields
        form={form}
        type={form.values.type}
        idPrefix="new-channel"
        mode="create"
        disabled={disabled}
      />
      <label className="notify-check">
        <input
          type="checkbox"
          checked={form.values.isDefault}
          onChange={(e) => form.set('isDefault', e.target.checked)}
          disabled={disabled}
        />
        <span>Default channel: it receives the incidents no route takes.</span>
      </label>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={disabled}>
          {form.pending ? 'Creating…' : 'Create channel'}
        </button>
      </div>
      {form.formError ? (
        <p role="alert" className="form-error" data-testid="form-error">
          {form.formError}
        </p>
      ) : null}
      {created ? (
        <p role="status" className="form-success" data-testid="channel-created">
          Channel {created} created. Its credentials are stored and will not be shown again; try it
          with Send test.
        </p>
      ) : null}
    </form>
  );
}

'use client';
import type { ReactNode } from 'react';
import {
  CHANNEL_FIELDS,
  checkChannelSettings,
  splitRecipients,
  type ChannelField,
  type ChannelSettings,
  type ChannelType,
} from '@/lib/alerts/notify/settings-input';
import { Field } from '../../../_components/form-field';
import type { Form } from '../../../_lib/use-form';

/** A channel's settings as a form holds them: text, as typed. */
export type SettingValues = Record<ChannelField, string>;

export const EMPTY_SETTINGS: SettingValues = {
  url: '',
  secret: '',
  webhookUrl: '',
  to: '',
  from: '',
  smtp: '',
};

/** The settings of `type` that were filled in, as the API takes them (recipients as a list). */
export function settingsOf(type: ChannelType, values: SettingValues): ChannelSettings {
  const settings: ChannelSettings = {};
  for (const field of CHANNEL_FIELDS[type]) {
    // A secret is taken exactly as typed; the rest without surrounding spaces.
    const text = field === 'secret' ? values[field] : values[field].trim();
    if (text === '') continue;
    settings[field] = field === 'to' ? splitRecipients(text) : text;
  }
  return settings;
}

/** The lib's check of the settings, for useForm. */
export function checkSettings(type: ChannelType, values: SettingValues, mode: 'create' | 'update') {
  const settings = settingsOf(type, values);
  const checked = checkChannelSettings(type, settings, mode);
  return { settings, errors: checked.errors as Partial<Record<ChannelField, string>> };
}

const LABEL: Record<ChannelField, string> = {
  url: 'URL',
  secret: 'Signing secret',
  webhookUrl: 'Incoming webhook URL',
  to: 'Recipients',
  from: 'From',
  smtp: 'SMTP server',
};

const HINT: Record<ChannelField, ReactNode> = {
  url: 'Pulse POSTs each notification to it as JSON.',
  secret: (
    <>
      At least 16 characters. Each body is signed with it (<code>X-Pulse-Signature</code>), so the
      receiver can check it came from Pulse.
    </>
  ),
  webhookUrl: (
    <>
      From Slack’s <em>Incoming Webhooks</em>: <code>https://hooks.slack.com/services/…</code>
    </>
  ),
  to: 'Email addresses, separated by commas.',
  from: 'The address messages come from.',
  smtp: (
    <>
      <code>smtp://user:password@mail.example.com:587</code> (or <code>smtps://</code>).
    </>
  ),
};

const CREDENTIAL: Partial<Record<ChannelField, true>> = {
  url: true,
  secret: true,
  webhookUrl: true,
  smtp: true,
};

/** The inputs of a type's settings. On update every one is optional: empty keeps it. */
export function ChannelSettingFields<V extends SettingValues, F extends string>({
  form,
  type,
  idPrefix,
  mode,
  disabled,
}: {
  form: Form<V, F, unknown>;
  type: ChannelType;
  idPrefix: string;
  mode: 'create' | 'update';
  disabled: boolean;
}) {
  return (
    <>
      {CHANNEL_FIELDS[type].map((field) => {
        const id = `${idPrefix}-${field}`;
        const key = field as F & keyof V;
        const secret = CREDENTIAL[field];
        return (
          <Field
            key={field}
            id={id}
            label={LABEL[field]}
            hint={
              mode === 'update' && secret ? (
                <>Leave empty to keep the current one: it is never shown again.</>
              ) : secret ? (
                <>{HINT[field]} Never shown again once saved.</>
              ) : (
                HINT[field]
              )
            }
            error={form.errorFor(key)}
          >
            <input
              {...form.fieldProps(key, id)}
              type={field === 'secret' || field === 'smtp' ? 'password' : 'text'}
              inputMode={
                field === 'to' || field === 'from' ? 'email' : field === 'secret' ? 'text' : 'url'
              }
              autoComplete={field === 'secret' || field === 'smtp' ? 'new-password' : 'off'}
              autoCapitalize="none"
              spellCheck={false}
              placeholder={mode === 'update' && secret ? 'unchanged' : undefined}
              value={form.values[field]}
              onChange={(e) => form.set(key, e.target.value as V[typeof key])}
              disabled={disabled}
            />
          </Field>
        );
      })}
    </>
  );
}

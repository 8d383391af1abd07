'use client';
import type { ChannelView } from '@/lib/alerts/notify/settings-view';
import { apiFetch } from '../../../_lib/api';
import { useForm } from '../../../_lib/use-form';
import {
  ChannelSettingFields,
  checkSettings,
  EMPTY_SETTINGS,
  type SettingValues,
} from './channel-fields';

/**
 * Changes a channel's settings. Nothing stored is shown in the fields but its recipients: a
 * field left empty keeps its value, so credentials need not be typed again.
 */
export function EditChannelForm({
  channel,
  onSaved,
  onCancel,
}: {
  channel: ChannelView;
  onSaved: (channel: ChannelView) => void;
  onCancel: () => void;
}) {
  const initial: SettingValues = {
    ...EMPTY_SETTINGS,
    ...(channel.type === 'email' ? { to: channel.target } : {}),
  };
  const form = useForm({
    initial,
    validate: (values: SettingValues) => {
      const checked = checkSettings(channel.type, values, 'update');
      const changed = Object.entries(checked.settings).filter(
        ([field, value]) => !(field === 'to' && (value as string[]).join(', ') === channel.target),
      );
      return {
        value: changed.length > 0 ? Object.fromEntries(changed) : null,
        errors: checked.errors,
      };
    },
    invalidMessage: 'Change a setting first, or cancel.',
    submit: (body) =>
      apiFetch<{ channel: ChannelView }>(
        `/api/notifications/channels/${encodeURIComponent(channel.id)}`,
        { method: 'PATCH', body: JSON.stringify(body) },
      ),
    onSuccess: (answer) => {
      onSaved(answer.channel);
      return initial;
    },
  });
  const prefix = `edit-${channel.id}`;
  return (
    <form
      method="post"
      onSubmit={form.handleSubmit}
      noValidate
      className="notify-form channel-edit"
      aria-label={`Edit ${channel.id}`}
      data-testid="edit-channel-form"
    >
      <ChannelSettingFields
        form={form}
        type={channel.type}
        idPrefix={prefix}
        mode="update"
        disabled={form.pending}
      />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={form.pending}>
          {form.pending ? 'Saving…' : 'Save changes'}
        </button>
        <button
          type="button"
          className="button button-ghost"
          onClick={onCancel}
          disabled={form.pending}
        >
          Cancel
        </button>
      </div>
      {form.formError ? (
        <p role="alert" className="form-error">
          {form.formError}
        </p>
      ) : null}
    </form>
  );
}

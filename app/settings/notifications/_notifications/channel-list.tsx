'use client';
import { usePathname, useRouter } from 'next/navigation';
import { useState } from 'react';
import { TYPE_LABEL } from '@/lib/alerts/notify/settings-input';
import type { ChannelView, TestSendResult } from '@/lib/alerts/notify/settings-view';
import { EventText } from '../../../_components/event-text';
import { TimeAgo } from '../../../_components/time-ago';
import { apiFetch, loginHref } from '../../../_lib/api';
import { useAction } from '../../../_lib/use-action';
import { EditChannelForm } from './edit-channel-form';

const DELIVERY_LABEL = {
  pending: 'waiting',
  sending: 'sending',
  delivered: 'delivered',
  failed: 'failed',
} as const;

/** The channels, each with its test send, edit, enable or disable, and delete. */
export function ChannelList({
  channels,
  onChanged,
  onDeleted,
}: {
  channels: ChannelView[];
  onChanged: (channel: ChannelView) => void;
  onDeleted: (id: string) => void;
}) {
  if (channels.length === 0) {
    return (
      <p className="empty" data-testid="channels-empty">
        No channels yet: nothing is sent. Create one with the form beside this list: a webhook, a
        Slack incoming webhook or an email address.
      </p>
    );
  }
  return (
    <ul className="channel-list" data-testid="channels">
      {channels.map((channel) => (
        <ChannelItem
          key={channel.id}
          channel={channel}
          onChanged={onChanged}
          onDeleted={onDeleted}
        />
      ))}
    </ul>
  );
}

type TestState =
  | { state: 'idle' }
  | { state: 'pending' }
  | { state: 'done'; result: TestSendResult }
  | { state: 'error'; message: string };

function ChannelItem({
  channel,
  onChanged,
  onDeleted,
}: {
  channel: ChannelView;
  onChanged: (channel: ChannelView) => void;
  onDeleted: (id: string) => void;
}) {
  const router = useRouter();
  const pathname = usePathname();
  const action = useAction();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [test, setTest] = useState<TestState>({ state: 'idle' });
  const busy = action.pending !== null;
  const readOnly = channel.provisioned;

  async function sendTest() {
    setTest({ state: 'pending' });
    const answer = await apiFetch<{ result: TestSendResult }>(
      `/api/notifications/channels/${encodeURIComponent(channel.id)}/test`,
      { method: 'POST' },
    );
    if (answer.ok) setTest({ state: 'done', result: answer.data.result });
    else if (answer.status === 401) router.replace(loginHref(pathname));
    else setTest({ state: 'error', message: answer.error });
  }

  async function setEnabled(enabled: boolean) {
    setNotice(null);
    const answer = await action.run(enabled ? 'enable' : 'disable', () =>
      apiFetch<{ channel: ChannelView }>(
        `/api/notifications/channels/${encodeURIComponent(channel.id)}`,
        { method: 'PATCH', body: JSON.stringify({ enabled }) },
      ),
    );
    if (!answer) return;
    onChanged(answer.channel);
    setNotice(
      enabled ? 'Enabled: it receives notifications again.' : 'Disabled: nothing is sent to it.',
    );
  }

  async function remove() {
    const answer = await action.run('delete', () =>
      apiFetch(`/api/notifications/channels/${encodeURIComponent(channel.id)}`, {
        method: 'DELETE',
      }),
    );
    setConfirming(false);
    if (answer) onDeleted(channel.id);
  }

  const result = test.state === 'done' ? test.result : null;

  return (
    <li
      className="channel-item"
      data-testid="channel-row"
      data-channel-id={channel.id}
      data-state={channel.enabled ? 'enabled' : 'disabled'}
    >
      <div className="channel-main">
        <span className="channel-id">
          <EventText value={channel.id} />
        </span>
        <span className="channel-type">{TYPE_LABEL[channel.type]}</span>
        {channel.isDefault ? <span className="notify-tag">Default</span> : null}
        {channel.enabled ? (
          <span className="badge status-ok">Enabled</span>
        ) : (
          <span className="badge status-learning">Disabled</span>
        )}
        {channel.provisioned ? (
          <span
            className="notify-tag notify-tag-provisioned"
            title="Set in PULSE_NOTIFY_CONFIG or PULSE_WEBHOOK_URL"
          >
            Provisioned
          </span>
        ) : null}
      </div>
      <div className="channel-meta muted small">
        <span className="channel-target" data-testid="channel-target">
          <EventText value={channel.target} ltr />
        </span>
        <span>
          {channel.lastDelivery ? (
            <>
              Last delivery {DELIVERY_LABEL[channel.lastDelivery.status]}{' '}
              <TimeAgo ms={channel.lastDelivery.at} />
            </>
          ) : (
            'Nothing sent yet'
          )}
        </span>
      </div>
      <div className="channel-actions">
        <button
          type="button"
          className="button button-ghost"
          onClick={() => void sendTest()}
          disabled={test.state === 'pending'}
        >
          {/* The visible words first in the name (WCAG 2.5.3), the channel after them. */}
          {test.state === 'pending' ? 'Sending…' : 'Send test'}
          <span className="sr-only"> to {channel.id}</span>
        </button>
        {readOnly ? null : (
          <>
            <button
              type="button"
              className="button button-ghost"
              aria-expanded={editing}
              onClick={() => {
                setEditing((open) => !open);
                setNotice(null);
              }}
            >
              Edit<span className="sr-only"> {channel.id}</span>
            </button>
            <button
              type="button"
              className="button button-ghost"
              disabled={busy}
              onClick={() => void setEnabled(!channel.enabled)}
            >
              {channel.enabled ? 'Disable' : 'Enable'}
              <span className="sr-only"> {channel.id}</span>
            </button>
            {confirming ? null : (
              <button
                type="button"
                className="button button-ghost"
                onClick={() => {
                  setConfirming(true);
                  action.clearError();
                }}
              >
                Delete…<span className="sr-only"> {channel.id}</span>
              </button>
            )}
          </>
        )}
      </div>

      <div className="channel-feedback">
        {test.state === 'pending' ? (
          <p role="status" className="test-result test-pending" data-testid="test-result">
            <span className="spinner" aria-hidden="true" />
            Sending a test and waiting for the worker (up to 15 s)…
          </p>
        ) : result ? (
          <p
            role="status"
            className={`test-result ${result.outcome === 'delivered' ? 'form-success' : 'form-error'}`}
            data-testid="test-result"
            data-outcome={result.outcome}
          >
            {result.message}
          </p>
        ) : test.state === 'error' ? (
          <p role="alert" className="test-result form-error" data-testid="test-result">
            {test.message}
          </p>
        ) : null}
        {confirming ? (
          <div className="confirm-inline" role="group" aria-label={`Delete ${channel.id}?`}>
            <span>It stops receiving notifications; its delivery log stays.</span>
            <button
              type="button"
              className="button button-danger"
              onClick={() => void remove()}
              disabled={busy}
              autoFocus
            >
              {action.pending === 'delete' ? 'Deleting…' : 'Delete channel'}
            </button>
            <button
              type="button"
              className="button button-ghost"
              onClick={() => setConfirming(false)}
              disabled={busy}
            >
              Cancel
            </button>
          </div>
        ) : null}
        {action.error ? (
          <p role="alert" className="form-error">
            {action.error}
          </p>
        ) : null}
        {notice ? (
          <p role="status" className="form-success">
            {notice}
          </p>
        ) : null}
        {readOnly ? (
          <p className="muted small">
            Set in <code>PULSE_NOTIFY_CONFIG</code> or <code>PULSE_WEBHOOK_URL</code>: change it
            there and restart Pulse.
          </p>
        ) : null}
      </div>

      {editing && !readOnly ? (
        <EditChannelForm
          channel={channel}
          onSaved={(saved) => {
            onChanged(saved);
            setEditing(false);
            setNotice('Saved.');
          }}
          onCancel={() => setEditing(false)}
        />
      ) : null}
    </li>
  );
}

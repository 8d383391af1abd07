'use client';
/**
 * The health page's notifications: the outbox's depth (deliveries waiting, being sent, and how
 * long the most overdue one has waited — a growing age means no worker is delivering) and, per
 * channel, its state in one word, its last delivery and last failure (the error as the
 * dispatcher recorded it, credentials masked), and its failed and waiting deliveries. A channel
 * is shown by its target, never its credentials (lib/alerts/notify/delivery-health.ts).
 */
import Link from 'next/link';
import type {
  ChannelHealth,
  ChannelState,
  NotificationHealth,
} from '@/lib/alerts/notify/delivery-health';
import { EventText } from '../_components/event-text';
import { TimeAgo } from '../_components/time-ago';
import { formatNumber } from '../_lib/format';
import { TableWrap } from '@/app/_components/table-wrap';

/** Past this, a due delivery waiting is worth a warning: a worker normally takes it at once. */
export const OVERDUE_WARN_MS = 60_000;

const STATE: Record<ChannelState, { label: string; badge: string; title: string }> = {
  healthy: {
    label: 'healthy',
    badge: 'status-ok',
    title: 'Its latest delivery went through, within the last 24 h.',
  },
  failing: {
    label: 'failing',
    badge: 'status-critical',
    title: 'Its latest attempt failed: nothing was delivered since.',
  },
  idle: {
    label: 'idle',
    badge: 'status-learning',
    title: 'Nothing delivered in the last 24 h, and no failure since the last delivery.',
  },
  disabled: {
    label: 'disabled',
    badge: 'status-learning',
    title: 'Switched off: nothing is sent to it.',
  },
  deleted: {
    label: 'deleted',
    badge: 'status-warn',
    title: 'Deleted: deliveries still naming it fail at once.',
  },
};

const TYPE_LABEL: Record<NonNullable<ChannelHealth['channelType']>, string> = {
  webhook: 'Webhook',
  slack: 'Slack',
  email: 'Email',
};

export function NotificationsSection({
  health,
  isAdmin,
  formatAge,
}: {
  health: NotificationHealth | undefined;
  /** Admins get a link to the settings page. */
  isAdmin: boolean;
  /** How an age is written on this page ("12 s", "3 min"). */
  formatAge: (ms: number) => string;
}) {
  const hours = health ? Math.round(health.windowMs / 3_600_000) : 24;
  const failing = health?.channels.filter((c) => c.state === 'failing').length ?? 0;
  return (
    <section className="card" aria-labelledby="notify-health-heading" data-testid="notify-health">
      <div className="card-head">
        <h2 id="notify-health-heading">Notifications</h2>
        {health && health.channels.length > 0 ? (
          <span className="muted">
            {health.channels.length} {health.channels.length === 1 ? 'channel' : 'channels'}
            {failing > 0 ? ` · ${failing} failing` : ''} · counts over the last {hours} h
          </span>
        ) : null}
      </div>
      {!health ? (
        <p className="empty">Delivery figures are not available.</p>
      ) : (
        <div className="notify-health-body">
          <OutboxStats outbox={health.outbox} formatAge={formatAge} />
          {health.channels.length === 0 ? (
            <p className="empty" data-testid="notify-health-empty">
              No notification channel is set up: incidents show on the board, but nobody is
              notified.{' '}
              {isAdmin ? (
                <Link href="/settings/notifications">Add a channel in notification settings.</Link>
              ) : (
                'An admin can add one in the notification settings.'
              )}
            </p>
          ) : (
            <ChannelTable channels={health.channels} hours={hours} />
          )}
        </div>
      )}
    </section>
  );
}

function OutboxStats({
  outbox,
  formatAge,
}: {
  outbox: NotificationHealth['outbox'];
  formatAge: (ms: number) => string;
}) {
  const overdue = outbox.oldestDueMs >= OVERDUE_WARN_MS;
  return (
    <>
      <dl
        className="stat-row"
        data-testid="outbox-depth"
        data-pending={outbox.pending}
        data-sending={outbox.sending}
        data-oldest-due-ms={outbox.oldestDueMs}
      >
        <div className="stat">
          <dt>Outbox: waiting</dt>
          <dd>{formatNumber(outbox.pending)}</dd>
        </div>
        <div className="stat">
          <dt>Being sent</dt>
          <dd>{formatNumber(outbox.sending)}</dd>
        </div>
        <div className="stat">
          <dt>Oldest due for</dt>
          <dd className={overdue ? 'unbalanced' : undefined}>
            {outbox.oldestDueMs > 0 ? formatAge(outbox.oldestDueMs) : '—'}
          </dd>
        </div>
      </dl>
      {overdue ? (
        <p className="notice notice-warn" role="status" data-testid="outbox-overdue">
          A delivery has waited {formatAge(outbox.oldestDueMs)} past its time: is the worker (its
          notifier) running?
        </p>
      ) : null}
    </>
  );
}

function ChannelTable({ channels, hours }: { channels: ChannelHealth[]; hours: number }) {
  return (
    <TableWrap label="Channel health">
      <table className="table delivery-table channel-health" data-testid="channel-health">
        <caption className="sr-only">
          Each notification channel: its state, last delivery, last failure, and its failed (last{' '}
          {hours} h) and waiting deliveries.
        </caption>
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">State</th>
            <th scope="col">Last delivered</th>
            <th scope="col">Last failure</th>
            <th scope="col" className="num">
              Failed ({hours} h)
            </th>
            <th scope="col" className="num">
              Waiting
            </th>
          </tr>
        </thead>
        <tbody>
          {channels.map((c) => (
            <ChannelRow key={c.channelId} channel={c} hours={hours} />
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function ChannelRow({ channel: c, hours }: { channel: ChannelHealth; hours: number }) {
  const state = STATE[c.state];
  return (
    <tr
      data-testid={`channel-health-${c.channelId}`}
      data-channel={c.channelId}
      data-state={c.state}
      data-failed={c.failed}
      data-pending={c.pending}
    >
      <td data-label="Channel">
        <EventText className="channel-health-id" value={c.channelId} />
        <span className="muted delivery-channel">
          {c.channelType ? TYPE_LABEL[c.channelType] : 'Deleted channel'}
          {c.target ? (
            <>
              {' · '}
              <EventText value={c.target} />
            </>
          ) : null}
        </span>
      </td>
      <td data-label="State">
        <span className={`badge ${state.badge}`} title={state.title}>
          {state.label}
        </span>
      </td>
      <td data-label="Last delivered">
        {c.lastDeliveredAt !== null ? (
          <TimeAgo ms={c.lastDeliveredAt} />
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td className="delivery-error" data-label="Last failure">
        {c.lastFailure ? <FailureText failure={c.lastFailure} /> : <span className="muted">—</span>}
      </td>
      <td className="num" data-label={`Failed (${hours} h)`}>
        {c.failed > 0 ? (
          <span className="unbalanced">{formatNumber(c.failed)}</span>
        ) : (
          formatNumber(c.failed)
        )}
      </td>
      <td className="num" data-label="Waiting">
        {formatNumber(c.pending)}
      </td>
    </tr>
  );
}

/** When, and what came back: the status code unless the error already says it ("HTTP 503"). */
function FailureText({ failure }: { failure: NonNullable<ChannelHealth['lastFailure']> }) {
  const { at, statusCode, error } = failure;
  const code = statusCode !== null && !error?.includes(String(statusCode)) ? statusCode : null;
  return (
    <>
      <TimeAgo ms={at} />
      {code !== null || error ? ': ' : null}
      {code !== null ? `${code}${error ? ' · ' : ''}` : null}
      {error ? <EventText value={error} /> : null}
    </>
  );
}

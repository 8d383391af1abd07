/**
 * How delivery is doing, as the health page shows it: the outbox's depth and, per channel, its
 * recent deliveries and failures (read by db/queries/deliveries.ts `notificationHealth`), and the
 * one word that sums a channel up. No shape here has a field that could hold a credential: a
 * channel is shown by its `target` (a URL's origin, the recipients), and errors were masked when
 * the dispatcher recorded them.
 */

export type ChannelHealthType = 'webhook' | 'slack' | 'email';

/**
 * - `healthy`: its latest outcome was a delivery, within the window;
 * - `failing`: its latest outcome was a failed attempt (a retry or a give-up), however old:
 *   nothing has been delivered since;
 * - `idle`: nothing delivered within the window and nothing failed since the last delivery;
 * - `disabled`: switched off (nothing is sent to it);
 * - `deleted`: gone, but deliveries to it remain (they fail at once).
 */
export type ChannelState = 'healthy' | 'failing' | 'idle' | 'disabled' | 'deleted';

/** How a channel has been doing. Times are epoch ms. */
export interface ChannelHealth {
  channelId: string;
  /** Null when the channel was deleted but deliveries to it remain. */
  channelType: ChannelHealthType | null;
  /** What people see of the destination; null once deleted. */
  target: string | null;
  enabled: boolean;
  lastDeliveredAt: number | null;
  /** The latest attempt that did not deliver (a retry or a failure), its error masked. */
  lastFailure: { at: number; statusCode: number | null; error: string | null } | null;
  /** Over the window (24 h): deliveries delivered, and given up on. */
  delivered: number;
  failed: number;
  /** Waiting now: pending or being sent. */
  pending: number;
  state: ChannelState;
}

/** What waits in the outbox. */
export interface OutboxDepth {
  /** Deliveries waiting for their (next) attempt. */
  pending: number;
  /** Deliveries a dispatcher holds now. */
  sending: number;
  /**
   * How long the most overdue delivery has waited past its due time (ms): pending and due, or
   * held by a dispatcher whose lease ran out. 0 when none waits: a growing value means nobody
   * is delivering.
   */
  oldestDueMs: number;
}

/** The health page's notifications panel. */
export interface NotificationHealth {
  /** The window of the channels' counts (24 h). */
  windowMs: number;
  outbox: OutboxDepth;
  /** By channel id; deleted channels only while something of theirs is recent or waiting. */
  channels: ChannelHealth[];
}

/** The window of the channels' counts and of "healthy". */
export const CHANNEL_HEALTH_WINDOW_MS = 24 * 3_600_000;

/** The word for a channel at `now` (see {@link ChannelState}). */
export function channelState(
  channel: Omit<ChannelHealth, 'state'>,
  now: number,
  windowMs = CHANNEL_HEALTH_WINDOW_MS,
): ChannelState {
  if (channel.channelType === null) return 'deleted';
  if (!channel.enabled) return 'disabled';
  const { lastFailure, lastDeliveredAt } = channel;
  if (lastFailure && (lastDeliveredAt === null || lastFailure.at > lastDeliveredAt)) {
    return 'failing';
  }
  if (lastDeliveredAt !== null && lastDeliveredAt >= now - windowMs) return 'healthy';
  return 'idle';
}

/**
 * Whether the health page lists the channel: every existing one; a deleted one while it has
 * deliveries waiting, or delivered or failed within the window.
 */
export function channelListed(channel: ChannelHealth): boolean {
  return (
    channel.state !== 'deleted' ||
    channel.pending > 0 ||
    channel.failed > 0 ||
    channel.delivered > 0
  );
}

import { describe, expect, it } from 'vitest';
import {
  CHANNEL_HEALTH_WINDOW_MS,
  channelListed,
  channelState,
  type ChannelHealth,
} from './delivery-health';

const NOW = Date.UTC(2026, 0, 15, 12);
const HOUR = 3_600_000;

const channel = (over: Partial<ChannelHealth> = {}): Omit<ChannelHealth, 'state'> => ({
  channelId: 'pager',
  channelType: 'webhook',
  target: 'https://hooks.example.com',
  enabled: true,
  lastDeliveredAt: null,
  lastFailure: null,
  delivered: 0,
  failed: 0,
  pending: 0,
  ...over,
});

const failure = (at: number) => ({ at, statusCode: 503, error: 'HTTP 503' });

describe('channelState', () => {
  it('is healthy when its latest outcome is a delivery within the window', () => {
    expect(channelState(channel({ lastDeliveredAt: NOW - HOUR }), NOW)).toBe('healthy');
    // A failure before the delivery is history.
    expect(
      channelState(
        channel({ lastDeliveredAt: NOW - HOUR, lastFailure: failure(NOW - 2 * HOUR) }),
        NOW,
      ),
    ).toBe('healthy');
  });

  it('is failing when a failed attempt came after the last delivery, or none was ever made', () => {
    expect(channelState(channel({ lastFailure: failure(NOW - 60_000) }), NOW)).toBe('failing');
    expect(
      channelState(
        channel({ lastDeliveredAt: NOW - 2 * HOUR, lastFailure: failure(NOW - HOUR) }),
        NOW,
      ),
    ).toBe('failing');
    // However old: nothing was delivered since, so nothing says it works again.
    expect(channelState(channel({ lastFailure: failure(NOW - 72 * HOUR) }), NOW)).toBe('failing');
  });

  it('is idle with nothing delivered within the window (nothing to send)', () => {
    expect(channelState(channel(), NOW)).toBe('idle');
    expect(channelState(channel({ pending: 2 }), NOW)).toBe('idle');
    expect(
      channelState(channel({ lastDeliveredAt: NOW - CHANNEL_HEALTH_WINDOW_MS - 1 }), NOW),
    ).toBe('idle');
    expect(
      channelState(channel({ lastDeliveredAt: NOW - 2 * HOUR }), NOW, HOUR), // a shorter window
    ).toBe('idle');
  });

  it('says disabled and deleted before anything else', () => {
    expect(channelState(channel({ enabled: false, lastFailure: failure(NOW - 60_000) }), NOW)).toBe(
      'disabled',
    );
    expect(channelState(channel({ channelType: null, target: null, enabled: false }), NOW)).toBe(
      'deleted',
    );
  });
});

describe('channelListed', () => {
  it('lists every existing channel, a deleted one only while it has recent or waiting deliveries', () => {
    const deleted = { ...channel({ channelType: null, target: null }), state: 'deleted' as const };
    expect(channelListed({ ...channel(), state: 'idle' })).toBe(true);
    expect(channelListed({ ...channel({ enabled: false }), state: 'disabled' })).toBe(true);
    expect(channelListed(deleted)).toBe(false);
    expect(channelListed({ ...deleted, pending: 1 })).toBe(true);
    expect(channelListed({ ...deleted, failed: 1 })).toBe(true);
    expect(channelListed({ ...deleted, delivered: 1 })).toBe(true);
  });
});

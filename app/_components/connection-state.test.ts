import { describe, expect, it } from 'vitest';
import { shownConnection } from './connection-state';

describe('shownConnection', () => {
  it('reads "connecting" before the first connect, "reconnecting" only after a live one', () => {
    expect(shownConnection('reconnecting', false)).toBe('connecting');
    expect(shownConnection('reconnecting', true)).toBe('reconnecting');
  });

  it('passes the other states through', () => {
    for (const wasLive of [false, true]) {
      expect(shownConnection('live', wasLive)).toBe('live');
      expect(shownConnection('offline', wasLive)).toBe('offline');
    }
  });
});

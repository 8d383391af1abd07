import { describe, expect, it } from 'vitest';
import {
  afterDisconnect,
  afterRefusal,
  claimSignIn,
  SENT_TO_SIGN_IN,
  SIGN_IN_LOOP_MS,
} from './socket-session';

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

describe('afterDisconnect', () => {
  it('leaves network drops and restarts to socket.io', () => {
    for (const reason of ['transport close', 'transport error', 'ping timeout']) {
      expect(afterDisconnect(reason, undefined)).toBe('wait');
      // What the server said on an earlier socket does not matter to a drop.
      expect(afterDisconnect(reason, 'signed-out')).toBe('wait');
    }
  });

  it('signs in after a session ended, reconnects now after a role change, else backs off', () => {
    expect(afterDisconnect('io server disconnect', 'signed-out')).toBe('sign-in');
    expect(afterDisconnect('io server disconnect', 'role-changed')).toBe('reconnect');
    expect(afterDisconnect('io server disconnect', undefined)).toBe('backoff');
  });
});

describe('afterRefusal', () => {
  it('signs in when unauthorized, retries later otherwise', () => {
    expect(afterRefusal('unauthorized')).toBe('sign-in');
    expect(afterRefusal('unavailable')).toBe('backoff');
    expect(afterRefusal('refused')).toBe('backoff');
  });
});

describe('claimSignIn', () => {
  it('sends to sign in once, not again within the loop window, and again after it', () => {
    const storage = memoryStorage();
    expect(claimSignIn(storage, 1_000_000)).toBe(true);
    expect(storage.items.get(SENT_TO_SIGN_IN)).toBe('1000000');
    expect(claimSignIn(storage, 1_000_000 + SIGN_IN_LOOP_MS - 1)).toBe(false);
    expect(claimSignIn(storage, 1_000_000 + SIGN_IN_LOOP_MS)).toBe(true);
  });

  it('goes when there is no storage, it throws, or it holds nonsense or a future time', () => {
    expect(claimSignIn(undefined, 5)).toBe(true);
    const throwing = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => undefined,
    };
    expect(claimSignIn(throwing, 5)).toBe(true);
    const storage = memoryStorage();
    storage.items.set(SENT_TO_SIGN_IN, 'nope');
    expect(claimSignIn(storage, 5)).toBe(true);
    storage.items.set(SENT_TO_SIGN_IN, String(10_000_000));
    expect(claimSignIn(storage, 5)).toBe(true);
  });
});

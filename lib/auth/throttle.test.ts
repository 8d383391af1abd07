import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FORGET_AFTER_MS,
  THROTTLE_POLICIES,
  afterFailure,
  delayAfter,
  retryAfterSeconds,
  throttleKeys,
  waitFor,
  type KeyState,
} from './throttle';

const pair = THROTTLE_POLICIES.pair;
const user = THROTTLE_POLICIES.user;

/** The state after `n` failures one `gapMs` apart, starting at `t0`. */
function failures(n: number, policy = pair, t0 = 1_000_000, gapMs = 1): KeyState | null {
  let state: KeyState | null = null;
  for (let i = 0; i < n; i++) state = afterFailure(state, t0 + i * gapMs, policy);
  return state;
}

describe('delayAfter', () => {
  it('lets the free failures through, then doubles from the base delay up to the cap', () => {
    expect([1, 5].map((n) => delayAfter(n, pair))).toEqual([0, 0]);
    expect([6, 7, 8, 9].map((n) => delayAfter(n, pair))).toEqual([1000, 2000, 4000, 8000]);
    expect(delayAfter(50, pair)).toBe(pair.maxDelayMs);
    expect(delayAfter(10_000, pair)).toBe(pair.maxDelayMs);
  });

  it('never blocks a username for more than a minute, whatever the count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (n) => {
        expect(delayAfter(n, user)).toBeLessThanOrEqual(60_000);
      }),
    );
  });

  it('is monotone and bounded for every policy', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(THROTTLE_POLICIES)),
        fc.integer({ min: 0, max: 5000 }),
        (policy, n) => {
          const d = delayAfter(n, policy);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(policy.maxDelayMs);
          expect(delayAfter(n + 1, policy)).toBeGreaterThanOrEqual(d);
        },
      ),
    );
  });
});

describe('afterFailure', () => {
  it('counts failures in a row and blocks after the free ones', () => {
    expect(failures(5)).toMatchObject({ failures: 5, blockedUntil: null });
    const sixth = failures(6)!;
    expect(sixth.failures).toBe(6);
    expect(sixth.blockedUntil).toBe(sixth.lastFailureAt + 1000);
  });

  it('starts again after a quiet period', () => {
    const before = failures(9)!;
    const later = afterFailure(before, before.lastFailureAt + pair.forgetAfterMs, pair);
    expect(later).toMatchObject({ failures: 1, blockedUntil: null });
    const sooner = afterFailure(before, before.lastFailureAt + pair.forgetAfterMs - 1, pair);
    expect(sooner.failures).toBe(10);
  });
});

describe('waitFor', () => {
  it('is the longest remaining block of the keys, never negative', () => {
    const now = 5000;
    const states: (KeyState | null)[] = [
      null,
      { failures: 9, lastFailureAt: 0, blockedUntil: 7000 },
      { failures: 7, lastFailureAt: 0, blockedUntil: 6000 },
      { failures: 2, lastFailureAt: 0, blockedUntil: null },
    ];
    expect(waitFor(states, now)).toBe(2000);
    expect(waitFor(states, 8000)).toBe(0);
    expect(waitFor([], now)).toBe(0);
  });

  it('an attacker who always waits out the block gets slower and slower guesses', () => {
    // Guess as soon as allowed: the gaps between guesses never shrink once blocking starts.
    let state: KeyState | null = null;
    let now = 0;
    const gaps: number[] = [];
    for (let i = 0; i < 30; i++) {
      const wait = waitFor([state], now);
      gaps.push(wait);
      now += wait;
      state = afterFailure(state, now, pair);
    }
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1]!);
    expect(gaps.at(-1)).toBe(pair.maxDelayMs);
    // 30 guesses at one user from one address take hours, not seconds.
    expect(now).toBeGreaterThan(3 * 3_600_000);
  });
});

describe('throttleKeys', () => {
  it('counts an attempt by pair, address and username', () => {
    expect(throttleKeys('ann', '10.0.0.1')).toEqual([
      { scope: 'pair', key: 'pair:10.0.0.1|ann' },
      { scope: 'address', key: 'addr:10.0.0.1' },
      { scope: 'user', key: 'user:ann' },
    ]);
  });

  it('remembers no key longer than FORGET_AFTER_MS', () => {
    for (const policy of Object.values(THROTTLE_POLICIES)) {
      expect(policy.forgetAfterMs).toBeLessThanOrEqual(FORGET_AFTER_MS);
    }
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds, at least one', () => {
    expect([1, 999, 1000, 1001, 60_000].map(retryAfterSeconds)).toEqual([1, 1, 1, 2, 60]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  classifyAttempt,
  nextStep,
  parseRetryAfter,
  type AttemptResult,
} from './retry';

const NOW = Date.UTC(2026, 0, 15, 12);
const response = (status: number, retryAfter?: string): AttemptResult => ({
  kind: 'response',
  status,
  retryAfter,
});

describe('classifyAttempt', () => {
  it.each([200, 201, 202, 204, 299])('%i is delivered', (status) => {
    expect(classifyAttempt(response(status), NOW)).toEqual({ outcome: 'delivered' });
  });

  it.each([400, 401, 403, 404, 405, 410, 413, 422, 501, 505, 100, 301, 302, 307, 308])(
    '%i is permanent',
    (status) => {
      expect(classifyAttempt(response(status), NOW).outcome).toBe('permanent');
    },
  );

  it.each([408, 425, 429, 500, 502, 503, 504, 599])('%i is retried', (status) => {
    expect(classifyAttempt(response(status), NOW).outcome).toBe('retry');
  });

  it('network errors and timeouts are retried', () => {
    expect(classifyAttempt({ kind: 'network', error: 'ECONNREFUSED' }, NOW)).toEqual({
      outcome: 'retry',
      reason: 'ECONNREFUSED',
      retryAfterMs: null,
    });
    expect(classifyAttempt({ kind: 'timeout', afterMs: 10_000 }, NOW).outcome).toBe('retry');
  });

  it('SMTP replies by class: 2yz delivered, 4yz and 503 retried, other 5yz permanent', () => {
    const smtp = (code: number, reply?: string): AttemptResult => ({ kind: 'smtp', code, reply });
    expect(classifyAttempt(smtp(250), NOW)).toEqual({ outcome: 'delivered' });
    for (const code of [421, 450, 451, 452, 503]) {
      expect(classifyAttempt(smtp(code), NOW).outcome).toBe('retry');
    }
    for (const code of [500, 501, 535, 550, 552, 554]) {
      expect(classifyAttempt(smtp(code), NOW).outcome).toBe('permanent');
    }
    expect(classifyAttempt(smtp(550, ' 5.1.1 no such user '), NOW)).toEqual({
      outcome: 'permanent',
      reason: 'SMTP 550: 5.1.1 no such user',
    });
    expect(classifyAttempt(smtp(451), NOW)).toEqual({
      outcome: 'retry',
      reason: 'SMTP 451',
      retryAfterMs: null,
    });
  });

  it('unusable settings are permanent: nothing was sent', () => {
    expect(classifyAttempt({ kind: 'invalid', reason: 'no URL' }, NOW)).toEqual({
      outcome: 'permanent',
      reason: 'no URL',
    });
  });

  it('reads Retry-After on a retry', () => {
    expect(classifyAttempt(response(429, '30'), NOW)).toEqual({
      outcome: 'retry',
      reason: 'HTTP 429',
      retryAfterMs: 30_000,
    });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), NOW)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const value of [undefined, null, '', '-5', '1.5', 'soon', '2026-01-15', '9'.repeat(30)]) {
      expect(parseRetryAfter(value, NOW)).toBeNull();
    }
  });
});

describe('backoffDelay', () => {
  const policy = DEFAULT_RETRY_POLICY;

  it('doubles from the base, with equal jitter, up to the cap', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(5_000);
    expect(backoffDelay(1, policy, () => 1)).toBe(10_000);
    expect(backoffDelay(2, policy, () => 1)).toBe(20_000);
    expect(backoffDelay(4, policy, () => 0.5)).toBe(60_000);
    expect(backoffDelay(30, policy, () => 1)).toBe(policy.maxDelayMs);
    expect(backoffDelay(10_000, policy, () => 1)).toBe(policy.maxDelayMs);
  });

  it('stays within [ceiling/2, ceiling] for any draw, even a bad one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.double(), (attempt, draw) => {
        const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        const delay = backoffDelay(attempt, policy, () => draw);
        expect(delay).toBeGreaterThanOrEqual(Math.round(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
    );
  });
});

describe('nextStep', () => {
  const context = { attempt: 1, createdAt: NOW, now: NOW, random: () => 1 };

  it('delivered, retry later, or fail at once', () => {
    expect(nextStep(response(204), context)).toEqual({ action: 'delivered' });
    expect(nextStep(response(503), context)).toEqual({
      action: 'retry',
      at: NOW + 10_000,
      reason: 'HTTP 503',
    });
    expect(nextStep(response(410), context)).toEqual({ action: 'fail', reason: 'HTTP 410' });
  });

  it('waits at least as long as Retry-After asks, up to its cap', () => {
    expect(nextStep(response(429, '600'), context)).toMatchObject({ at: NOW + 600_000 });
    expect(nextStep(response(429, '999999'), context)).toMatchObject({
      at: NOW + DEFAULT_RETRY_POLICY.maxRetryAfterMs,
    });
    expect(nextStep(response(503, '1'), context)).toMatchObject({ at: NOW + 10_000 });
  });

  it('gives up after the last attempt', () => {
    const step = nextStep(
      { kind: 'network', error: 'ECONNRESET' },
      { ...context, attempt: DEFAULT_RETRY_POLICY.maxAttempts },
    );
    expect(step).toEqual({ action: 'fail', reason: 'ECONNRESET; gave up after 15 attempts' });
  });

  it('gives up when the next attempt would be past the age budget', () => {
    const late = { ...context, attempt: 3, now: NOW + DEFAULT_RETRY_POLICY.maxAgeMs - 1000 };
    expect(nextStep(response(500), late).action).toBe('fail');
  });

  it('a receiver down for good is given up on within the budget, attempts spaced by backoff', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 20 }),
        (draws) => {
          let now = NOW;
          let attempt = 1;
          let i = 0;
          for (;;) {
            const step = nextStep(response(503), {
              attempt,
              createdAt: NOW,
              now,
              random: () => draws[i++ % draws.length] ?? 0.5,
            });
            if (step.action === 'fail') break;
            expect(step.action).toBe('retry');
            if (step.action !== 'retry') return;
            expect(step.at).toBeGreaterThan(now);
            expect(step.at).toBeLessThanOrEqual(NOW + DEFAULT_RETRY_POLICY.maxAgeMs);
            now = step.at;
            attempt += 1;
          }
          expect(attempt).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxAttempts);
        },
      ),
    );
  });
});

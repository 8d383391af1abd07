import { describe, expect, it } from 'vitest';
import { backoffMs, kafkaSourceName, KEY_SPACE, messageKey, planBatch } from './kafka';

describe('planBatch', () => {
  it('folds from where the consumer starts when PostgreSQL holds no position', () => {
    expect(planBatch({ position: null, sought: false }, 17)).toEqual({ action: 'fold', from: 17 });
  });

  it('folds a batch that starts at the stored position', () => {
    expect(planBatch({ position: 40, sought: false }, 40)).toEqual({ action: 'fold', from: 40 });
  });

  it('seeks once to the stored position when the consumer starts elsewhere', () => {
    // Kafka's committed offset lags PostgreSQL's (crash between the two commits)…
    expect(planBatch({ position: 40, sought: false }, 25)).toEqual({ action: 'seek', offset: 40 });
    // …or runs ahead of it.
    expect(planBatch({ position: 40, sought: false }, 90)).toEqual({ action: 'seek', offset: 40 });
  });

  it('after the seek, skips what is below the position and accepts real gaps', () => {
    expect(planBatch({ position: 40, sought: true }, 25)).toEqual({ action: 'fold', from: 40 });
    expect(planBatch({ position: 40, sought: true }, 42)).toEqual({ action: 'fold', from: 40 });
  });
});

describe('messageKey', () => {
  it('cycles through a fixed key space', () => {
    expect(messageKey(0)).toBe('s0');
    expect(messageKey(KEY_SPACE + 5)).toBe('s5');
    expect(new Set(Array.from({ length: 3 * KEY_SPACE }, (_, i) => messageKey(i))).size).toBe(
      KEY_SPACE,
    );
  });
});

describe('backoffMs', () => {
  it('doubles from the base up to the cap', () => {
    expect([0, 1, 2, 3, 10, 1000].map((n) => backoffMs(n, 250, 5000))).toEqual([
      0, 250, 500, 1000, 5000, 5000,
    ]);
  });
});

it('names a topic as a source', () =>
  expect(kafkaSourceName('pulse-events')).toBe('kafka:pulse-events'));

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { causeSentence, fit, formatChange, formatReading, formatWindow, isHttpUrl } from './format';
import { T0, anomaly, incidentSnapshot } from './testing';

describe('formatChange and formatReading', () => {
  it('relative change with a real minus sign; points for rates', () => {
    expect(formatChange(anomaly())).toBe('\u221258%');
    expect(formatChange(anomaly({ change: 0.125 }))).toBe('+13%');
    expect(formatChange(anomaly({ change: null }))).toBe('');
    const rate = {
      ...anomaly({ value: 0.021, expected: 0.029 }),
      metric: { key: 'c', name: 'C', unit: '%' },
    };
    expect(formatChange(rate)).toBe('\u22120.8 pts');
    expect(formatChange({ ...rate, value: 0.2, expected: 0.28 })).toBe('\u22128 pts');
    expect(formatReading(anomaly())).toBe('1,250 (expected 2,980, \u221258%)');
    expect(formatReading(anomaly({ value: null, change: null }))).toBe('— (expected 2,980)');
  });
});

describe('causeSentence', () => {
  it('names the metrics, the direction and the cause', () => {
    expect(causeSentence(incidentSnapshot())).toBe(
      'Purchases, Revenue and Conversion dropped, concentrated in region=eu-west.',
    );
    expect(
      causeSentence(incidentSnapshot({ cause: [], anomalies: [anomaly({ change: 0.4 })] })),
    ).toBe('Purchases rose; no shared cause was found.');
  });
});

describe('formatWindow', () => {
  it('is UTC', () => {
    expect(formatWindow(T0 - 60_000, T0)).toBe('11:59–12:00 UTC, 15 Jan 2026');
  });
});

describe('isHttpUrl', () => {
  it('only absolute http(s)', () => {
    expect(isHttpUrl('https://pulse.example.com/incidents/1')).toBe(true);
    expect(isHttpUrl('javascript:alert(1)')).toBe(false);
    expect(isHttpUrl('/incidents/1')).toBe(false);
    expect(isHttpUrl('https://')).toBe(false);
  });
});

describe('fit', () => {
  const amp = (c: string) => (c === '&' ? '&amp;' : c);

  it('keeps text that fits, cuts with an ellipsis what does not', () => {
    expect(fit('abc', 3)).toBe('abc');
    expect(fit('abcd', 3)).toBe('ab…');
    expect(fit('a&b', 7, amp)).toBe('a&amp;b');
    expect(fit('a&b', 6, amp)).toBe('a…');
  });

  it('never exceeds the limit, never splits a pair or an escape', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 40 }), (text, max) => {
        const out = fit(text, max, amp);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
        expect(out.replace(/&amp;/g, '')).not.toContain('&');
      }),
    );
  });
});

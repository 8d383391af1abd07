import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next';

describe('safeNext', () => {
  it('keeps same-site relative paths', () => {
    expect(safeNext('/')).toBe('/');
    expect(safeNext('/anomalies/12')).toBe('/anomalies/12');
    expect(safeNext('/metrics/checkout?x=1#y')).toBe('/metrics/checkout?x=1#y');
  });

  it.each([
    undefined,
    null,
    42,
    '',
    'https://evil.example',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/foo\nbar',
    '/\tevil',
    'anomalies/1',
    '/login',
    '/login?next=/',
  ])('refuses %j', (raw) => {
    expect(safeNext(raw)).toBe('/');
  });
});

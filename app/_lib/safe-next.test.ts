import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next';

describe('safeNext', () => {
  it('keeps same-site relative paths', () => {
    expect(safeNext('/')).toBe('/');
    expect(safeNext('/anomalies/12')).toBe('/anomalies/12');
    expect(safeNext('/metrics/checkout?x=1#y')).toBe('/metrics/checkout?x=1#y');
    expect(safeNext('/a/../metrics')).toBe('/metrics');
    expect(safeNext('/%2F%2Fevil.com')).toBe('/%2F%2Fevil.com'); // a path on this site
  });

  it('property: whatever it returns is a same-site path a browser cannot read as another host', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .array(fc.constantFrom('/', '.', '..', '\\', '%2e', '%2f', 'evil.com', 'a', '?', '#'))
            .map((parts) => parts.join('')),
        ),
        (raw) => {
          const next = safeNext(raw);
          expect(next.startsWith('/')).toBe(true);
          expect(next[1] === '/' || next[1] === '\\').toBe(false);
          expect(new URL(next, 'http://pulse.invalid').origin).toBe('http://pulse.invalid');
        },
      ),
      { numRuns: 3000 },
    );
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
    // Dot segments the URL parser removes, leaving a protocol-relative path (issue 13).
    '/.//evil.com',
    '/./\\evil.com',
    '/a/..//evil.com',
    '/%2e//evil.com',
    '/x/.././/evil.com?next=1',
  ])('refuses %j', (raw) => {
    expect(safeNext(raw)).toBe('/');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatch } from './glob';

describe('globMatch', () => {
  it.each([
    ['revenue*', 'revenue', true],
    ['revenue*', 'revenue_eu', true],
    ['revenue*', 'net_revenue', false],
    ['*revenue*', 'net_revenue_eu', true],
    ['?pu', 'cpu', true],
    ['?pu', 'pu', false],
    ['eu-*-1', 'eu-west-1', true],
    ['eu-*-1', 'eu-west-2', false],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['Revenue', 'revenue', false],
    ['a.b', 'axb', false],
    ['[a]', '[a]', true],
    ['é*', 'été', true],
    ['?', '🙂', true],
  ])('%s ~ %s → %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });

  it('agrees with an anchored regular expression', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '?');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 8 }).map((c) => c.join('')),
        fc.array(fc.constantFrom('a', 'b'), { maxLength: 10 }).map((c) => c.join('')),
        (pattern, text) => {
          const regex = new RegExp(`^${pattern.replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'su');
          expect(globMatch(pattern, text)).toBe(regex.test(text));
        },
      ),
    );
  });

  it('is fast on a pattern built to backtrack', () => {
    const started = performance.now();
    expect(globMatch('*a'.repeat(50) + 'b', 'a'.repeat(5000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

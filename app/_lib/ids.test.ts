import { describe, expect, it } from 'vitest';
import { decodeSafeSegment, decodeSegment, parseId } from './ids';

describe('parseId', () => {
  it('accepts positive integers only', () => {
    expect(parseId('1')).toBe(1);
    expect(parseId('2147483647')).toBe(2147483647);
    for (const bad of ['', '0', '-1', '01', '1.5', '1e3', 'abc', '99999999999', null, undefined]) {
      expect(parseId(bad)).toBeNull();
    }
  });
});

describe('decodeSegment', () => {
  it('decodes once and tolerates bad escapes', () => {
    expect(decodeSegment('checkout_conversion')).toBe('checkout_conversion');
    expect(decodeSegment('a%20b')).toBe('a b');
    expect(decodeSegment('100%')).toBe('100%');
  });
});

describe('decodeSafeSegment', () => {
  it('decodes like decodeSegment', () => {
    expect(decodeSafeSegment('checkout_conversion')).toBe('checkout_conversion');
    expect(decodeSafeSegment('a%20b')).toBe('a b');
    expect(decodeSafeSegment('100%')).toBe('100%');
    expect(decodeSafeSegment('caf%C3%A9')).toBe('café');
  });

  it('is null for text no field may hold, encoded or not', () => {
    for (const raw of ['%00', 'a%00b', '\u0000', '%0A', '%1B%5B2J', '%E2%80%AE', '\u202e']) {
      expect(decodeSafeSegment(raw)).toBeNull();
    }
  });
});

import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature';

describe('signBody', () => {
  it('is sha256= and the hex HMAC-SHA256 of the exact body', () => {
    // RFC 4231 test case 2.
    expect(signBody('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('signs bytes and the same text alike', () => {
    const body = '{"version":1,"title":"région=eu-west ✓"}';
    expect(signBody(new TextEncoder().encode(body), 's')).toBe(signBody(body, 's'));
  });
});

describe('verifySignature', () => {
  const body = '{"version":1,"kind":"open"}';
  const secret = 'a long random secret';

  it('accepts the signature of the body, and only that', () => {
    const header = signBody(body, secret);
    expect(verifySignature(body, secret, header)).toBe(true);
    expect(verifySignature(`${body} `, secret, header)).toBe(false);
    expect(verifySignature(body, 'another secret', header)).toBe(false);
    expect(verifySignature(body, secret, header.toUpperCase())).toBe(false);
  });

  it('refuses missing and malformed headers without throwing', () => {
    for (const header of [
      undefined,
      null,
      '',
      'sha256=',
      'sha1=abc',
      'sha256=zz',
      '🙂'.repeat(40),
    ]) {
      expect(verifySignature(body, secret, header)).toBe(false);
    }
  });

  it('agrees with an independent HMAC for any body and secret', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (b, s) => {
        const hex = createHmac('sha256', s).update(b, 'utf8').digest('hex');
        expect(verifySignature(b, s, `sha256=${hex}`)).toBe(true);
      }),
    );
  });
});

describe("the README's verification snippet", () => {
  // Receivers copy it: it must accept what Pulse signs and refuse anything else.
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const block = /\*\*Verify the signature\*\*[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  const code = (block ?? '').replace(/^import .*\n/m, '');
  const verify = new Function('createHmac', 'timingSafeEqual', `${code}; return verify;`)(
    createHmac,
    timingSafeEqual,
  ) as (body: string, secret: string, header?: string) => boolean;

  it('is there, and five lines in a function', () => {
    expect(block).toBeDefined();
    expect(code.trim().split('\n')).toHaveLength(6);
  });

  it('accepts what signBody signs and refuses a changed body or a missing header', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (body, secret) => {
        expect(verify(body, secret, signBody(body, secret))).toBe(true);
        expect(verify(`${body}x`, secret, signBody(body, secret))).toBe(false);
        expect(verify(body, secret, undefined)).toBe(false);
      }),
    );
  });
});

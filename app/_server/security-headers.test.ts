import { describe, expect, it } from 'vitest';
import {
  applyBaseHeaders,
  BASE_HEADERS,
  contentSecurityPolicy,
  newNonce,
  RESOURCE_CSP,
  RESOURCE_HEADERS,
} from './security-headers';

/** The policy as a map: directive → its sources. */
function directives(policy: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    expect(map.has(name), `directive ${name} appears once`).toBe(false);
    map.set(name, sources);
  }
  return map;
}

const production = (nonce = newNonce()) =>
  contentSecurityPolicy({ nonce, dev: false, https: false, origin: 'http://127.0.0.1:3000' });

describe('contentSecurityPolicy', () => {
  it('runs scripts by nonce only: no inline script, no eval in production', () => {
    const nonce = newNonce();
    const policy = directives(production(nonce));
    const scripts = policy.get('script-src')!;
    expect(scripts).toContain(`'nonce-${nonce}'`);
    expect(scripts).toContain("'strict-dynamic'");
    expect(scripts).not.toContain("'unsafe-inline'");
    expect(scripts).not.toContain("'unsafe-eval'");
    expect(scripts.some((s) => s === '*' || s.endsWith(':'))).toBe(false);
    // Nothing else may run script: no element or attribute directive opens it up.
    for (const name of ['script-src-elem', 'script-src-attr']) expect(policy.has(name)).toBe(false);
  });

  it('locks down everything but what the pages use', () => {
    const policy = directives(production());
    expect(policy.get('default-src')).toEqual(["'self'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(policy.get('form-action')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('img-src')).toEqual(["'self'"]);
    // Styles: elements by nonce; style="…" attributes (React, Recharts) allowed.
    expect(policy.get('style-src')).not.toContain("'unsafe-inline'");
    expect(policy.get('style-src-attr')).toEqual(["'unsafe-inline'"]);
    expect(policy.has('upgrade-insecure-requests')).toBe(false);
  });

  it('uses a different nonce for every response', () => {
    const nonces = new Set(Array.from({ length: 1000 }, () => newNonce()));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    const [a, b] = [production(), production()];
    expect(a).not.toBe(b);
    expect(a.match(/'nonce-([^']+)'/)![1]).not.toBe(b.match(/'nonce-([^']+)'/)![1]);
  });

  it("puts the nonce where Next.js looks for it: script-src's first nonce", () => {
    const nonce = newNonce();
    const scriptSrc = production(nonce)
      .split(';')
      .map((d) => d.trim())
      .find((d) => d.startsWith('script-src'))!;
    expect(scriptSrc.split(/\s+/).find((s) => s.startsWith("'nonce-"))).toBe(`'nonce-${nonce}'`);
  });

  it("adds 'unsafe-eval' (and inline styles) in development only", () => {
    const nonce = newNonce();
    const dev = directives(contentSecurityPolicy({ nonce, dev: true, https: false }));
    expect(dev.get('script-src')).toContain("'unsafe-eval'");
    expect(dev.get('script-src')).toContain(`'nonce-${nonce}'`);
    expect(dev.get('script-src')).not.toContain("'unsafe-inline'");
    expect(dev.get('style-src')).toContain("'unsafe-inline'");
    const prod = directives(contentSecurityPolicy({ nonce, dev: false, https: false }));
    expect(prod.get('script-src')).not.toContain("'unsafe-eval'");
    expect(prod.get('style-src')).toEqual(["'self'", `'nonce-${nonce}'`]);
  });

  it('upgrades insecure requests over https only', () => {
    const nonce = newNonce();
    expect(
      directives(contentSecurityPolicy({ nonce, dev: false, https: true })).has(
        'upgrade-insecure-requests',
      ),
    ).toBe(true);
    expect(
      directives(contentSecurityPolicy({ nonce, dev: false, https: false })).has(
        'upgrade-insecure-requests',
      ),
    ).toBe(false);
  });

  it("spells out our own WebSocket origin in connect-src, and no one else's", () => {
    const nonce = newNonce();
    const connect = (origin?: string | null) =>
      directives(contentSecurityPolicy({ nonce, dev: false, https: false, origin })).get(
        'connect-src',
      );
    expect(connect('http://127.0.0.1:3000')).toEqual(["'self'", 'ws://127.0.0.1:3000']);
    expect(connect('https://pulse.example.com')).toEqual(["'self'", 'wss://pulse.example.com']);
    expect(connect('http://[::1]:3000')).toEqual(["'self'", 'ws://[::1]:3000']);
    expect(connect(null)).toEqual(["'self'"]);
    expect(connect(undefined)).toEqual(["'self'"]);
    // An origin that is not a plain host cannot add sources or directives.
    expect(connect('http://a;script-src')).toEqual(["'self'"]);
    expect(connect('ftp://example.com')).toEqual(["'self'"]);
    expect(connect('not a url')).toEqual(["'self'"]);
  });

  it('refuses a nonce that could break out of its source expression', () => {
    for (const nonce of ["x' 'unsafe-inline", 'a;b', '', 'a b']) {
      expect(() => contentSecurityPolicy({ nonce, dev: false, https: false })).toThrow();
    }
  });
});

describe('resource headers', () => {
  it('forbid loading, running and framing anything', () => {
    const policy = directives(RESOURCE_CSP);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(RESOURCE_HEADERS['Content-Security-Policy']).toBe(RESOURCE_CSP);
  });

  it('carry the base headers', () => {
    expect(BASE_HEADERS).toMatchObject({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    expect(BASE_HEADERS['Permissions-Policy']).toMatch(/(^|, )camera=\(\)/);
    for (const [name, value] of Object.entries(BASE_HEADERS)) {
      expect(RESOURCE_HEADERS[name]).toBe(value);
    }
  });

  it('are set on a Node response by applyBaseHeaders', () => {
    const set = new Map<string, string>();
    applyBaseHeaders({ setHeader: (name, value) => set.set(name, value) });
    expect(Object.fromEntries(set)).toEqual(RESOURCE_HEADERS);
  });
});

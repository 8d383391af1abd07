/**
 * The proxy's headers: a page gets a policy with a nonce of its own, also set on the request
 * where Next.js reads it; route handlers and redirects get the policy of a resource.
 */
import { NextRequest } from 'next/server';
import { describe, expect, it } from 'vitest';
import { BASE_HEADERS, RESOURCE_CSP } from '@/app/_server/security-headers';
import { proxy } from './proxy';

// server.ts sets x-pulse-origin on every request: the origin browsers use.
const SIGNED_IN = { cookie: 'pulse_session=token', 'x-pulse-origin': 'http://127.0.0.1:3000' };

function run(path: string, headers: Record<string, string> = {}) {
  return proxy(new NextRequest(`http://127.0.0.1:3000${path}`, { headers }));
}

const nonceOf = (csp: string | null) => /'nonce-([^']+)'/.exec(csp ?? '')?.[1];

describe('proxy', () => {
  it('gives each page a policy with a fresh nonce, on the response and the request', () => {
    const first = run('/metrics', SIGNED_IN);
    const second = run('/metrics', SIGNED_IN);
    const csp = first.headers.get('content-security-policy');
    expect(nonceOf(csp)).toBeTruthy();
    expect(nonceOf(second.headers.get('content-security-policy'))).not.toBe(nonceOf(csp));
    // What Next.js renders with: the request's policy, overridden by the proxy.
    expect(first.headers.get('x-middleware-request-content-security-policy')).toBe(csp);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain('ws://127.0.0.1:3000');
    for (const [name, value] of Object.entries(BASE_HEADERS)) {
      expect(first.headers.get(name)).toBe(value);
    }
  });

  it("replaces a policy the client sent with the page's own", () => {
    const response = run('/login', {
      'content-security-policy': "script-src 'nonce-chosenbyme'",
      'content-security-policy-report-only': "script-src 'nonce-chosenbyme'",
    });
    const sent = response.headers.get('x-middleware-request-content-security-policy');
    expect(sent).toBe(response.headers.get('content-security-policy'));
    expect(sent).not.toContain('chosenbyme');
    expect(response.headers.get('x-middleware-override-headers')).not.toContain(
      'content-security-policy-report-only',
    );
  });

  it('upgrades insecure requests when the browser came over https', () => {
    const response = run('/', { ...SIGNED_IN, 'x-pulse-origin': 'https://pulse.example.com' });
    const csp = response.headers.get('content-security-policy');
    expect(csp).toContain('upgrade-insecure-requests');
    expect(csp).toContain('wss://pulse.example.com');
  });

  it('gives route handlers and redirects the policy of a resource', () => {
    const api = run('/api/board', SIGNED_IN);
    expect(api.headers.get('content-security-policy')).toBe(RESOURCE_CSP);
    expect(api.headers.get('x-middleware-request-content-security-policy')).toBeNull();
    const redirect = run('/metrics');
    expect(redirect.status).toBe(307);
    expect(new URL(redirect.headers.get('location')!).search).toBe('?next=%2Fmetrics');
    expect(redirect.headers.get('content-security-policy')).toBe(RESOURCE_CSP);
    expect(redirect.headers.get('x-frame-options')).toBe('DENY');
  });
});

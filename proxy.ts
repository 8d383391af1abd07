/**
 * Optimistic route protection and security headers. Pages without a session cookie go to the
 * sign-in page straight away; the real check (is the session valid, which role) happens in
 * the page or route handler, which reads the session from the database.
 *
 * Every page gets a Content-Security-Policy with a nonce of its own: set on the request too,
 * where Next.js reads it and stamps the nonce on the scripts it emits (every page is rendered
 * per request: `dynamic = 'force-dynamic'`). Route handlers and redirects get the policy of a
 * resource. Paths this proxy skips (the matcher below) get theirs from server.ts; the values
 * live in app/_server/security-headers.ts.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { config as webConfig } from '@/env';
import { isHttps, requestOrigin, SESSION_COOKIE } from '@/app/_server/headers';
import {
  BASE_HEADERS,
  contentSecurityPolicy,
  newNonce,
  RESOURCE_CSP,
} from '@/app/_server/security-headers';

const PUBLIC_PAGES = new Set(['/login']);
const CSP = 'Content-Security-Policy';

function withSecurityHeaders(response: NextResponse, csp: string): NextResponse {
  for (const [name, value] of Object.entries(BASE_HEADERS)) response.headers.set(name, value);
  response.headers.set(CSP, csp);
  return response;
}

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const isApi = pathname === '/api' || pathname.startsWith('/api/');
  if (isApi) return withSecurityHeaders(NextResponse.next(), RESOURCE_CSP);
  if (!PUBLIC_PAGES.has(pathname) && !request.cookies.has(SESSION_COOKIE)) {
    const login = request.nextUrl.clone();
    login.pathname = '/login';
    login.search = '';
    login.searchParams.set('next', `${pathname}${search}`);
    return withSecurityHeaders(NextResponse.redirect(login), RESOURCE_CSP);
  }
  const csp = contentSecurityPolicy({
    nonce: newNonce(),
    dev: webConfig().nodeEnv === 'development',
    https: isHttps(request),
    origin: requestOrigin(request),
  });
  // Next.js takes the nonce from the request's policy (whatever a client sent is replaced).
  const headers = new Headers(request.headers);
  headers.set(CSP, csp);
  headers.delete('content-security-policy-report-only');
  return withSecurityHeaders(NextResponse.next({ request: { headers } }), csp);
}

export const config = {
  matcher: [
    // Everything but Next's assets, socket.io's transport and static files with an extension.
    '/((?!_next/static|_next/image|socket\\.io|favicon\\.ico|icon\\.svg|.*\\.(?:svg|png|jpg|jpeg|gif|webp|ico|txt|xml|json|map|webmanifest)$).*)',
  ],
};

/**
 * Optimistic route protection and security headers. Pages without a session cookie go to the
 * sign-in page straight away; the real check (is the session valid, which role) happens in
 * the page or route handler, which reads the session from the database.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { SESSION_COOKIE } from '@/app/_server/headers';

const PUBLIC_PAGES = new Set(['/login']);

function withSecurityHeaders(response: NextResponse): NextResponse {
  response.headers.set('X-Content-Type-Options', 'nosniff');
  response.headers.set('X-Frame-Options', 'DENY');
  response.headers.set('Referrer-Policy', 'same-origin');
  response.headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  response.headers.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  return response;
}

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const isApi = pathname === '/api' || pathname.startsWith('/api/');
  if (!isApi && !PUBLIC_PAGES.has(pathname) && !request.cookies.has(SESSION_COOKIE)) {
    const login = request.nextUrl.clone();
    login.pathname = '/login';
    login.search = '';
    login.searchParams.set('next', `${pathname}${search}`);
    return withSecurityHeaders(NextResponse.redirect(login));
  }
  return withSecurityHeaders(NextResponse.next());
}

export const config = {
  matcher: [
    // Everything but Next's assets, socket.io's transport and static files with an extension.
    '/((?!_next/static|_next/image|socket\\.io|favicon\\.ico|icon\\.svg|.*\\.(?:svg|png|jpg|jpeg|gif|webp|ico|txt|xml|json|map|webmanifest)$).*)',
  ],
};

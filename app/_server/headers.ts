/**
 * What a browser request carries, read without Next.js: the session cookie (its name, reading
 * it from a Cookie header, its attributes), the scheme, and whether the request comes from our
 * own origin. It imports nothing of Next.js: server.ts (through the socket.io service,
 * ./live.ts) and proxy.ts use it without loading next/headers, whose request-scope storage must
 * not be initialised before Next sets up AsyncLocalStorage; and route handlers read the session
 * from the request itself, so that they run the same when a test calls them with a plain
 * `Request`.
 */
export const SESSION_COOKIE = 'pulse_session';

/** The value of cookie `name` in a Cookie header, or undefined. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key !== name) continue;
    const value = rest.join('=');
    try {
      return decodeURIComponent(value);
    } catch {
      // A malformed escape is not a session we issued; compare it as sent (it will not match).
      return value;
    }
  }
  return undefined;
}

/** True when the browser talks to us over https (directly or behind a TLS-terminating proxy). */
export function isHttps(request: Request): boolean {
  const forwarded = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (forwarded === 'https') return true;
  try {
    return new URL(request.url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** Attributes of the session cookie: not readable by scripts, sent on top-level navigations. */
export function sessionCookieOptions(request: Request, maxAgeMs: number) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    path: '/',
    secure: isHttps(request),
    maxAge: Math.max(0, Math.floor(maxAgeMs / 1000)),
  };
}

/**
 * True when `origin` (an Origin or Referer header) names the host the request was sent to: the
 * one comparison behind the route helper's guard and the socket.io handshake's.
 */
export function isSameOrigin(origin: string, host: string | null | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * The header server.ts sets on every request before Next.js sees it: the client's address, as
 * the socket saw it or, with PULSE_TRUST_PROXY, as the proxy's X-Forwarded-For says. A value a
 * client sent itself is always overwritten, so route handlers may trust it.
 */
export const CLIENT_ADDRESS_HEADER = 'x-pulse-client-address';

/** The client address of a request (see {@link CLIENT_ADDRESS_HEADER}); 'unknown' without one. */
export function clientAddress(request: Request): string {
  return request.headers.get(CLIENT_ADDRESS_HEADER) || 'unknown';
}

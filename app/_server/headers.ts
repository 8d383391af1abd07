/**
 * What a browser request carries, read without Next.js: the session cookie (its name, reading
 * it from a Cookie header, its attributes), the scheme, and whether the request comes from our
 * own origin. It imports nothing of Next.js: server.ts (through the socket.io service,
 * ./live.ts) and proxy.ts use it without loading next/headers, whose request-scope storage must
 * not be initialised before Next sets up AsyncLocalStorage; and route handlers read the session
 * from the request itself, so that they run the same when a test calls them with a plain
 * `Request`.
 */
import type { IncomingMessage } from 'node:http';

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

/** How the server knows the origin browsers use (PULSE_PUBLIC_URL, PULSE_TRUST_PROXY). */
export interface OriginPolicy {
  /** The configured public origin (`https://pulse.example.com`); wins over the request. */
  publicUrl?: string | undefined;
  /** Whether X-Forwarded-Proto (and X-Forwarded-For) come from a proxy we trust. */
  trustProxy: boolean;
}

/**
 * The origin a browser used to reach us: the configured public URL, else the scheme (TLS on the
 * socket, or a trusted proxy's X-Forwarded-Proto) with the Host header. Null without a host.
 */
export function serverOrigin(
  facts: {
    host: string | null | undefined;
    encrypted: boolean;
    forwardedProto?: string | null | undefined;
  },
  policy: OriginPolicy,
): string | null {
  if (policy.publicUrl) return policy.publicUrl;
  if (!facts.host) return null;
  const forwarded = policy.trustProxy
    ? facts.forwardedProto?.split(',')[0]?.trim().toLowerCase()
    : undefined;
  const scheme =
    forwarded === 'https' || forwarded === 'http' ? forwarded : facts.encrypted ? 'https' : 'http';
  try {
    const url = new URL(`${scheme}://${facts.host}`);
    // A Host header with a path, credentials or query is not a host.
    return url.host === facts.host.toLowerCase() ? url.origin : null;
  } catch {
    return null;
  }
}

/** {@link serverOrigin} of a Node request (server.ts, the socket.io handshake). */
export function incomingOrigin(req: IncomingMessage, policy: OriginPolicy): string | null {
  const socket = req.socket as { encrypted?: boolean };
  const proto = req.headers['x-forwarded-proto'];
  return serverOrigin(
    {
      host: req.headers.host,
      encrypted: socket.encrypted === true,
      forwardedProto: Array.isArray(proto) ? proto[0] : proto,
    },
    policy,
  );
}

/**
 * The header server.ts sets on every request before Next.js sees it: {@link incomingOrigin},
 * computed with the configured policy. A value a client sent itself is always overwritten.
 */
export const ORIGIN_HEADER = 'x-pulse-origin';

/**
 * The origin a route handler's request was sent to: what server.ts established, or (a handler
 * called without server.ts, as tests do) the request URL's scheme with its Host header.
 */
export function requestOrigin(request: Request): string | null {
  const set = request.headers.get(ORIGIN_HEADER);
  if (set) return set;
  let encrypted = false;
  try {
    encrypted = new URL(request.url).protocol === 'https:';
  } catch {
    // not a URL: plain http
  }
  return serverOrigin({ host: request.headers.get('host'), encrypted }, { trustProxy: false });
}

/** True when the browser talks to us over https (directly or behind a trusted proxy). */
export function isHttps(request: Request): boolean {
  return requestOrigin(request)?.startsWith('https:') ?? false;
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
 * True when `origin` (an Origin or Referer header) is exactly `expected`: scheme, host and port.
 * The one comparison behind the route helper's guard and the socket.io handshake's.
 */
export function isSameOrigin(origin: string, expected: string | null | undefined): boolean {
  if (!expected) return false;
  try {
    return new URL(origin).origin === expected;
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

/**
 * The client's address of a Node request: the socket's peer, or with a trusted proxy the
 * nearest address X-Forwarded-For names (the last entry: the one our proxy appended).
 */
export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const list = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    const last = list[list.length - 1]?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

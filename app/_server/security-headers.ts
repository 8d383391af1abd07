/**
 * The security headers of every response the web process serves, in one place. Two users:
 *
 * - proxy.ts, for pages: {@link BASE_HEADERS} and a {@link contentSecurityPolicy} with a fresh
 *   {@link newNonce} per request, which it also puts on the request so Next.js stamps the nonce
 *   on its own scripts (its flight data `self.__next_f.push(…)` included);
 * - server.ts and socket.io's transport (app/_server/live.ts), for everything else — static
 *   files, route handlers, /api/health, POST /api/ingest, /metrics, socket.io polling:
 *   {@link RESOURCE_HEADERS}, the base headers with a policy that lets the response load and run
 *   nothing ({@link RESOURCE_CSP}). server.ts sets them on the response before Next sees the
 *   request; Next's `setHeader` of the proxy's policy replaces the resource policy on pages, so
 *   a response carries one Content-Security-Policy.
 *
 * It imports nothing of Next.js: server.ts loads it before Next is prepared.
 */
import { randomBytes } from 'node:crypto';

/** Headers every response carries, whatever it holds. */
export const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // Never guess a type from the bytes: a JSON body or an upload is not a script or a page.
  'X-Content-Type-Options': 'nosniff',
  // No framing (clickjacking); `frame-ancestors 'none'` says the same to browsers with CSP 2.
  'X-Frame-Options': 'DENY',
  // Full URLs (metric keys, anomaly ids, ?next=) stay on our origin; other sites see nothing.
  'Referrer-Policy': 'same-origin',
  // Powerful features Pulse never uses, refused for the page and anything it might embed.
  'Permissions-Policy':
    'accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), ' +
    'magnetometer=(), microphone=(), payment=(), usb=(), browsing-topics=()',
  // A window we open or that opens us shares no browsing context group (no window.opener).
  'Cross-Origin-Opener-Policy': 'same-origin',
  // Other origins may not embed our responses (no-cors <img>, <script>, fetch): Spectre-style
  // reads of JSON and pages from a hostile page stay out of its process.
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/** The policy of a response that is not a page: it may load nothing, run nothing, be framed by no one. */
export const RESOURCE_CSP = "default-src 'none'; frame-ancestors 'none'";

/** {@link BASE_HEADERS} with {@link RESOURCE_CSP}: what server.ts and socket.io set. */
export const RESOURCE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...BASE_HEADERS,
  'Content-Security-Policy': RESOURCE_CSP,
});

/** A nonce for one response: 128 random bits, base64 (the form Next.js extracts). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export interface CspOptions {
  /** This response's nonce ({@link newNonce}); never reused. */
  nonce: string;
  /** `npm run dev`: React's dev tools need eval, Next's dev overlay injects styles. */
  dev: boolean;
  /** Served over https (directly or behind a trusted proxy): upgrade any stray http request. */
  https: boolean;
  /**
   * Our origin as browsers see it (`http://127.0.0.1:3000`), when known: its WebSocket form is
   * spelled out in connect-src for browsers whose `'self'` does not cover ws:/wss: (WebKit
   * before CSP 3's rule; socket.io would fall back to long polling there).
   */
  origin?: string | null | undefined;
}

/** The WebSocket origin of an http(s) origin, or undefined when it is not a plain one. */
function webSocketOrigin(origin: string | null | undefined): string | undefined {
  if (!origin) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // A source expression is a host and port only: nothing a Host header could smuggle in.
  if (!/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i.test(url.host)) return undefined;
  return `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}`;
}

/**
 * The Content-Security-Policy of a page. Scripts run only with this response's nonce
 * (`'strict-dynamic'` lets them load Next's chunks; `'self'` is the fallback of browsers without
 * CSP 3, which ignore `'strict-dynamic'`); no inline script, no eval outside development.
 */
export function contentSecurityPolicy(options: CspOptions): string {
  const { nonce, dev, https } = options;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(nonce)) throw new Error('a nonce is base64 text');
  const ws = webSocketOrigin(options.origin);
  const directives: [string, ...string[]][] = [
    ['default-src', "'self'"],
    [
      'script-src',
      "'self'",
      `'nonce-${nonce}'`,
      "'strict-dynamic'",
      ...(dev ? ["'unsafe-eval'"] : []),
    ],
    // <style> and stylesheets: ours ('self') and Next's own inline styles, which carry the
    // nonce. In development Next's overlay injects styles without it (and a nonce in the list
    // would switch 'unsafe-inline' off), so there styles are simply allowed.
    ['style-src', "'self'", ...(dev ? ["'unsafe-inline'"] : [`'nonce-${nonce}'`])],
    // style="…" attributes: React renders them on the server (chart heights, bar widths) and
    // Recharts sets them. An attribute cannot run code or load anything.
    ['style-src-attr', "'unsafe-inline'"],
    ['img-src', "'self'"],
    ['font-src', "'self'"],
    // fetch to our API and socket.io (polling, then WebSocket to the same origin).
    ['connect-src', "'self'", ...(ws ? [ws] : [])],
    ['object-src', "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'self'"],
    ['frame-ancestors', "'none'"],
    ...(https ? [['upgrade-insecure-requests'] as [string]] : []),
  ];
  return directives.map((d) => d.join(' ')).join('; ');
}

/** Sets {@link RESOURCE_HEADERS} on a Node response (server.ts, before anything else). */
export function applyBaseHeaders(res: { setHeader(name: string, value: string): unknown }): void {
  for (const [name, value] of Object.entries(RESOURCE_HEADERS)) res.setHeader(name, value);
}

/**
 * Where to go after signing in. Only same-site relative paths are accepted: a single leading
 * '/', no '//' or '/\' (protocol-relative) before or after the URL parser normalised it, no
 * control characters. Anything else → '/'.
 */
export function safeNext(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return '/';
  if (!raw.startsWith('/')) return '/';
  const second = raw[1];
  if (second === '/' || second === '\\') return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return '/';
  try {
    // Resolve against a dummy origin: whatever the browser would make of it must stay same-site.
    const url = new URL(raw, 'http://pulse.invalid');
    if (url.origin !== 'http://pulse.invalid') return '/';
    if (url.pathname === '/login') return '/';
    // The parser normalises dot segments: "/.//evil.com" becomes "//evil.com", which a browser
    // reads as another host. What is returned must pass the same checks as what came in.
    const path = url.pathname + url.search + url.hash;
    if (path[1] === '/' || path[1] === '\\') return '/';
    return path;
  } catch {
    return '/';
  }
}

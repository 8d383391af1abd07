/**
 * Keeping a channel's credentials out of everything people and logs see. A channel's
 * credentials are its webhook URL (a token may sit in its path or query; a Slack webhook's path
 * is its token), its signing secret and its SMTP URL (user and password). Error texts — a
 * transport's failure, a test send's result — are masked with {@link maskCredentials} before
 * they are recorded or answered; a destination is shown by its origin only.
 */

/** The settings that hold credentials, of any of the three channel types. */
export type CredentialSettings =
  | { type: 'webhook'; url: string; secret: string }
  | { type: 'slack'; webhookUrl: string }
  | { type: 'email'; smtp: string };

/** The origin of a URL, without its path, query or user info (where credentials sit). */
export function urlOrigin(text: string): string {
  try {
    return new URL(text).origin;
  } catch {
    return '(invalid URL)';
  }
}

/** The texts of a URL that may carry a credential: whole, its user info, path and query. */
function urlCredentials(text: string): string[] {
  const found = [text];
  try {
    const url = new URL(text);
    for (const part of [url.username, url.password]) {
      if (part) found.push(part, decodeURIComponent(part));
    }
    if (url.pathname.length > 1) found.push(url.pathname, url.pathname.slice(1));
    if (url.search) found.push(url.search, url.search.slice(1));
    if (url.hash) found.push(url.hash);
    found.push(url.href);
  } catch {
    // Not a URL: the text alone.
  }
  return found;
}

/** Every text of the channel's settings that must not appear in an error, longest first. */
export function credentialsOf(settings: CredentialSettings): string[] {
  const found =
    settings.type === 'webhook'
      ? [...urlCredentials(settings.url), settings.secret]
      : settings.type === 'slack'
        ? urlCredentials(settings.webhookUrl)
        : urlCredentials(settings.smtp);
  // Longest first, so a URL is masked whole before its parts; very short parts (a path of "/x")
  // would mask ordinary words and are no secret worth the name.
  return [...new Set(found.filter((s) => s.length >= 3))].sort((a, b) => b.length - a.length);
}

/** Longest error text kept: a line for the log, not a receiver's whole page. */
export const ERROR_MAX = 500;

/**
 * `text` fit for the attempt log and a test send's answer: every credential replaced by `…`,
 * on one line, cut to {@link ERROR_MAX} characters.
 */
export function maskCredentials(text: string, credentials: readonly string[]): string {
  let out = text;
  for (const secret of credentials) out = out.split(secret).join('…');
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > ERROR_MAX ? `${out.slice(0, ERROR_MAX - 1)}…` : out;
}

/**
 * A channel's stored settings (`notification_channels.secret`: the ChannelConfig of
 * lib/alerts/notify/config-file.ts, credentials included) as the transports use them, and the
 * rule every recorded error follows: it never holds a credential.
 *
 * The settings were validated when they were written (the provisioning file, the settings
 * page); they are checked again here because a row can be edited by hand, and a transport must
 * refuse what it cannot use with a reason that names fields, never their values.
 */
import { z } from 'zod';
import type { ChannelType } from '@/db/queries/deliveries';

/** An http(s) URL without user info: fetch refuses one with it (put a token in the path). */
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).refine((text) => {
  const url = new URL(text);
  return url.username === '' && url.password === '';
}, 'expected a URL without user info');

const StoredChannel = z.discriminatedUnion('type', [
  z.object({ type: z.literal('webhook'), url: httpUrl, secret: z.string().min(1) }),
  z.object({ type: z.literal('slack'), webhookUrl: httpUrl }),
  z.object({
    type: z.literal('email'),
    to: z.array(z.string().min(3)).min(1),
    from: z.string().min(3),
    smtp: z.string().regex(/^smtps?:\/\/[^\s/?#]+/, { error: 'expected an smtp(s) URL' }),
  }),
]);
export type ChannelSettings = z.infer<typeof StoredChannel>;
export type WebhookSettings = Extract<ChannelSettings, { type: 'webhook' }>;
export type SlackSettings = Extract<ChannelSettings, { type: 'slack' }>;
export type EmailSettings = Extract<ChannelSettings, { type: 'email' }>;

/**
 * The channel's settings, typed by its `type` column; or why they cannot be used, naming the
 * fields only (a value may be a credential).
 */
export function channelSettings(
  type: ChannelType,
  stored: Record<string, unknown>,
): { ok: true; settings: ChannelSettings } | { ok: false; reason: string } {
  const parsed = StoredChannel.safeParse({ ...stored, type });
  if (parsed.success) return { ok: true, settings: parsed.data };
  const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || type))];
  return {
    ok: false,
    reason: `the ${type} channel's settings cannot be used (check ${fields.join(', ')})`,
  };
}

/** The texts of a URL that may carry a credential: whole, its user info, path and query. */
function urlCredentials(text: string): string[] {
  const found = [text];
  try {
    const url = new URL(text);
    for (const part of [url.username, url.password]) {
      if (part) found.push(part, decodeURIComponent(part));
    }
    // A Slack webhook's path is its token; a webhook may carry one in its path or query.
    if (url.pathname.length > 1) found.push(url.pathname, url.pathname.slice(1));
    if (url.search) found.push(url.search, url.search.slice(1));
    if (url.hash) found.push(url.hash);
    found.push(url.href);
  } catch {
    // Not a URL: the text alone.
  }
  return found;
}

/** Every text of the channel's settings that must not appear in a recorded error. */
export function credentialsOf(settings: ChannelSettings): string[] {
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

/** Longest error text recorded: a line for the log, not a receiver's whole page. */
const ERROR_MAX = 500;

/**
 * `text` fit for the attempt log: every credential of the channel replaced by `…`, on one line,
 * cut to {@link ERROR_MAX} characters.
 */
export function maskCredentials(text: string, credentials: readonly string[]): string {
  let out = text;
  for (const secret of credentials) out = out.split(secret).join('…');
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > ERROR_MAX ? `${out.slice(0, ERROR_MAX - 1)}…` : out;
}

/** The origin of a URL: all an error says of where it was sent. */
export function originOf(text: string): string {
  try {
    return new URL(text).origin;
  } catch {
    return '(invalid URL)';
  }
}

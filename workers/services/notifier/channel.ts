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

/**
 * The zod pieces routes, silences and the provisioning file share: channel ids, patterns,
 * cause matchers, severities. Messages are written to follow a path: `routes[0].channels[1]:
 * expected a channel id …`.
 */
import { z } from 'zod';
import { unsafeTextMessage } from '@/lib/text/input';
import { SEVERITIES } from './types';

/** Longest pattern or matcher value, in characters. */
export const PATTERN_MAX = 200;

/** Text a person typed: no control characters, bidi controls or lone surrogates (lib/text). */
export const safeText = (what: string, max: number) =>
  z
    .string({ error: `expected ${what} as text` })
    .min(1, { error: `expected ${what}, got an empty string` })
    .max(max, { error: `expected ${what} of at most ${max} characters` })
    .superRefine((text, ctx) => {
      const message = unsafeTextMessage(text);
      if (message) ctx.addIssue({ code: 'custom', message });
    });

export const CHANNEL_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const channelId = z.string({ error: 'expected a channel id as text' }).regex(CHANNEL_ID, {
  error: 'expected a channel id: lowercase letters, digits, - and _, at most 64',
});

/** A glob (./glob.ts): `*` any run, `?` one character. */
export const pattern = safeText('a pattern (* and ? are wildcards)', PATTERN_MAX);

export const severity = z.enum(SEVERITIES, { error: 'expected warn or critical' });

/** `{ region: 'eu-*' }`: dimension names to value patterns, every one must hold. */
export const causeMatcher = z
  .record(safeText('a dimension name', PATTERN_MAX), pattern, {
    error: 'expected dimension: value pairs, such as { region: eu-west }',
  })
  .refine((cause) => Object.keys(cause).length > 0, {
    error: 'expected at least one dimension: value pair',
  });

/** `[a, b]` or a single `a`, as a list. */
export const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([
    item.transform((one) => [one]),
    z.array(item).min(1, { error: 'expected at least one' }),
  ]);

/**
 * The path segments of the notification-settings routes (app/api/notifications/**). Their
 * bodies are lib/alerts/notify/settings-input.ts, shared with the settings page's forms.
 */
import { z } from 'zod';
import { CHANNEL_ID } from '@/lib/alerts/notify/fields';
import { decodeSegment, parseId } from '@/app/_lib/ids';

/** `[id]` of /api/notifications/channels/[id]/…: a channel id, else no such channel (404). */
export const ChannelIdParams = z.object({
  id: z
    .string()
    .transform(decodeSegment)
    .pipe(z.string().regex(CHANNEL_ID, { error: 'No such channel.' })),
});

/** `[id]` of /api/notifications/silences/[id]: a positive integer, else no such silence. */
export const SilenceIdParams = z.object({
  id: z.string().transform((raw, ctx) => {
    const id = parseId(raw);
    if (id === null) {
      ctx.addIssue({ code: 'custom', message: 'No such silence.' });
      return z.NEVER;
    }
    return id;
  }),
});

import { SilenceBody } from '@/lib/alerts/notify/settings-input';
import { listSilences } from '@/db/queries/notify-settings';
import { json, route } from '@/app/_server/api-route';
import { createSilence } from '@/app/_server/use-cases/create-silence';

export const dynamic = 'force-dynamic';

/** Silences in force or to come, and those ended in the last week (anyone signed in). */
export const GET = route({ role: 'viewer' }, async ({ db, now }) => ({
  silences: await listSilences(db, new Date(now())),
}));

/**
 * Silences incidents (editors and admins: on-call people silence during an incident):
 * `{ matchers: { metrics?, severity?, cause? }, comment, endsAt, startsAt?, incidentId? }`.
 * Who set it is the signed-in user. `{ silence }` (201).
 */
export const POST = route(
  { role: 'editor', body: SilenceBody, invalid: 'Check the highlighted fields.' },
  async ({ db, log, now, user, body }) =>
    json(
      { silence: await createSilence({ db, log, now }, { actor: user, silence: body }) },
      {
        status: 201,
      },
    ),
);

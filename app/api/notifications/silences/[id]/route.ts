import { route } from '@/app/_server/api-route';
import { SilenceIdParams } from '@/app/_server/notify-schemas';
import { expireSilence } from '@/app/_server/use-cases/expire-silence';

export const dynamic = 'force-dynamic';

/**
 * Ends a silence now (editors and admins); what it held back is sent. Idempotent. Provisioned
 * silences: 409. No body; `{ silence }`.
 */
export const DELETE = route(
  { role: 'editor', params: SilenceIdParams },
  async ({ db, log, now, user, params }) => ({
    silence: await expireSilence({ db, log, now }, { actor: user, id: params.id }),
  }),
);

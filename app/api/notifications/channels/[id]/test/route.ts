import { route } from '@/app/_server/api-route';
import { ChannelIdParams } from '@/app/_server/notify-schemas';
import { testChannel } from '@/app/_server/use-cases/test-channel';

export const dynamic = 'force-dynamic';

/**
 * Sends a test notification to a channel (admins only) and waits up to 15 s for the worker's
 * first attempt: `{ result: { outcome, statusCode, latencyMs, error, message } }`, with
 * `outcome: 'timeout'` when no worker took it. No body.
 */
export const POST = route(
  { role: 'admin', params: ChannelIdParams },
  async ({ db, log, now, config, user, params }) => ({
    result: await testChannel(
      { db, log, now, publicUrl: config.notify.publicUrl },
      { actor: user, id: params.id },
    ),
  }),
);

import { z } from 'zod';
import { revokeApiKey } from '@/app/_server/use-cases/revoke-api-key';
import { route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

const Params = z.object({
  id: z
    .string()
    .regex(/^\d{1,9}$/, { error: 'No such API key.' })
    .transform(Number),
});

/**
 * Revokes an API key (admins only): from now on it authenticates nothing. Idempotent; the key
 * stays listed as revoked, with who revoked it and when. No body.
 */
export const POST = route({ role: 'admin', params: Params }, async ({ db, log, params, user }) => ({
  key: await revokeApiKey({ db, log }, { id: params.id, user }),
}));

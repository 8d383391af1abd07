import { z } from 'zod';
import { validateKeyName } from '@/lib/auth/api-keys';
import { listApiKeys } from '@/db/queries/api-keys';
import { createApiKey } from '@/app/_server/use-cases/create-api-key';
import { json, route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

/** API keys for POST /api/ingest (admins only): never the secrets, nor their hashes. */
export const GET = route({ role: 'admin' }, async ({ db }) => ({ keys: await listApiKeys(db) }));

/** `{ name }`, checked by the same rule as the form (lib/auth/api-keys.ts), trimmed. */
const CreateBody = z.strictObject({
  name: z.unknown().transform((value, ctx) => {
    const checked = validateKeyName(value);
    if (checked.ok) return checked.name;
    ctx.addIssue({ code: 'custom', message: checked.error });
    return z.NEVER;
  }),
});

/** Creates a key. The answer carries its secret this once; only its hash is stored. */
export const POST = route(
  { role: 'admin', body: CreateBody, invalid: 'Check the highlighted field.' },
  async ({ db, log, user, body }) =>
    json(await createApiKey({ db, log }, { name: body.name, user }), { status: 201 }),
);

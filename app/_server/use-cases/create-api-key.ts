/**
 * Use case: an admin creates an API key for POST /api/ingest. The answer carries its secret this
 * once; only its hash is stored (db/queries/api-keys.ts). Insert and read-back share one
 * transaction, so the answer is the row as committed.
 */
import type { CreatedApiKey } from '@/lib/auth/api-keys';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { createApiKey as insertApiKey } from '@/db/queries/api-keys';
import type { SessionUser } from '@/db/queries/auth';

export async function createApiKey(
  deps: { db: Db; log: Logger },
  input: { name: string; user: SessionUser },
): Promise<CreatedApiKey> {
  const created = await deps.db.transaction((tx) =>
    insertApiKey(tx, { name: input.name, createdBy: input.user.id }),
  );
  // The prefix identifies the key in logs; the secret never reaches them.
  deps.log.info(
    { apiKey: created.key.id, prefix: created.key.prefix, user: input.user.username },
    'API key created',
  );
  return created;
}

/**
 * Use case: an admin revokes an API key: from now on it authenticates nothing. Idempotent; the
 * key stays listed as revoked, with who revoked it and when.
 */
import type { ApiKeyView } from '@/lib/auth/api-keys';
import { NotFoundError } from '@/lib/errors';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { revokeApiKey as markRevoked } from '@/db/queries/api-keys';
import type { SessionUser } from '@/db/queries/auth';

/** The key as listed after the revocation; a 404 when there is no such key. */
export async function revokeApiKey(
  deps: { db: Db; log: Logger },
  input: { id: number; user: SessionUser },
): Promise<ApiKeyView> {
  const key = await deps.db.transaction((tx) => markRevoked(tx, input.id, input.user.id));
  if (!key) throw new NotFoundError('No such API key.');
  deps.log.info({ apiKey: key.id, user: input.user.username }, 'API key revoked');
  return key;
}

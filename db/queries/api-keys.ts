/**
 * API keys of machine clients (POST /api/ingest). A key is `pk_` + 32 random bytes
 * (base64url); only its SHA-256 is stored, so a key is looked up by hashing what a client
 * sends. Its first characters (`prefix`) identify it in lists and logs.
 */
import { randomBytes } from 'node:crypto';
import { and, desc, eq, isNull, lt, or, sql as dsql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { KEY_PREFIX_LENGTH, type ApiKeyView, type CreatedApiKey } from '@/lib/auth/api-keys';
import type { Executor } from './executor';
import { apiKeys, users } from '../schema';
import { hashToken } from './auth';

/** A new key: the secret (shown once), its prefix and its hash (stored). */
export function generateApiKey(): { secret: string; prefix: string; hash: string } {
  const secret = `pk_${randomBytes(32).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, KEY_PREFIX_LENGTH), hash: hashToken(secret) };
}

const creator = alias(users, 'creator');
const revoker = alias(users, 'revoker');

function listQuery(db: Executor) {
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      createdBy: creator.username,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      revokedAt: apiKeys.revokedAt,
      revokedBy: revoker.username,
    })
    .from(apiKeys)
    .leftJoin(creator, eq(creator.id, apiKeys.createdBy))
    .leftJoin(revoker, eq(revoker.id, apiKeys.revokedBy));
}

type ListRow = Awaited<ReturnType<typeof listQuery>>[number];

function toView(row: ListRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdBy: row.createdBy,
    createdAt: row.createdAt.getTime(),
    lastUsedAt: row.lastUsedAt ? row.lastUsedAt.getTime() : null,
    revokedAt: row.revokedAt ? row.revokedAt.getTime() : null,
    revokedBy: row.revokedBy,
  };
}

/** Every key, active ones first, newest first. */
export async function listApiKeys(db: Executor): Promise<ApiKeyView[]> {
  const rows = await listQuery(db).orderBy(
    dsql`${apiKeys.revokedAt} is not null`,
    desc(apiKeys.createdAt),
    desc(apiKeys.id),
  );
  return rows.map(toView);
}

export async function getApiKey(db: Executor, id: number): Promise<ApiKeyView | null> {
  const [row] = await listQuery(db).where(eq(apiKeys.id, id));
  return row ? toView(row) : null;
}

/** Creates a key; the secret in the answer is never stored and cannot be shown again. */
export async function createApiKey(
  db: Executor,
  input: { name: string; createdBy: number | null },
): Promise<CreatedApiKey> {
  const { secret, prefix, hash } = generateApiKey();
  const [row] = await db
    .insert(apiKeys)
    .values({ name: input.name, prefix, keyHash: hash, createdBy: input.createdBy })
    .returning({ id: apiKeys.id });
  if (!row) throw new Error('insert into api_keys returned no row');
  const key = await getApiKey(db, row.id);
  if (!key) throw new Error('created API key not found');
  return { key, secret };
}

/**
 * Revokes a key (it then authenticates nothing). Idempotent: a revoked key keeps its first
 * revocation. Null when there is no such key.
 */
export async function revokeApiKey(
  db: Executor,
  id: number,
  revokedBy: number | null,
): Promise<ApiKeyView | null> {
  await db
    .update(apiKeys)
    .set({ revokedAt: new Date(), revokedBy })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  return getApiKey(db, id);
}

export interface KeyIdentity {
  id: number;
  name: string;
  prefix: string;
  revoked: boolean;
  lastUsedAt: number | null;
}

/** The key a client presented, found by its hash; null when unknown. */
export async function findApiKey(db: Executor, secret: string): Promise<KeyIdentity | null> {
  const [row] = await db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      revokedAt: apiKeys.revokedAt,
      lastUsedAt: apiKeys.lastUsedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, hashToken(secret)));
  if (!row) return null;
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    revoked: row.revokedAt !== null,
    lastUsedAt: row.lastUsedAt ? row.lastUsedAt.getTime() : null,
  };
}

/**
 * Records that a key was used. Coarse on purpose (at most one write per key per `everyMs`), so
 * that a busy client does not turn every request into a write.
 */
export async function touchApiKey(db: Executor, id: number, everyMs = 60_000): Promise<void> {
  const before = new Date(Date.now() - everyMs);
  await db
    .update(apiKeys)
    .set({ lastUsedAt: new Date() })
    .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, before))));
}

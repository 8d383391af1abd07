import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  createApiKey,
  findApiKey,
  generateApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
} from './api-keys';
import { createUser, hashToken } from './auth';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('API keys', () => {
  it('generates pk_ + 32 random bytes, identified by a prefix, stored as a SHA-256', () => {
    const a = generateApiKey();
    expect(a.secret).toMatch(/^pk_[A-Za-z0-9_-]{43}$/);
    expect(a.prefix).toBe(a.secret.slice(0, 10));
    expect(a.hash).toBe(hashToken(a.secret));
    expect(generateApiKey().secret).not.toBe(a.secret);
  });

  it('creates, finds by secret, lists with names, records use, revokes once', async () => {
    const admin = await createUser(t.db, { username: 'ada', passwordHash: 'x', role: 'admin' });
    const { key, secret } = await createApiKey(t.db, { name: 'billing', createdBy: admin.id });
    expect(key).toMatchObject({ name: 'billing', createdBy: 'ada', revokedAt: null });
    expect(JSON.stringify(key)).not.toContain(secret.slice(10));

    // Only the hash is stored.
    const stored = await t.sql`select * from api_keys where id = ${key.id}`;
    expect(JSON.stringify(stored)).not.toContain(secret);

    expect(await findApiKey(t.db, secret)).toMatchObject({ id: key.id, revoked: false });
    expect(await findApiKey(t.db, `${secret.slice(0, -1)}x`)).toBeNull();

    await touchApiKey(t.db, key.id);
    const used = (await findApiKey(t.db, secret))!.lastUsedAt!;
    await touchApiKey(t.db, key.id); // within the minute: no second write
    expect((await findApiKey(t.db, secret))!.lastUsedAt).toBe(used);

    const other = await createApiKey(t.db, { name: 'late', createdBy: null });
    const revoked = await revokeApiKey(t.db, key.id, admin.id);
    expect(revoked).toMatchObject({ revokedBy: 'ada' });
    expect(revoked!.revokedAt).toBeGreaterThan(0);
    // Idempotent: the first revocation stays.
    expect((await revokeApiKey(t.db, key.id, null))!.revokedAt).toBe(revoked!.revokedAt);
    expect(await findApiKey(t.db, secret)).toMatchObject({ revoked: true });
    expect(await revokeApiKey(t.db, 999_999, admin.id)).toBeNull();

    // Active keys first.
    expect((await listApiKeys(t.db)).map((k) => k.id)).toEqual([other.key.id, key.id]);
  });
});

import { NextResponse } from 'next/server';
import { z } from 'zod';
import { createApiKey, listApiKeys } from '@/db/queries/api-keys';
import { validateKeyName } from '@/lib/auth/api-keys';
import { NO_STORE, parseWith, readJson } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { assertSameOrigin, handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';

export const dynamic = 'force-dynamic';

/** API keys for POST /api/ingest (admins only): never the secrets, nor their hashes. */
export const GET = handle(async () => {
  await requireApiUser('admin');
  return NextResponse.json({ keys: await listApiKeys(getDb()) }, { headers: NO_STORE });
});

const createBody = z.object({ name: z.unknown() });

/** Creates a key. The answer carries its secret this once; only its hash is stored. */
export const POST = handle(async (request: Request) => {
  assertSameOrigin(request);
  const user = await requireApiUser('admin');
  const body = parseWith(createBody, await readJson(request), 'Send a name for the key.');
  const name = validateKeyName(body.name);
  if (!name.ok) throw new HttpError(400, 'Check the highlighted field.', { name: name.error });
  const created = await createApiKey(getDb(), { name: name.name, createdBy: user.id });
  console.info(`API key #${created.key.id} created by ${user.username}`);
  return NextResponse.json(created, { status: 201, headers: NO_STORE });
});

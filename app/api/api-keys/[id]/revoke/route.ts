import { NextResponse } from 'next/server';
import { revokeApiKey } from '@/db/queries/api-keys';
import { NO_STORE } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { assertSameOrigin, handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';

export const dynamic = 'force-dynamic';

/**
 * Revokes an API key (admins only): from now on it authenticates nothing. Idempotent; the key
 * stays listed as revoked, with who revoked it and when.
 */
export const POST = handle(
  async (request: Request, context: { params: Promise<{ id: string }> }) => {
    assertSameOrigin(request);
    const user = await requireApiUser('admin');
    const raw = (await context.params).id;
    if (!/^\d{1,9}$/.test(raw)) throw new HttpError(404, 'No such API key.');
    const key = await revokeApiKey(getDb(), Number(raw), user.id);
    if (!key) throw new HttpError(404, 'No such API key.');
    console.info(`API key #${key.id} revoked by ${user.username}`);
    return NextResponse.json({ key }, { headers: NO_STORE });
  },
);

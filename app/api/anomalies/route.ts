import { NextResponse, type NextRequest } from 'next/server';
import { z } from 'zod';
import { anomalySummaries } from '@/db/queries/views';
import { NO_STORE, parseWith } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { handle } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';

export const dynamic = 'force-dynamic';

const Query = z.object({
  after: z
    .string()
    .regex(/^\d{1,15}$/, { error: 'after must be an anomaly id (a non-negative integer).' })
    .transform(Number)
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, { error: 'limit must be an integer from 1 to 500.' })
    .transform(Number)
    .pipe(z.number().min(1, { error: 'limit must be at least 1.' }).max(500))
    .optional(),
});

/** Anomaly summaries, most recently updated first; `?after=ID` for catch-up after a reconnect. */
export const GET = handle(async (request: NextRequest) => {
  await requireApiUser('viewer');
  const params = request.nextUrl.searchParams;
  const query = parseWith(
    Query,
    {
      after: params.get('after') ?? undefined,
      limit: params.get('limit') ?? undefined,
    },
    'Bad query parameters.',
  );
  const list = await anomalySummaries(getDb(), {
    ...(query.after !== undefined ? { afterId: query.after } : {}),
    limit: query.limit ?? (query.after !== undefined ? 500 : 50),
  });
  return NextResponse.json(list, { headers: NO_STORE });
});

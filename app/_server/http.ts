/** Helpers for the route handlers: JSON bodies, the session cookie's attributes. */
import type { ZodType } from 'zod';
import { HttpError } from './errors';

/** Reads a JSON body (bounded) or throws a 400. */
export async function readJson(request: Request, maxBytes = 16_384): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.toLowerCase().includes('application/json')) {
    throw new HttpError(415, 'Send the body as application/json.');
  }
  const text = await request.text();
  if (text.length > maxBytes) throw new HttpError(413, 'The request body is too large.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.');
  }
}

/** Parses with a zod schema; failures become a 400 with one message per field. */
export function parseWith<T>(schema: ZodType<T>, input: unknown, message: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.map(String).join('.') || 'body';
    fields[key] ??= issue.message;
  }
  throw new HttpError(400, message, fields);
}

/** True when the browser talks to us over https (directly or behind a TLS-terminating proxy). */
export function isHttps(request: Request): boolean {
  const forwarded = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (forwarded === 'https') return true;
  try {
    return new URL(request.url).protocol === 'https:';
  } catch {
    return false;
  }
}

export function sessionCookieOptions(request: Request, maxAgeMs: number) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    path: '/',
    secure: isHttps(request),
    maxAge: Math.max(0, Math.floor(maxAgeMs / 1000)),
  };
}

/** JSON responses are never cached: they carry per-user, live data. */
export const NO_STORE = { 'cache-control': 'no-store' } as const;

/** Typed errors and their one mapping to HTTP responses. No internals reach the client. */
import { NextResponse } from 'next/server';

export class HttpError extends Error {
  constructor(
    public readonly status: number,
    message: string,
    public readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Wraps a route handler: HttpError → its status and message; anything else → 500, logged. */
export function handle<A extends unknown[]>(fn: (...args: A) => Promise<Response>) {
  return async (...args: A): Promise<Response> => {
    try {
      return await fn(...args);
    } catch (error) {
      if (error instanceof HttpError) {
        return NextResponse.json(
          { error: error.message, ...(error.fields ? { fields: error.fields } : {}) },
          { status: error.status },
        );
      }
      console.error('route handler failed', error);
      return NextResponse.json({ error: 'Something went wrong on our side.' }, { status: 500 });
    }
  };
}

/**
 * Refuses cross-site mutations: the Origin (or Referer) must match the Host. With the
 * SameSite=Lax session cookie this closes CSRF for JSON mutations.
 */
export function assertSameOrigin(request: Request): void {
  const host = request.headers.get('host');
  const origin = request.headers.get('origin') ?? request.headers.get('referer');
  if (!host || !origin) throw new HttpError(403, 'Missing Origin header.');
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    throw new HttpError(403, 'Bad Origin header.');
  }
  if (originHost !== host) throw new HttpError(403, 'Cross-site request refused.');
}

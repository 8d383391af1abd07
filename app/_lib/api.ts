/** Small fetch helpers for the browser side: JSON in, JSON out, errors as values. */

export type ApiResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; error: string; fields?: Record<string, string> };

/** The sign-in page, coming back to `path` afterwards (e.g. after a 401: the session expired). */
export function loginHref(path: string): string {
  return `/login?next=${encodeURIComponent(path)}`;
}

export async function apiFetch<T>(url: string, init: RequestInit = {}): Promise<ApiResult<T>> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {
        accept: 'application/json',
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
    });
  } catch {
    return { ok: false, status: 0, error: 'Could not reach Pulse. Check your connection.' };
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok) return { ok: true, status: response.status, data: body as T };
  const payload = (body ?? {}) as { error?: unknown; fields?: unknown };
  const error =
    typeof payload.error === 'string' ? payload.error : `Request failed (${response.status}).`;
  const fields =
    payload.fields && typeof payload.fields === 'object'
      ? Object.fromEntries(
          Object.entries(payload.fields as Record<string, unknown>).filter(
            (entry): entry is [string, string] => typeof entry[1] === 'string',
          ),
        )
      : undefined;
  return { ok: false, status: response.status, error, ...(fields ? { fields } : {}) };
}

import { isSafeText } from '@/lib/text/input';

/** Parses a positive integer id from a path segment or query value; null when it is not one. */
export function parseId(raw: string | null | undefined): number | null {
  if (!raw || !/^[1-9]\d{0,14}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) && id <= 2_147_483_647 ? id : null;
}

/** A dynamic route segment as text; tolerates both decoded and still-encoded segments. */
export function decodeSegment(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * A dynamic route segment as text ({@link decodeSegment}), or null when it decodes to text no
 * field may hold (a control, line break or bidi formatting character, an unpaired surrogate:
 * lib/text/input.ts). Nothing stored is named so, and PostgreSQL refuses NUL outright: a page
 * answers null with `notFound()`, a route with a 404, before any query sees it.
 */
export function decodeSafeSegment(raw: string): string | null {
  const text = decodeSegment(raw);
  return isSafeText(text) ? text : null;
}

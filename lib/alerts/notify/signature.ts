/**
 * The webhook signature: `X-Pulse-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact body
 * bytes with the channel's secret. Pure (node:crypto hashes; no I/O). Receivers verify it over
 * the raw body, before parsing, in constant time — `verifySignature` is that check, and the
 * README shows the same five lines.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Pulse-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** `sha256=<64 lowercase hex>` of `body` under `secret`. */
export function signBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether `header` (the received `X-Pulse-Signature`) is the signature of `body` under
 * `secret`. Constant-time in the signature's content; false for a missing or malformed header.
 */
export function verifySignature(
  body: string | Uint8Array,
  secret: string,
  header: string | null | undefined,
): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The headers of a webhook delivery (besides what the HTTP client adds). */
export function webhookHeaders(body: string, key: string, secret: string): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'Pulse-Notifications/1',
    [IDEMPOTENCY_HEADER]: key,
    [SIGNATURE_HEADER]: signBody(body, secret),
  };
}

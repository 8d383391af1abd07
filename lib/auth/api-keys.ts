/**
 * API keys for POST /api/ingest, the parts shared by the browser and the server: the shape of
 * a key's name and how a key is shown. Pure. Keys themselves are made and stored (hashed) by
 * db/queries/api-keys.ts.
 */
import { unsafeTextMessage } from '@/lib/text/input';

export const KEY_NAME_MAX = 64;

/** Characters of a key shown to identify it (`pk_` and the first 7 random ones). */
export const KEY_PREFIX_LENGTH = 10;

export type NameCheck = { ok: true; name: string } | { ok: false; error: string };

/**
 * A key's name: 1–64 characters after trimming, none that a text field may not hold (control
 * characters, line breaks, bidi overrides that would disguise it in the list: lib/text/input.ts),
 * checked before trimming, as the API's check of every body is.
 */
export function validateKeyName(input: unknown): NameCheck {
  if (typeof input !== 'string') return { ok: false, error: 'Give the key a name.' };
  const unsafe = unsafeTextMessage(input);
  if (unsafe) return { ok: false, error: unsafe };
  const name = input.trim();
  if (name === '') return { ok: false, error: 'Give the key a name.' };
  if ([...name].length > KEY_NAME_MAX) {
    return { ok: false, error: `Use at most ${KEY_NAME_MAX} characters.` };
  }
  return { ok: true, name };
}

/** An API key as listed to admins: never the secret, nor its hash. Times are epoch ms. */
export interface ApiKeyView {
  id: number;
  name: string;
  prefix: string;
  createdBy: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

/** What creating a key answers: the key and, this once, its secret. */
export interface CreatedApiKey {
  key: ApiKeyView;
  secret: string;
}

/**
 * API keys for POST /api/ingest, the parts shared by the browser and the server: the shape of
 * a key's name and how a key is shown. Pure. Keys themselves are made and stored (hashed) by
 * db/queries/api-keys.ts.
 */

export const KEY_NAME_MAX = 64;

/** Characters of a key shown to identify it (`pk_` and the first 7 random ones). */
export const KEY_PREFIX_LENGTH = 10;

export type NameCheck = { ok: true; name: string } | { ok: false; error: string };

/** A key's name: 1–64 characters after trimming, printable (no control characters). */
export function validateKeyName(input: unknown): NameCheck {
  if (typeof input !== 'string') return { ok: false, error: 'Give the key a name.' };
  const name = input.trim();
  if (name === '') return { ok: false, error: 'Give the key a name.' };
  if ([...name].length > KEY_NAME_MAX) {
    return { ok: false, error: `Use at most ${KEY_NAME_MAX} characters.` };
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) {
    return { ok: false, error: 'Use printable characters only.' };
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

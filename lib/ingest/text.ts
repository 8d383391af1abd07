/**
 * Text PostgreSQL can store. A `text` column refuses NUL (U+0000), and a lone UTF-16 surrogate
 * (which only a JSON escape such as "\ud800" can produce) has no UTF-8 form: the driver would
 * silently write U+FFFD instead. The rule, decided once for every source:
 *
 * - In event data that becomes a key (dimension values, ids), such text is **rejected** at
 *   validation (reason `schema`), so a stored value is always the value the producer sent.
 * - Text kept only for people to read (a quarantined payload, a rejection's detail) is
 *   **stored normalised**: each NUL and lone surrogate becomes U+FFFD.
 * - Bytes that are not valid UTF-8 never reach validation as such: every source decodes its
 *   input as WHATWG UTF-8 does (Buffer, TextDecoder, readline), turning each invalid sequence
 *   into U+FFFD, which PostgreSQL stores like any other character.
 */

/** NUL or any surrogate: where the exact check below has something to look at. */
const SUSPECT = /[\0\ud800-\udfff]/;

/** True when `text` holds no NUL and no unpaired surrogate. */
export function isStorableText(text: string): boolean {
  // The regex engine scans faster than a loop; most text has nothing to look at.
  if (!SUSPECT.test(text)) return true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) return false;
    if (code >= 0xd800 && code <= 0xdfff) {
      // A high surrogate followed by a low one is one character above U+FFFF.
      const next = text.charCodeAt(i + 1);
      if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

/** `text` with every NUL and unpaired surrogate replaced by U+FFFD. */
export function storableText(text: string): string {
  if (isStorableText(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) out += '\uFFFD';
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
      } else out += '\uFFFD';
    } else out += text[i]!;
  }
  return out;
}

/** Why {@link isStorableText} refused a value, as a rejection detail says it. */
export const UNSTORABLE_TEXT = 'must not contain NUL (U+0000) or an unpaired surrogate';

/**
 * UTF-8 bytes of `text` written as a JSON string (quotes and escapes included), or -1 when it
 * is not {@link isStorableText}. Dimension values become part of the leaf key
 * ({"device":"ios",…}), which PostgreSQL indexes; ./contract.ts bounds their sum with it.
 */
export function jsonTextBytes(text: string): number {
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) return -1;
    if (code < 0x20) bytes += SHORT_ESCAPES.has(code) ? 2 : 6;
    else if (code === 0x22 || code === 0x5c) bytes += 2;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return -1;
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Control characters JSON writes as \b, \t, \n, \f, \r; the others become \u00XX. */
const SHORT_ESCAPES = new Set([8, 9, 10, 12, 13]);

/**
 * `text` with every character outside printable ASCII written as a `\uXXXX` escape: storable
 * whatever it held. The last resort for quarantined text PostgreSQL refused even normalised.
 */
export function escapedText(text: string): string {
  return text.replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

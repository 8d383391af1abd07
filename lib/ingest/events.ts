/**
 * Events in: one raw line (NDJSON) or record value to a validated {@link PulseEvent} or a
 * quarantine record with its reason — the size limit, JSON, then contract v1 (./contract.ts),
 * valid events by the fast path (./fast-validate.ts). Pure: the caller passes `now`. Never throws.
 */
import type { ParseResult, ValidationResult } from './contract';
import { clip, EVENT_LIMITS, MAX_DETAIL_CHARS, validateEventSlow } from './contract';
import { validateEventFast } from './fast-validate';
import type { QuarantineReason } from '@/lib/types';
import { storableText } from './text';

/**
 * Validates an already-parsed event against contract v1 at time `now` (epoch ms).
 * Structure is checked first (reason `schema`), then the timestamp (`bad_timestamp`, `future`).
 */
export function validateEvent(raw: unknown, now: number): ValidationResult {
  const event = validateEventFast(raw, now, false);
  if (event !== undefined) return { ok: true, event };
  return validateEventSlow(raw, now);
}

/** UTF-8 byte length of a string (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** True when the UTF-8 length of `text` exceeds `limit`, without measuring short strings. */
function exceedsBytes(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8ByteLength(text) > limit;
}

/** Truncates the raw payload for quarantine without splitting a surrogate pair. */
function truncateRaw(line: string): string {
  const max = EVENT_LIMITS.maxQuarantinedRawChars;
  if (line.length <= max) return storableText(line);
  const cut = isLowSurrogate(line.charCodeAt(max)) ? max - 1 : max;
  return storableText(line.slice(0, cut));
}

function quarantine(
  line: string,
  rawSize: number,
  source: string,
  reason: QuarantineReason,
  detail: string,
): ParseResult {
  return {
    ok: false,
    quarantined: { reason, detail: storableText(detail), raw: truncateRaw(line), rawSize, source },
  };
}

/**
 * Parses one line of JSON into a validated event, or a quarantine record. The size limit
 * is checked before parsing (`too_large`), then JSON (`malformed_json`), then
 * {@link validateEvent}. Never throws.
 */
export function parseEventLine(line: string, now: number, source: string): ParseResult {
  const limit = EVENT_LIMITS.maxRawBytes;
  if (exceedsBytes(line, limit)) {
    const size = utf8ByteLength(line);
    return quarantine(line, size, source, 'too_large', `event: ${size} bytes exceeds ${limit}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return quarantine(
      line,
      utf8ByteLength(line),
      source,
      'malformed_json',
      clip(`event: ${message}`, MAX_DETAIL_CHARS),
    );
  }
  const event = validateEventFast(value, now, true);
  if (event !== undefined) return { ok: true, event };
  const result = validateEventSlow(value, now);
  if (result.ok) return result;
  return quarantine(line, utf8ByteLength(line), source, result.reason, result.detail);
}

/**
 * The pure part of HTTP ingest (POST /api/ingest): the Authorization header, body size limits
 * while streaming, splitting a body into one raw record per event, and admission (429/413)
 * against the events still waiting to be written. No I/O: app/_server/http-ingest.ts does that.
 */

/** A key as issued: `pk_` + 32 random bytes in base64url (43 characters). */
export const API_KEY_PATTERN = /^pk_[A-Za-z0-9_-]{43}$/;

/**
 * The API key of an `Authorization: Bearer <key>` header, or null when the header is missing,
 * uses another scheme or carries something that cannot be a key (so no lookup is needed).
 */
export function parseBearer(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const key = match?.[1];
  return key !== undefined && API_KEY_PATTERN.test(key) ? key : null;
}

export type LengthCheck =
  { ok: true; length: number | null } | { ok: false; status: 400 | 413; message: string };

/** Checks a Content-Length header against the limit before any byte of the body is read. */
export function checkContentLength(
  header: string | string[] | undefined,
  maxBytes: number,
): LengthCheck {
  if (header === undefined) return { ok: true, length: null };
  if (typeof header !== 'string' || !/^\d{1,15}$/.test(header.trim())) {
    return { ok: false, status: 400, message: 'The Content-Length header is not a number.' };
  }
  const length = Number(header.trim());
  if (length > maxBytes) return { ok: false, status: 413, message: tooLargeMessage(maxBytes) };
  return { ok: true, length };
}

export function tooLargeMessage(maxBytes: number): string {
  return `The body is larger than ${maxBytes} bytes; send fewer events per request.`;
}

/**
 * Collects a body chunk by chunk and refuses, without keeping it, the first chunk that takes
 * it over `maxBytes`: memory never holds more than the limit.
 */
export class BodyCollector {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private over = false;

  constructor(private readonly maxBytes: number) {}

  /** Adds a chunk; false (and nothing kept from then on) once the body exceeds the limit. */
  push(chunk: Uint8Array): boolean {
    if (this.over) return false;
    this.size += chunk.byteLength;
    if (this.size > this.maxBytes) {
      this.over = true;
      this.chunks.length = 0;
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  get bytes(): number {
    return this.size;
  }

  get tooLarge(): boolean {
    return this.over;
  }

  /** The body as text (UTF-8; a leading BOM dropped, invalid bytes replaced by U+FFFD). */
  text(): string {
    if (this.over) throw new Error('body exceeded its limit');
    const decoder = new TextDecoder('utf-8');
    let text = '';
    for (const chunk of this.chunks) text += decoder.decode(chunk, { stream: true });
    return text + decoder.decode();
  }
}

export type SplitBody =
  /** Nothing but white space. */
  | { kind: 'empty' }
  /** One raw record per event, in order. */
  | { kind: 'records'; format: 'json-array' | 'ndjson'; records: string[] }
  /** A body that starts like a JSON array but is not one; `detail` says why. */
  | { kind: 'malformed'; detail: string };

const MAX_DETAIL_CHARS = 300;

/**
 * Splits a body into raw records. A body whose first non-blank character is `[` must be one
 * JSON array: each element is re-serialised as one record (so the pipeline validates it like
 * an NDJSON line). Anything else is NDJSON: one record per non-blank line (`\n` or `\r\n`).
 */
export function splitBody(text: string): SplitBody {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Blank means what String#trim strips, as in the pipeline, which skips blank lines.
  const trimmed = body.trimStart();
  if (trimmed === '') return { kind: 'empty' };
  if (trimmed[0] === '[') return splitJsonArray(body);
  const records: string[] = [];
  let from = 0;
  while (from <= body.length) {
    let end = body.indexOf('\n', from);
    if (end === -1) end = body.length;
    const line =
      body.charCodeAt(end - 1) === 0x0d ? body.slice(from, end - 1) : body.slice(from, end);
    if (line.trim() !== '') records.push(line);
    from = end + 1;
  }
  return { kind: 'records', format: 'ndjson', records };
}

function splitJsonArray(body: string): SplitBody {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'malformed', detail: clip(`body: not a valid JSON array (${message})`) };
  }
  // Starts with '[' and parsed: it is an array.
  const elements = value as unknown[];
  const records: string[] = [];
  for (let i = 0; i < elements.length; i++) {
    try {
      records.push(JSON.stringify(elements[i]));
    } catch {
      return { kind: 'malformed', detail: `body: element ${i} is nested too deeply` };
    }
  }
  return { kind: 'records', format: 'json-array', records };
}

function clip(text: string): string {
  return text.length <= MAX_DETAIL_CHARS ? text : `${text.slice(0, MAX_DETAIL_CHARS - 1)}…`;
}

export interface AdmissionState {
  /** Events accepted into the pipeline and not yet answered (written or failed). */
  pendingEvents: number;
  maxPendingEvents: number;
  /** The flusher holds a batch it could not write (PostgreSQL down or failing). */
  backlogged: boolean;
  /** The flusher's delay before its next attempt. */
  retryDelayMs: number;
}

export type Admission =
  | { ok: true }
  | { ok: false; status: 429; retryAfterSeconds: number; message: string }
  | { ok: false; status: 413; message: string };

/**
 * Whether `incoming` more events may wait for the next flush. Refuses (429 with a Retry-After
 * in seconds) while the flusher holds a failed flush or when they would take the events
 * waiting over the limit. A request with more events than the limit itself could never be
 * admitted: 413, so that the client splits it instead of retrying for ever. `incoming` 0 asks
 * whether to read a body at all.
 */
export function admit(state: AdmissionState, incoming: number): Admission {
  if (incoming > state.maxPendingEvents) {
    return {
      ok: false,
      status: 413,
      message: `The body holds ${incoming} events; at most ${state.maxPendingEvents} are accepted per request.`,
    };
  }
  if (state.backlogged) {
    return {
      ok: false,
      status: 429,
      retryAfterSeconds: Math.max(1, Math.ceil(state.retryDelayMs / 1000)),
      message: 'Pulse cannot write to its database right now; retry later.',
    };
  }
  const full =
    incoming === 0
      ? state.pendingEvents >= state.maxPendingEvents
      : state.pendingEvents + incoming > state.maxPendingEvents;
  if (full) {
    return {
      ok: false,
      status: 429,
      retryAfterSeconds: 1,
      message: 'Too many events are waiting to be written; retry shortly.',
    };
  }
  return { ok: true };
}

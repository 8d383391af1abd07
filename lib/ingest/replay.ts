/**
 * File replay, the parts without I/O: the CSV mapping to event contract v1, a streaming CSV
 * reader over string/byte chunks, the replay clock that stands in for "now" during validation,
 * the pacing schedule, and the run's totals.
 *
 * The replay clock. Validation needs a "now" (events too far in the future are quarantined),
 * and a replay must give the same result at any speed, so "now" comes from the file: the newest
 * event time accepted so far, plus a largest allowed jump forward (`maxGapMs`, 1 h by default).
 * A quiet stretch in a recording up to that long is simply crossed; an event further ahead than
 * the jump plus the contract's 5 minutes is `future` (a skewed clock, a wrong unit) and cannot
 * drag the watermark away and make the rest of the file late. Before any event is accepted the
 * clock is the median time of the file's first records ({@link clockSeed}), so a single bogus
 * first line cannot set it either. After a restart the pipeline resumes the newest time from
 * the stored watermark, which is exactly the clock an uninterrupted run had at that line.
 */
import { Parser, type CsvError, type InfoRecord } from 'csv-parse';
import { EVENT_LIMITS, parseRfc3339 } from './contract';
import type { Drained } from '@/lib/stream/pipeline';
import type { PulseEvent, QuarantineReason } from '@/lib/types';
import { windowStart } from '@/lib/stream/windows';

// ── CSV mapping ─────────────────────────────────────────────────────────────────────────────

/** Where each field of the event is found in a CSV row. */
export interface CsvHeader {
  width: number;
  ts: number;
  type: number;
  id: number | null;
  dims: [name: string, column: number][];
  measures: [name: string, column: number][];
}

/** The header cannot be mapped: nothing of the file can be read. */
export class CsvHeaderError extends Error {
  override name = 'CsvHeaderError';
}

/**
 * Reads the header row: `ts`, `type`, optional `id`, `dims.<name>` and `measures.<name>`
 * (names as in the event contract). Throws CsvHeaderError on any other column.
 */
export function parseCsvHeader(fields: readonly string[]): CsvHeader {
  const seen = new Set<string>();
  let ts = -1;
  let type = -1;
  let id: number | null = null;
  const dims: [string, number][] = [];
  const measures: [string, number][] = [];
  fields.forEach((raw, column) => {
    const name = raw.trim();
    if (seen.has(name)) throw new CsvHeaderError(`CSV header: column "${name}" appears twice`);
    seen.add(name);
    if (name === 'ts') ts = column;
    else if (name === 'type') type = column;
    else if (name === 'id') id = column;
    else {
      const match = /^(dims|measures)\.(.*)$/.exec(name);
      if (!match) {
        throw new CsvHeaderError(
          `CSV header: unknown column "${name}" (expected ts, type, id, dims.<name>, measures.<name>)`,
        );
      }
      const [, group, key = ''] = match;
      if (!EVENT_LIMITS.keyPattern.test(key)) {
        throw new CsvHeaderError(
          `CSV header: column "${name}": name must match ${EVENT_LIMITS.keyPattern.source}`,
        );
      }
      (group === 'dims' ? dims : measures).push([key, column]);
    }
  });
  if (ts < 0 || type < 0) {
    throw new CsvHeaderError(
      `CSV header: needs the columns ts and type, got ${fields.map((f) => JSON.stringify(f)).join(',')}`,
    );
  }
  return { width: fields.length, ts, type, id, dims, measures };
}

const EPOCH_MS = /^-?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Epoch ms of a `ts` value (epoch ms or RFC 3339), or null when it has none. */
export function eventTime(ts: unknown): number | null {
  if (typeof ts === 'number') return Number.isFinite(ts) ? ts : null;
  if (typeof ts === 'string') return parseRfc3339(ts);
  return null;
}

/** Event time of a JSON line, or null (used for pacing and the clock seed, not validation). */
export function jsonLineTime(line: string): number | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && 'ts' in value
      ? eventTime(value.ts)
      : null;
  } catch {
    return null;
  }
}

/** Event time of a record: a CSV row's, or a JSON line's read on demand; null without one. */
export const recordTime = (record: ReplayRecord): number | null =>
  record.kind === 'line' ? (record.ts ?? jsonLineTime(record.line)) : null;

export type CsvRowResult =
  { ok: true; line: string; ts: number | null } | { ok: false; detail: string };

/**
 * Maps a CSV row to the JSON line of the event it stands for, which the pipeline then validates
 * like any other. `ts` of digits only is epoch ms, anything else RFC 3339 text; a `measures.*`
 * cell that is not a number stays text (validation names it); an empty cell leaves the field
 * out; ts and measure cells are trimmed, the others kept as they are. Only a row with the wrong
 * number of fields cannot be mapped.
 */
export function csvRowToLine(header: CsvHeader, fields: readonly string[]): CsvRowResult {
  if (fields.length !== header.width) {
    return {
      ok: false,
      detail: `${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${header.width}`,
    };
  }
  const event: Record<string, unknown> = {};
  const tsCell = fields[header.ts]!.trim();
  let ts: number | null = null;
  if (tsCell !== '') {
    event.ts = EPOCH_MS.test(tsCell) ? Number(tsCell) : tsCell;
    ts = eventTime(event.ts);
  }
  const type = fields[header.type]!;
  if (type !== '') event.type = type;
  const dims: Record<string, string> = {};
  for (const [name, column] of header.dims) {
    const cell = fields[column]!;
    if (cell !== '') dims[name] = cell;
  }
  const measures: Record<string, number | string> = {};
  for (const [name, column] of header.measures) {
    const cell = fields[column]!.trim();
    if (cell !== '') measures[name] = NUMBER.test(cell) ? Number(cell) : cell;
  }
  event.dims = dims;
  event.measures = measures;
  if (header.id !== null && fields[header.id] !== '') event.id = fields[header.id];
  return { ok: true, line: JSON.stringify(event), ts };
}

/** One CSV field, quoted when it must be. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Writes events as CSV in the mapping {@link csvRowToLine} reads (ts as epoch ms), with a
 * column for every dimension and measure any of them carries. For tests and tooling.
 */
export function eventsToCsv(events: readonly PulseEvent[]): string {
  const dimNames = [...new Set(events.flatMap((e) => Object.keys(e.dims)))].sort();
  const measureNames = [...new Set(events.flatMap((e) => Object.keys(e.measures)))].sort();
  const withId = events.some((e) => e.id !== undefined);
  const header = [
    'ts',
    'type',
    ...(withId ? ['id'] : []),
    ...dimNames.map((n) => `dims.${n}`),
    ...measureNames.map((n) => `measures.${n}`),
  ];
  let out = `${header.join(',')}\n`;
  for (const e of events) {
    const row = [
      String(e.ts),
      e.type,
      ...(withId ? [e.id ?? ''] : []),
      ...dimNames.map((n) => e.dims[n] ?? ''),
      ...measureNames.map((n) => (n in e.measures ? String(e.measures[n]) : '')),
    ];
    out += `${row.map(csvField).join(',')}\n`;
  }
  return out;
}

// ── reading records ─────────────────────────────────────────────────────────────────────────

/** One record of a replayed file, in file order; its position is its offset. */
export type ReplayRecord =
  | { kind: 'line'; line: string; ts: number | null }
  | { kind: 'malformed'; raw: string; reason: QuarantineReason; detail: string };

/**
 * Splits JSONL text fed in chunks (already decoded) into lines: on \n, with a \r before it
 * dropped; a last line without a newline counts, an empty remainder at the end does not.
 */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
    }
    return lines;
  }

  end(): string[] {
    const rest = this.rest.endsWith('\r') ? this.rest.slice(0, -1) : this.rest;
    this.rest = '';
    return rest === '' ? [] : [rest];
  }
}

const TRAILING_NEWLINE = /[\r\n]+$/;
const LEADING_NEWLINE = /^[\r\n]+/;

/**
 * A streaming CSV reader: feed it chunks, take the records each chunk completes. The first
 * row is the header (a bad one throws {@link CsvHeaderError}); empty lines are skipped; a row
 * csv-parse cannot read (a broken quote) or that has the wrong number of fields becomes a
 * `malformed` record with the reason and the line, never an exception. An unclosed quote
 * takes the rest of the file into one malformed record.
 */
export class CsvRecordReader {
  private readonly parser: Parser;
  private header: CsvHeader | null = null;
  private out: ReplayRecord[] = [];
  private failure: Error | null = null;

  constructor() {
    this.parser = new Parser({
      bom: true,
      raw: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      // With `raw`, csv-parse hands on_record { record, raw } instead of the fields.
      on_record: (record: unknown, context: InfoRecord) => {
        this.onRow((record as { record: string[] }).record, context);
        return null;
      },
      on_skip: (error: CsvError | undefined, raw: string | undefined) => {
        this.out.push({
          kind: 'malformed',
          raw: clean(raw ?? ''),
          reason: 'malformed_json',
          detail: `csv: ${error?.message ?? 'unreadable record'}`,
        });
        return undefined;
      },
    });
    this.parser.on('error', (error) => {
      this.failure ??= error;
    });
    this.parser.resume(); // records are taken in on_record; nothing is pushed downstream
  }

  private onRow(fields: string[], context: InfoRecord): void {
    if (this.failure) return;
    if (this.header === null) {
      try {
        this.header = parseCsvHeader(fields);
      } catch (error) {
        this.failure = error as Error;
      }
      return;
    }
    const result = csvRowToLine(this.header, fields);
    if (result.ok) this.out.push({ kind: 'line', line: result.line, ts: result.ts });
    else {
      this.out.push({
        kind: 'malformed',
        raw: clean(context.raw ?? fields.join(',')),
        reason: 'malformed_json',
        detail: `csv line ${context.lines}: ${result.detail}`,
      });
    }
  }

  private take(): ReplayRecord[] {
    if (this.failure) throw this.failure;
    const records = this.out;
    this.out = [];
    return records;
  }

  /** Parses a chunk; returns the records it completed. */
  push(chunk: string | Uint8Array): ReplayRecord[] {
    if (!this.failure) this.parser.write(chunk);
    return this.take();
  }

  /** End of input: the last records. */
  async end(): Promise<ReplayRecord[]> {
    if (!this.failure) await new Promise<void>((resolve) => this.parser.end(() => resolve()));
    return this.take();
  }
}

function clean(raw: string): string {
  return raw.replace(LEADING_NEWLINE, '').replace(TRAILING_NEWLINE, '');
}

// ── the replay clock ────────────────────────────────────────────────────────────────────────

/** Records read ahead to seed the clock. */
export const SEED_RECORDS = 1000;

/** The clock before any event is accepted: the (lower) median of the first records' times. */
export function clockSeed(times: readonly (number | null)[]): number | null {
  const sorted = times
    .filter((t): t is number => t !== null && Number.isFinite(t))
    .sort((a, b) => a - b);
  return sorted.length === 0 ? null : sorted[(sorted.length - 1) >> 1]!;
}

/**
 * Validation's "now" for the next record: max(seed, newest accepted event time) + maxGapMs.
 * NaN when neither exists (a file whose first records carry no time): the time checks then
 * pass, and the first event accepted starts the clock.
 */
export function validationNow(seed: number | null, newest: number | null, maxGapMs: number) {
  const clock = Math.max(seed ?? -Infinity, newest ?? -Infinity);
  return Number.isFinite(clock) ? clock + maxGapMs : NaN;
}

// ── pacing ──────────────────────────────────────────────────────────────────────────────────

/**
 * When each record is due, in wall-clock ms after the replay started: the replay clock's
 * advance divided by the speed. The clock follows the records' event times forward, like the
 * validation clock: up to `reachMs` (the largest gap plus the 5 minutes validation allows)
 * beyond where it is; a record further ahead will be quarantined as `future` and does not move
 * it, so an outlier cannot stall the replay. Out-of-order records are due at once. Infinity
 * speed (--fast): everything is due at 0. Monotone.
 */
export class Pacer {
  private start: number | null;
  private clock: number | null;

  constructor(
    private readonly options: { speed: number; reachMs: number; startTime: number | null },
  ) {
    this.start = options.startTime;
    this.clock = options.startTime;
  }

  due(ts: number | null): number {
    if (ts !== null && Number.isFinite(ts)) {
      if (this.clock === null) this.start = this.clock = ts;
      else if (ts > this.clock && ts <= this.clock + this.options.reachMs) this.clock = ts;
    }
    if (this.clock === null || this.start === null || !Number.isFinite(this.options.speed)) {
      return 0;
    }
    return (this.clock - this.start) / this.options.speed;
  }
}

// ── totals ──────────────────────────────────────────────────────────────────────────────────

/** What a replay run folded and quarantined, from the batches it drained. */
export class RunTotals {
  received = 0;
  folded = 0;
  readonly quarantined = new Map<string, number>();
  private readonly windows = new Set<number>();

  add(batch: Pick<Drained, 'received' | 'folded' | 'quarantined' | 'deltas'>): void {
    this.received += batch.received;
    this.folded += batch.folded;
    for (const q of batch.quarantined) {
      this.quarantined.set(q.reason, (this.quarantined.get(q.reason) ?? 0) + 1);
    }
    for (const d of batch.deltas) this.windows.add(d.windowStart);
  }

  quarantinedTotal(): number {
    let total = 0;
    for (const n of this.quarantined.values()) total += n;
    return total;
  }

  /** Quarantined events by reason, reasons sorted. */
  byReason(): Record<string, number> {
    return Object.fromEntries([...this.quarantined].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Windows that received data in this run. */
  windowRange(): { count: number; first: number; last: number } | null {
    if (this.windows.size === 0) return null;
    let first = Infinity;
    let last = -Infinity;
    for (const w of this.windows) {
      if (w < first) first = w;
      if (w > last) last = w;
    }
    return { count: this.windows.size, first, last };
  }
}

/** The windows an event-time range spans, for the detector wait. */
export function windowsOf(range: { first: number; last: number }, windowMs: number) {
  return { first: windowStart(range.first, windowMs), last: windowStart(range.last, windowMs) };
}

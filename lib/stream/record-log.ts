/**
 * The raw records a pipeline folded since its last drain, with their offsets, in order: what a
 * flush PostgreSQL refuses for its data is isolated from (db/sources/partition.ts parses them
 * again). Records that arrive as bytes (Kafka values) are copied into a few large chunks instead
 * of being kept as one string each: a flush holds tens of thousands of records for a second or
 * more, and as strings every one of them was copied by the young-generation garbage collector
 * and promoted (half of the scavenge time of a Kafka worker). Records that arrive as text
 * (stdin, HTTP, replay) are kept as they are. Once the records are no longer needed (their
 * flush landed or was fenced) {@link RecordLog.release} hands the chunks to the next logs.
 */

const CHUNK_BYTES = 1 << 20;
const EMPTY = new Uint8Array(0);
/**
 * Chunks of released logs, for the next ones to fill: fresh memory costs a page fault per 4 KiB
 * on first write (about as much as the copy itself, measured), and a worker fills megabytes a
 * second. At most this many are kept (32 MiB).
 */
const SPARE_CHUNKS = 32;
const spare: Uint8Array[] = [];
/** Decodes as Buffer#toString('utf8') does: invalid sequences become U+FFFD, a BOM stays. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Index of the last run whose first record is at or before record `i` (`starts` ascending, starting at 0). */
function runOf(starts: number[], i: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Per record the log keeps almost nothing: text records are one array slot, byte records three
 * numbers (chunk, start, end). Offsets and kinds are stored as runs (a record's offset is
 * usually its predecessor's plus one, and a source gives one kind), so the per-record cost of a
 * push is an array append (it was a tenth of the hot path's time with an offset and a span per
 * record, measured by `npx tsx workers/bench.ts --no-kafka`).
 */
export class RecordLog {
  /** Latest `now` the records were validated at. */
  now = 0;
  #count = 0;
  /** Offset runs: first record of each, and its offset; the run's records follow one by one. */
  #offsetStarts: number[] = [];
  #offsetFirsts: number[] = [];
  #lastOffset = 0;
  /** Kind runs: first record of each, whether it is text, its index among its kind's records. */
  #kindStarts: number[] = [];
  #kindText: boolean[] = [];
  #kindFirsts: number[] = [];
  /** Per byte record: chunk index, start and end in the chunk. */
  #spans: number[] = [];
  #chunks: Uint8Array[] = [];
  #chunk: Uint8Array = EMPTY;
  #used = 0;
  #texts: string[] = [];

  /** Number of records. */
  get length(): number {
    return this.#count;
  }

  #note(offset: number, text: boolean): void {
    const count = this.#count;
    if (count === 0 || offset !== this.#lastOffset + 1) {
      this.#offsetStarts.push(count);
      this.#offsetFirsts.push(offset);
    }
    this.#lastOffset = offset;
    const runs = this.#kindText.length;
    if (runs === 0 || this.#kindText[runs - 1] !== text) {
      this.#kindStarts.push(count);
      this.#kindText.push(text);
      this.#kindFirsts.push(text ? this.#texts.length : this.#spans.length / 3);
    }
    this.#count = count + 1;
  }

  /** Appends a record given as its raw bytes (copied; the caller may reuse them). */
  pushBytes(bytes: Uint8Array, offset: number): void {
    const size = bytes.length;
    if (this.#chunks.length === 0 || this.#used + size > this.#chunk.length) {
      this.#chunk =
        size <= CHUNK_BYTES ? (spare.pop() ?? new Uint8Array(CHUNK_BYTES)) : new Uint8Array(size);
      this.#chunks.push(this.#chunk);
      this.#used = 0;
    }
    this.#chunk.set(bytes, this.#used);
    this.#note(offset, false);
    this.#spans.push(this.#chunks.length - 1, this.#used, this.#used + size);
    this.#used += size;
  }

  /** Appends a record given as text. */
  pushText(line: string, offset: number): void {
    this.#note(offset, true);
    this.#texts.push(line);
  }

  #check(i: number): void {
    if (!(i >= 0 && i < this.#count)) throw new RangeError(`record ${i} of ${this.#count}`);
  }

  /** The `i`-th record as text (bytes decoded as UTF-8). */
  line(i: number): string {
    this.#check(i);
    const run = runOf(this.#kindStarts, i);
    const k = this.#kindFirsts[run]! + (i - this.#kindStarts[run]!);
    if (this.#kindText[run]) return this.#texts[k]!;
    return utf8.decode(
      this.#chunks[this.#spans[3 * k]!]!.subarray(this.#spans[3 * k + 1], this.#spans[3 * k + 2]),
    );
  }

  /** The `i`-th record's offset in its source. */
  offset(i: number): number {
    this.#check(i);
    const run = runOf(this.#offsetStarts, i);
    return this.#offsetFirsts[run]! + (i - this.#offsetStarts[run]!);
  }

  /** Every record as text, in order. */
  lines(): string[] {
    return Array.from({ length: this.#count }, (_, i) => this.line(i));
  }

  /**
   * Empties the log and hands its chunks to the next logs. Call once nothing will read these
   * records again; reading them afterwards throws.
   */
  release(): void {
    for (const chunk of this.#chunks) {
      if (chunk.length === CHUNK_BYTES && spare.length < SPARE_CHUNKS) spare.push(chunk);
    }
    this.#chunks = [];
    this.#chunk = EMPTY;
    this.#used = 0;
    this.#count = 0;
    this.#offsetStarts = [];
    this.#offsetFirsts = [];
    this.#kindStarts = [];
    this.#kindText = [];
    this.#kindFirsts = [];
    this.#spans = [];
    this.#texts = [];
  }
}

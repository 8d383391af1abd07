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

export class RecordLog {
  /** Latest `now` the records were validated at. */
  now = 0;
  #count = 0;
  #offsets: number[] = [];
  /** Per record: chunk index, start and end in the chunk; or −1 and its index in #texts. */
  #spans: number[] = [];
  #chunks: Uint8Array[] = [];
  #chunk: Uint8Array = EMPTY;
  #used = 0;
  #texts: string[] = [];

  /** Number of records. */
  get length(): number {
    return this.#count;
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
    this.#offsets.push(offset);
    this.#spans.push(this.#chunks.length - 1, this.#used, this.#used + size);
    this.#count++;
    this.#used += size;
  }

  /** Appends a record given as text. */
  pushText(line: string, offset: number): void {
    this.#offsets.push(offset);
    this.#spans.push(-1, this.#texts.length, 0);
    this.#count++;
    this.#texts.push(line);
  }

  /** The `i`-th record as text (bytes decoded as UTF-8). */
  line(i: number): string {
    if (i < 0 || i >= this.#count) throw new RangeError(`record ${i} of ${this.#count}`);
    const chunk = this.#spans[3 * i]!;
    if (chunk < 0) return this.#texts[this.#spans[3 * i + 1]!]!;
    return utf8.decode(
      this.#chunks[chunk]!.subarray(this.#spans[3 * i + 1], this.#spans[3 * i + 2]),
    );
  }

  /** The `i`-th record's offset in its source. */
  offset(i: number): number {
    if (i < 0 || i >= this.#count) throw new RangeError(`record ${i} of ${this.#count}`);
    return this.#offsets[i]!;
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
    this.#offsets = [];
    this.#spans = [];
    this.#texts = [];
  }
}

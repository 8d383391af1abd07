/**
 * The raw records a pipeline folded since its last drain, with their offsets, in order: what a
 * flush PostgreSQL refuses for its data is isolated from (db/sources/partition.ts parses them
 * again). Records that arrive as bytes (Kafka values) are copied into a few large chunks instead
 * of being kept as one string each: a flush holds tens of thousands of records for a second or
 * more, and as strings every one of them was copied by the young-generation garbage collector
 * and promoted (half of the scavenge time of a Kafka worker). Records that arrive as text
 * (stdin, HTTP, replay) are kept as they are.
 */

const CHUNK_BYTES = 1 << 20;
const EMPTY = new Uint8Array(0);
/** Decodes as Buffer#toString('utf8') does: invalid sequences become U+FFFD, a BOM stays. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export class RecordLog {
  /** Latest `now` the records were validated at. */
  now = 0;
  #count = 0;
  #offsets = new Float64Array(1024);
  /** Per record: chunk index, start and end in the chunk; or −1 and its index in #texts. */
  #spans = new Int32Array(3 * 1024);
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
      this.#chunk = new Uint8Array(Math.max(CHUNK_BYTES, size));
      this.#chunks.push(this.#chunk);
      this.#used = 0;
    }
    this.#chunk.set(bytes, this.#used);
    const i = this.#slot(offset);
    this.#spans[3 * i] = this.#chunks.length - 1;
    this.#spans[3 * i + 1] = this.#used;
    this.#spans[3 * i + 2] = this.#used + size;
    this.#used += size;
  }

  /** Appends a record given as text. */
  pushText(line: string, offset: number): void {
    const i = this.#slot(offset);
    this.#spans[3 * i] = -1;
    this.#spans[3 * i + 1] = this.#texts.length;
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

  #slot(offset: number): number {
    const i = this.#count++;
    if (i === this.#offsets.length) {
      const offsets = new Float64Array(2 * i);
      offsets.set(this.#offsets);
      this.#offsets = offsets;
      const spans = new Int32Array(6 * i);
      spans.set(this.#spans);
      this.#spans = spans;
    }
    this.#offsets[i] = offset;
    return i;
  }
}

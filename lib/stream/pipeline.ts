/**
 * The ingest stage of one source partition, pure: parse → validate → lateness check → fold.
 * It holds the deltas since the last drain; the worker drains it on every flush and writes the
 * result in one transaction. Accounting holds at every drain: received = folded + quarantined.
 */
import { parseEventLine, utf8ByteLength } from '@/lib/ingest/events';
import { storableText } from '@/lib/ingest/text';
import { RecordLog } from './record-log';
import { RollupAccumulator } from './rollup';
import type {
  LeafDelta,
  PulseEvent,
  QuarantinedEvent,
  QuarantineReason,
  RollupDelta,
} from '@/lib/types';
import { WatermarkTracker, windowEnd, windowStart } from './windows';

export interface PipelineOptions {
  source: string;
  partition: number;
  windowMs: number;
  outOfOrderMs: number;
  /** How long after a window's end (in event time) an event may still revise it. */
  allowedLatenessMs: number;
  maxValuesPerDim: number;
  /** Fold the leaf cube too (multi-dimensional root cause, filtered metrics). Default true. */
  leafCube?: boolean;
  /** Leaf rows one drain writes at most (lib/stream/leaf-cap.ts); default DEFAULT_MAX_LEAF_ROWS. */
  maxLeafRows?: number;
  /**
   * Where a partition resumes after a restart or a reassignment: its stored next offset and
   * watermark, so that offsets continue and lateness is judged as if it had never stopped.
   */
  resumeFrom?: { nextOffset: number; watermark: number | null };
}

/**
 * The raw records of the events folded since the last drain, with their offsets, in order, and
 * the latest `now` they were validated at (./record-log.ts). A flush that PostgreSQL refuses for
 * its data is isolated event by event from these (db/sources/partition.ts): the events behind
 * the refused rows are quarantined with their payload and the rest folded again without them.
 * Only the records are kept (the parsed events cost a third of the hot path's speed to keep; the
 * lines about a tenth, see docs/benchmarks.md; records given as bytes are copied into large
 * chunks, which costs less), so isolating parses them again.
 */
export type FoldedRecords = RecordLog;

export interface Drained {
  deltas: RollupDelta[];
  /** Leaf cube cells, written in the same transaction as `deltas`. */
  leaves: LeafDelta[];
  /** Events whose leaves the per-flush cap folded into '(other)' (lib/stream/leaf-cap.ts). */
  leafEventsFolded: number;
  quarantined: QuarantinedEvent[];
  received: number;
  folded: number;
  /** Watermark after the drained events; null before the first valid event. */
  watermark: number | null;
  /**
   * Offset of the next record to read: the last ingested record's source offset + 1 when the
   * source gives offsets (Kafka), else lines seen since the pipeline started (or `resumeFrom`).
   */
  nextOffset: number;
  /** What was folded: `folded` entries. */
  records: FoldedRecords;
}

const QUARANTINE_RAW_LIMIT = 2048;

/** Source name of the simulator's events piped into a worker's stdin. */
export const SIMULATOR_SOURCE = 'simulator';

export class Pipeline {
  private readonly rollups: RollupAccumulator;
  private readonly watermarks: WatermarkTracker;
  private quarantined: QuarantinedEvent[] = [];
  private records = new RecordLog();
  private received = 0;
  private folded = 0;
  private offset = 0;
  /** Oldest and newest event time folded by this instance (not reset by drains). */
  private firstFolded = Infinity;
  private lastFolded = -Infinity;
  private finished = false;

  constructor(private readonly options: PipelineOptions) {
    this.rollups = new RollupAccumulator({
      windowMs: options.windowMs,
      maxValuesPerDim: options.maxValuesPerDim,
      leafCube: options.leafCube ?? true,
      ...(options.maxLeafRows !== undefined ? { maxLeafRows: options.maxLeafRows } : {}),
    });
    this.watermarks = new WatermarkTracker({ outOfOrderMs: options.outOfOrderMs });
    const resume = options.resumeFrom;
    if (resume) {
      this.offset = resume.nextOffset;
      // The tracker keeps the newest event time; this one gives back the stored watermark.
      if (resume.watermark !== null)
        this.watermarks.observe(resume.watermark + options.outOfOrderMs);
    }
  }

  /** Offset the next record gets when the caller passes none (records counted from the resume point). */
  get nextOffset(): number {
    return this.offset;
  }

  /**
   * Ingests one raw line (NDJSON) or record value. `offset` is the record's position in its
   * source (a Kafka offset); without it, lines are counted. `raw`: the bytes `line` was decoded
   * from as UTF-8 (a Kafka value), kept instead of the line should the event be folded. Never
   * throws: bad input is quarantined with its reason.
   */
  ingestLine(line: string, now: number, offset?: number, raw?: Uint8Array): void {
    const position = offset ?? this.offset;
    this.offset = position + 1;
    if (line.trim() === '') return;
    this.received++;
    const parsed = parseEventLine(line, now, this.options.source);
    if (!parsed.ok) {
      this.quarantined.push({
        ...parsed.quarantined,
        partition: this.options.partition,
        offset: position,
      });
      return;
    }
    const { event } = parsed;
    if (this.watermarks.isLate(event.ts, this.options.windowMs, this.options.allowedLatenessMs)) {
      const start = windowStart(event.ts, this.options.windowMs);
      this.quarantined.push({
        reason: 'late',
        detail: `event time ${new Date(event.ts).toISOString()} is in window ${new Date(start).toISOString()}, already final (watermark ${new Date(this.watermarks.watermark()).toISOString()})`,
        raw: storableText(
          line.length > QUARANTINE_RAW_LIMIT ? line.slice(0, QUARANTINE_RAW_LIMIT) : line,
        ),
        rawSize: utf8ByteLength(line),
        source: this.options.source,
        partition: this.options.partition,
        offset: position,
      });
      return;
    }
    this.rollups.add(event);
    this.watermarks.observe(event.ts);
    this.folded++;
    if (raw) this.records.pushBytes(raw, position);
    else this.records.pushText(line, position);
    if (now > this.records.now) this.records.now = now;
    if (event.ts < this.firstFolded) this.firstFolded = event.ts;
    if (event.ts > this.lastFolded) this.lastFolded = event.ts;
  }

  /**
   * Quarantines a record the caller could not turn into a line to ingest (a CSV row that does
   * not parse): it counts as received and quarantined and takes its offset like a line.
   */
  reject(raw: string, reason: QuarantineReason, detail: string, offset?: number): void {
    const position = offset ?? this.offset;
    this.offset = position + 1;
    this.received++;
    this.quarantined.push(this.quarantineRecord(raw, position, reason, detail));
  }

  /**
   * The quarantine entry of the record `raw` at `offset` of this partition, in storable text
   * (lib/ingest/text.ts), without counting it anywhere.
   */
  quarantineRecord(
    raw: string,
    offset: number,
    reason: QuarantineReason,
    detail: string,
  ): QuarantinedEvent {
    return {
      reason,
      detail: storableText(detail),
      raw: storableText(
        raw.length > QUARANTINE_RAW_LIMIT ? raw.slice(0, QUARANTINE_RAW_LIMIT) : raw,
      ),
      rawSize: utf8ByteLength(raw),
      source: this.options.source,
      partition: this.options.partition,
      offset,
    };
  }

  /**
   * Newest event time folded, including the position this pipeline resumed from; null before
   * any. A replayed file's clock.
   */
  newestEventTime(): number | null {
    const newest = this.watermarks.maxSeen();
    return Number.isFinite(newest) ? newest : null;
  }

  /** Oldest and newest event time this instance folded (since it was created), or null. */
  foldedEventTimes(): { first: number; last: number } | null {
    return this.lastFolded >= this.firstFolded
      ? { first: this.firstFolded, last: this.lastFolded }
      : null;
  }

  /**
   * End of input (a replayed file): moves the watermark to the end of the newest event's
   * window plus the allowed lateness, so that every window with data is final and the next
   * drain carries that watermark. Events ingested afterwards for those windows are late.
   * Idempotent; returns the watermark, or null when no event was ever folded.
   */
  finish(): number | null {
    const newest = this.newestEventTime();
    if (newest === null) return null;
    if (!this.finished) {
      this.finished = true;
      const { windowMs, allowedLatenessMs, outOfOrderMs } = this.options;
      this.watermarks.observe(windowEnd(newest, windowMs) + allowedLatenessMs + outOfOrderMs);
    }
    return this.watermarks.watermark();
  }

  /** Events received since the last drain, and quarantined ones waiting to be written. */
  pending(): { received: number; quarantined: number; cells: number } {
    return {
      received: this.received,
      quarantined: this.quarantined.length,
      cells: this.rollups.size(),
    };
  }

  /** Dimensions whose distinct values overflowed into '(other)'. */
  overflowedDims(): string[] {
    return this.rollups.overflowedDims();
  }

  /**
   * `events` folded on their own, as this pipeline folds them (window, value limit, leaf cube):
   * the rollup rows of a batch without the events PostgreSQL refused.
   */
  foldAlone(events: readonly PulseEvent[]): { deltas: RollupDelta[]; leaves: LeafDelta[] } {
    const rollups = new RollupAccumulator({
      windowMs: this.options.windowMs,
      maxValuesPerDim: this.options.maxValuesPerDim,
      leafCube: this.options.leafCube ?? true,
    });
    for (const event of events) rollups.add(event);
    return rollups.drain();
  }

  /** Takes everything since the last drain. */
  drain(): Drained {
    const wm = this.watermarks.watermark();
    const { deltas, leaves, leafEventsFolded } = this.rollups.drain();
    const drained: Drained = {
      deltas,
      leaves,
      leafEventsFolded,
      quarantined: this.quarantined,
      received: this.received,
      folded: this.folded,
      watermark: Number.isFinite(wm) ? wm : null,
      nextOffset: this.offset,
      records: this.records,
    };
    this.records = new RecordLog();
    this.quarantined = [];
    this.received = 0;
    this.folded = 0;
    return drained;
  }
}

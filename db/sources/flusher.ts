/**
 * Flushes one claimed source partition (the stdin/simulator path) with the same fenced,
 * compare-and-set write as the Kafka source (db/queries/stream.ts writeFencedFlush): a flush
 * lands only while this worker still holds the partition's generation and the stored next
 * offset is where its data begins. A failed flush is retried unchanged — newer events wait in
 * the pipeline — so a retry after a lost COMMIT reply is recognised as already stored instead
 * of being counted twice. While a flush is held the caller stops reading input, which pushes
 * back on the producer.
 */
import type { Drained, Pipeline } from '@/lib/stream/pipeline';
import type { Logger } from '@/lib/observability/log';
import type { Telemetry } from '@/lib/observability/telemetry';
import type { Sql } from '@/db/client';
import { writeFencedFlush } from '@/db/queries/stream';

export interface FlushStats {
  flushes: number;
  rows: number;
  failures: number;
  lastError: string | null;
}

export interface ClaimedSource {
  source: string;
  partition: number;
  generation: number;
  /** Next offset stored in PostgreSQL when the claim was made. */
  nextOffset: number;
}

/** 'fenced': another worker claimed the partition; this one must stop writing it. */
export type FlushResult = 'ok' | 'failed' | 'fenced';

export class Flusher {
  private held: Drained | null = null;
  private stored: number;
  private failuresInRow = 0;
  private landedWatermark: number | null = null;
  readonly stats: FlushStats = { flushes: 0, rows: 0, failures: 0, lastError: null };

  constructor(
    private readonly sql: Sql,
    private readonly claim: ClaimedSource,
    private readonly log: Logger,
    private readonly telemetry?: Telemetry,
  ) {
    this.stored = claim.nextOffset;
  }

  /** Events of the held flush, waiting for a retry (0 when none is held). */
  get heldEvents(): number {
    return this.held?.received ?? 0;
  }

  /** Watermark of the last flush that landed; null before the first. */
  get watermark(): number | null {
    return this.landedWatermark;
  }

  /** True while earlier data could not be written: the caller should stop reading input. */
  get backlogged(): boolean {
    return this.held !== null;
  }

  /** Delay before the next attempt after failures (exponential, capped at 10 s). */
  get retryDelayMs(): number {
    return this.failuresInRow === 0 ? 0 : Math.min(10_000, 250 * 2 ** (this.failuresInRow - 1));
  }

  /** Writes what the pipeline folded since the last flush (or retries the held flush). */
  async flush(pipeline: Pipeline): Promise<FlushResult> {
    const batch = this.held ?? pipeline.drain();
    if (batch.nextOffset === this.stored && batch.received === 0) return 'ok';
    const started = performance.now();
    let outcome;
    try {
      [outcome] = await writeFencedFlush(this.sql, [
        {
          generation: this.claim.generation,
          fromOffset: this.stored,
          deltas: batch.deltas,
          leaves: batch.leaves,
          quarantined: batch.quarantined,
          progress: {
            source: this.claim.source,
            partition: this.claim.partition,
            watermark: batch.watermark,
            nextOffset: batch.nextOffset,
            received: batch.received,
            folded: batch.folded,
            quarantined: batch.quarantined.length,
          },
        },
      ]);
    } catch (error) {
      this.telemetry?.observeFlush(this.claim.source, (performance.now() - started) / 1000);
      this.telemetry?.countFlushPart(this.claim.source, 'failed');
      this.held = batch;
      this.failuresInRow++;
      this.stats.failures++;
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      this.log.warn(
        { err: error, retryInMs: this.retryDelayMs, heldRows: batch.deltas.length },
        'flush failed; holding the batch and retrying',
      );
      return 'failed';
    }
    this.held = null;
    this.telemetry?.observeFlush(this.claim.source, (performance.now() - started) / 1000);
    this.telemetry?.countFlushPart(this.claim.source, outcome ?? 'fenced', {
      rows: batch.deltas.length,
      folded: batch.folded,
      quarantinedReasons: batch.quarantined.map((q) => q.reason),
    });
    if (outcome === 'fenced') {
      this.log.error(
        { source: this.claim.source, partition: this.claim.partition },
        'another worker claimed this source partition; this one stops writing it',
      );
      return 'fenced';
    }
    if (this.failuresInRow > 0) this.log.info({ outcome }, 'flushes succeed again');
    this.failuresInRow = 0;
    this.stored = batch.nextOffset;
    this.landedWatermark = batch.watermark ?? this.landedWatermark;
    this.stats.flushes++;
    this.stats.rows += outcome === 'written' ? batch.deltas.length : 0;
    this.log.debug(
      {
        outcome,
        rows: batch.deltas.length,
        events: batch.received,
        quarantined: batch.quarantined.length,
        ms: Math.round(performance.now() - started),
      },
      'flushed',
    );
    return 'ok';
  }
}

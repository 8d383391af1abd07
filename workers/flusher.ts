/**
 * Writes drained pipeline state to PostgreSQL, one transaction per flush. A failed flush is
 * kept and merged with the next drain, so a database outage delays data but loses none; the
 * caller stops reading input while `backlogged` is true, which pushes back on the source.
 */
import { mergeDeltas } from '@/lib/rollup';
import type { Drained } from '@/lib/pipeline';
import type { Logger } from '@/lib/log';
import type { Sql } from '@/db/client';
import { writeFlush, type Flush } from '@/db/queries/stream';

export interface FlushStats {
  flushes: number;
  rows: number;
  failures: number;
  lastError: string | null;
}

export class Flusher {
  private pending: Drained | null = null;
  private failuresInRow = 0;
  readonly stats: FlushStats = { flushes: 0, rows: 0, failures: 0, lastError: null };

  constructor(
    private readonly sql: Sql,
    private readonly partition: { source: string; partition: number },
    private readonly log: Logger,
  ) {}

  /** True while earlier data could not be written: the caller should stop reading input. */
  get backlogged(): boolean {
    return this.pending !== null;
  }

  /** Delay before the next attempt after failures (exponential, capped at 10 s). */
  get retryDelayMs(): number {
    return this.failuresInRow === 0 ? 0 : Math.min(10_000, 250 * 2 ** (this.failuresInRow - 1));
  }

  /** Writes `drained` (plus anything left from failed flushes). Returns whether it landed. */
  async flush(drained: Drained): Promise<boolean> {
    const batch = this.pending ? merge(this.pending, drained) : drained;
    if (batch.received === 0 && batch.deltas.length === 0 && batch.quarantined.length === 0) {
      this.pending = null;
      return true;
    }
    const flush: Flush = {
      deltas: batch.deltas,
      quarantined: batch.quarantined,
      progress: [
        {
          ...this.partition,
          watermark: batch.watermark,
          nextOffset: batch.nextOffset,
          received: batch.received,
          folded: batch.folded,
          quarantined: batch.quarantined.length,
        },
      ],
    };
    const started = performance.now();
    try {
      await writeFlush(this.sql, flush);
    } catch (error) {
      this.pending = batch;
      this.failuresInRow++;
      this.stats.failures++;
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      this.log.warn(
        { err: error, retryInMs: this.retryDelayMs, heldRows: batch.deltas.length },
        'flush failed; holding the batch and retrying',
      );
      return false;
    }
    if (this.failuresInRow > 0) this.log.info('flushes succeed again');
    this.pending = null;
    this.failuresInRow = 0;
    this.stats.flushes++;
    this.stats.rows += batch.deltas.length;
    this.log.debug(
      {
        rows: batch.deltas.length,
        events: batch.received,
        quarantined: batch.quarantined.length,
        ms: Math.round(performance.now() - started),
      },
      'flushed',
    );
    return true;
  }
}

function merge(a: Drained, b: Drained): Drained {
  return {
    deltas: mergeDeltas(a.deltas, b.deltas),
    quarantined: [...a.quarantined, ...b.quarantined],
    received: a.received + b.received,
    folded: a.folded + b.folded,
    watermark: b.watermark ?? a.watermark,
    nextOffset: b.nextOffset,
  };
}

/**
 * The claimed source partition: the one way every source turns records into rows — the Kafka
 * worker (one per assigned partition), HTTP ingest, the stdin/simulator worker and file replay
 * claim it; re-ingest locks it inside its own transaction instead ({@link SourcePartition.lockIn},
 * ./reingest.ts).
 *
 * 1. Claim. `claimPartitions` bumps the partition's generation in `source_partitions`, which
 *    fences every earlier claimer, and returns the stored next offset and watermark. The
 *    partition's Pipeline resumes from them: offsets continue, lateness is judged as if the
 *    source had never stopped.
 * 2. Fold. The source hands records to `pipeline` (parse → validate → lateness → fold); nothing
 *    per record touches the database.
 * 3. Fenced flush. A flush drains what the pipeline folded into a held batch and writes it with
 *    `writeFencedFlush`: one transaction, landing only while this claim's generation is the
 *    stored one and the stored next offset is where the batch begins (compare-and-set). A batch
 *    that fails is held and retried unchanged — newer records wait in the pipeline — so a retry
 *    after a lost COMMIT reply is recognised as already stored ('already') instead of counted
 *    twice. Several partitions of one source can be written in one transaction
 *    ({@link writePartitions}); each part lands or is fenced on its own.
 * 4. Backpressure. While a batch is held (`backlogged`) the source stops taking input: the
 *    stdin worker stops reading, HTTP ingest answers 429, the Kafka worker pauses.
 * 5. Isolation. Validation makes every event storable (lib/ingest/text.ts, contract limits), but
 *    should PostgreSQL still refuse a flush for its data ({@link isDataError}: SQLSTATE classes
 *    22, 23, 54), retrying it unchanged would stall the partition for ever. Instead the batch is
 *    written again, in a new transaction, event by event where needed: its events (parsed again
 *    from the raw records the pipeline kept) are folded and written in halves under savepoints,
 *    and a half that is refused is split until the refused events stand alone. Those go to
 *    quarantine with reason `unwritable` and PostgreSQL's message; the rest lands, in the same
 *    fenced transaction, so still exactly once. Connection loss and other errors keep the
 *    hold-and-retry above.
 *
 * Telemetry (flush latency, parts by outcome, events by outcome) is recorded here for every
 * source alike; `reading()` gives the live buffer figures of the partition.
 */
import { clip, MAX_DETAIL_CHARS } from '@/lib/ingest/contract';
import { parseEventLine } from '@/lib/ingest/events';
import { escapedText } from '@/lib/ingest/text';
import type { Logger } from '@/lib/observability/log';
import type { SourceReading, Telemetry } from '@/lib/observability/telemetry';
import { Pipeline, type Drained, type PipelineOptions } from '@/lib/stream/pipeline';
import type { PulseEvent, QuarantinedEvent } from '@/lib/types';
import type postgres from 'postgres';
import type { Sql } from '@/db/client';
import {
  claimPartitions,
  isDataError,
  lockPartition,
  writeFencedFlush,
  writeFlushIn,
  type ClaimedPartition,
  type FencedOutcome,
  type FencedPart,
  type Flush,
} from '@/db/queries/stream';

/** 'fenced': another writer claimed the partition; this one must stop writing it. */
export type FlushResult = 'ok' | 'failed' | 'fenced';

export interface PartitionClients {
  sql: Sql;
  /** Flush failures, fencing and recoveries are logged here (none when omitted). */
  log?: Logger | undefined;
  /** Metrics: flushes, parts by outcome, events by outcome (lib/observability/telemetry.ts). */
  telemetry?: Telemetry | undefined;
}

/** Which partition, and how its events are folded. */
export interface PartitionSpec extends Omit<PipelineOptions, 'resumeFrom'> {
  /** Called with every newly drained batch (not again when a held batch is retried). */
  onDrain?: (drained: Drained) => void;
}

export interface FlushStats {
  /** Flushes that landed. */
  flushes: number;
  failures: number;
  lastError: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SourcePartition {
  readonly source: string;
  readonly partition: number;
  /** Where the source hands its records (see lib/stream/pipeline.ts). */
  readonly pipeline: Pipeline;
  readonly stats: FlushStats = { flushes: 0, failures: 0, lastError: null };
  private claimed: number;
  /** Next offset stored in PostgreSQL, as of the claim or this writer's last landed flush. */
  private stored: number;
  /** Drained data being written; unchanged until it lands or is fenced. */
  private held: Drained | null = null;
  private landedWatermark: number | null;
  private failuresInRow = 0;
  private isFenced = false;
  private readonly overflowReported = new Set<string>();

  /** Claims `spec.partition` of `spec.source` for `owner` (fencing earlier claimers). */
  static async claim(
    clients: PartitionClients,
    spec: PartitionSpec & { owner: string },
  ): Promise<SourcePartition> {
    const [claim] = await claimPartitions(clients.sql, {
      source: spec.source,
      owner: spec.owner,
      partitions: [spec.partition],
    });
    if (!claim) throw new Error(`could not claim ${spec.source}/${spec.partition}`);
    return new SourcePartition(clients, spec, claim);
  }

  /**
   * The partition inside the caller's transaction, under the lock of its progress row instead
   * of a claim: for a writer whose one request is one transaction that also locks other rows
   * (re-ingest locks the quarantine rows it takes). Write it with {@link writeIn}.
   */
  static async lockIn(
    tx: postgres.TransactionSql,
    clients: PartitionClients,
    spec: PartitionSpec,
  ): Promise<SourcePartition> {
    return new SourcePartition(clients, spec, await lockPartition(tx, spec.source, spec.partition));
  }

  /** A partition as `claim` (a row returned by claimPartitions) left it. */
  constructor(
    private readonly clients: PartitionClients,
    private readonly spec: PartitionSpec,
    claim: ClaimedPartition,
  ) {
    this.source = spec.source;
    this.partition = spec.partition;
    this.claimed = claim.generation;
    this.stored = claim.nextOffset;
    this.landedWatermark = claim.watermark;
    const { onDrain: _onDrain, ...options } = spec;
    this.pipeline = new Pipeline({
      ...options,
      resumeFrom: { nextOffset: claim.nextOffset, watermark: claim.watermark },
    });
  }

  /** The generation of this writer's claim. */
  get generation(): number {
    return this.claimed;
  }

  /** Next offset stored in PostgreSQL as far as this writer knows. */
  get storedOffset(): number {
    return this.stored;
  }

  /** Watermark stored with the last landed flush (at first: the claimed one). */
  get watermark(): number | null {
    return this.landedWatermark;
  }

  /**
   * True while earlier data could not be written (a failed batch is held for its retry): the
   * source should stop taking input. A batch merely being written does not count.
   */
  get backlogged(): boolean {
    return this.held !== null && this.failuresInRow > 0;
  }

  /** True once another writer claimed the partition: nothing of this one lands any more. */
  get fenced(): boolean {
    return this.isFenced;
  }

  /** Events of the held batch, waiting for a retry (0 when none is held). */
  get heldEvents(): number {
    return this.held?.received ?? 0;
  }

  /** Delay before the next attempt after failures (exponential, capped at 10 s). */
  get retryDelayMs(): number {
    return this.failuresInRow === 0 ? 0 : Math.min(10_000, 250 * 2 ** (this.failuresInRow - 1));
  }

  /** Events and quarantined records waiting to be written: in the pipeline and held. */
  pending(): { events: number; quarantined: number; cells: number } {
    const p = this.pipeline.pending();
    return {
      events: p.received + this.heldEvents,
      quarantined: p.quarantined + (this.held?.quarantined.length ?? 0),
      cells: p.cells,
    };
  }

  /**
   * Live figures for the metrics (lib/observability/telemetry.ts `SourceReading`). `events`
   * replaces the events waiting, for a source that counts them itself (HTTP ingest: requests).
   */
  reading(overrides: { events?: number } = {}): SourceReading {
    return {
      source: this.source,
      buffer: {
        events: overrides.events ?? this.pending().events,
        cells: this.pipeline.pending().cells,
        heldFlushes: this.backlogged ? 1 : 0,
      },
      partitions: [
        {
          partition: this.partition,
          consumerLag: null,
          watermark: this.landedWatermark,
        },
      ],
    };
  }

  /**
   * After this writer claimed the partition again (a rebalance gave it back): keeps the
   * unflushed state when nobody else claimed it meanwhile (generation + 1) and the stored
   * position is where this writer left off. False: start over from the claim.
   */
  continueAfter(claim: ClaimedPartition): boolean {
    if (claim.generation !== this.claimed + 1) return false;
    if (this.held && claim.nextOffset === this.held.nextOffset) {
      // An earlier attempt landed although it looked failed.
      this.stored = claim.nextOffset;
      this.held.records.release();
      this.held = null;
    }
    if (claim.nextOffset !== this.stored) return false;
    this.claimed = claim.generation;
    this.isFenced = false;
    return true;
  }

  /**
   * Drains what arrived since the last flush into the held batch, unless a batch is held
   * already (it is retried unchanged). True when there is something to write.
   */
  prepare(): boolean {
    if (this.isFenced) return false;
    if (!this.held) {
      const drained = this.pipeline.drain();
      if (drained.nextOffset === this.stored && drained.received === 0) return false;
      this.held = drained;
      this.spec.onDrain?.(drained);
    }
    return true;
  }

  /** The batch being written. Call after {@link prepare} returned true. */
  heldBatch(): Drained {
    if (!this.held) throw new Error(`${this.source}/${this.partition}: nothing prepared to write`);
    return this.held;
  }

  /** The held batch as one part of a fenced flush. Call after {@link prepare} returned true. */
  part(): FencedPart {
    const held = this.held;
    if (!held) throw new Error(`${this.source}/${this.partition}: nothing prepared to write`);
    return {
      generation: this.claimed,
      fromOffset: this.stored,
      deltas: held.deltas,
      leaves: held.leaves,
      quarantined: held.quarantined,
      progress: {
        source: this.source,
        partition: this.partition,
        watermark: held.watermark,
        nextOffset: held.nextOffset,
        received: held.received,
        folded: held.folded,
        quarantined: held.quarantined.length,
        leafEventsFolded: held.leafEventsFolded,
      },
    };
  }

  /** Records what became of the held batch's write. */
  settle(outcome: FencedOutcome | { failed: unknown }): void {
    if (typeof outcome === 'object') {
      this.failuresInRow++;
      this.stats.failures++;
      const { failed } = outcome;
      this.stats.lastError = failed instanceof Error ? failed.message : String(failed);
      return;
    }
    const held = this.held;
    this.held = null;
    // Nothing reads the batch's records again (isolation ran inside the write): their chunks
    // go to the next batches (lib/stream/record-log.ts).
    held?.records.release();
    if (outcome === 'fenced') {
      this.isFenced = true;
      return;
    }
    this.failuresInRow = 0;
    if (!held) return;
    this.stored = held.nextOffset;
    this.landedWatermark = held.watermark ?? this.landedWatermark;
    this.stats.flushes++;
    this.reportOverflow();
  }

  /**
   * Writes what the pipeline folded since the last flush, or retries the held batch. Never
   * throws: a failure is 'failed' (the batch stays held), a lost claim is 'fenced'.
   */
  async flush(): Promise<FlushResult> {
    if (this.isFenced) return 'fenced';
    if (!this.prepare()) return 'ok';
    const failuresBefore = this.failuresInRow;
    const events = this.heldEvents;
    const started = performance.now();
    const [result] = await writePartitions(this.clients, [this]);
    const { log } = this.clients;
    if (result === 'failed') {
      log?.warn(
        { err: this.stats.lastError, retryInMs: this.retryDelayMs, heldEvents: events },
        'flush failed; holding the batch and retrying',
      );
      return 'failed';
    }
    if (result === 'fenced') {
      log?.error(
        { source: this.source, partition: this.partition },
        'another writer claimed this source partition; this one stops writing it',
      );
      return 'fenced';
    }
    if (failuresBefore > 0) log?.info({ outcome: result }, 'flushes succeed again');
    log?.debug({ outcome: result, events, ms: Math.round(performance.now() - started) }, 'flushed');
    return 'ok';
  }

  /**
   * Flushes until everything folded so far has landed, retrying a failed flush after its
   * backoff (at least `minDelayMs`); gives up ('failed') after `attempts` tries or `timeoutMs`.
   * 'fenced' at once.
   */
  async flushAll(
    limits: { attempts?: number; timeoutMs?: number; minDelayMs?: number } = {},
  ): Promise<FlushResult> {
    const { attempts = Infinity, timeoutMs = Infinity, minDelayMs = 100 } = limits;
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      const result = await this.flush();
      if (result === 'fenced') return result;
      if (result === 'ok' && !this.backlogged && this.pipeline.pending().received === 0) {
        return 'ok';
      }
      if (attempt >= attempts || performance.now() - started > timeoutMs) return 'failed';
      if (result === 'failed') await sleep(Math.max(minDelayMs, this.retryDelayMs));
    }
  }

  /**
   * Writes what the pipeline folded inside `tx`, the transaction that locked the partition
   * ({@link lockIn}): it lands or rolls back with the caller's other writes. `adjust` may
   * rewrite the batch first (re-ingest names the original of each event it quarantines again).
   * Returns the batch as written.
   */
  async writeIn(
    tx: postgres.TransactionSql,
    adjust: (drained: Drained) => Drained = (drained) => drained,
  ): Promise<Drained> {
    const drained = adjust(this.pipeline.drain());
    this.spec.onDrain?.(drained);
    const progress = {
      source: this.source,
      partition: this.partition,
      watermark: drained.watermark,
      nextOffset: drained.nextOffset,
      received: drained.received,
      folded: drained.folded,
      quarantined: drained.quarantined.length,
      leafEventsFolded: drained.leafEventsFolded,
    };
    try {
      await tx.savepoint((sp) =>
        writeFlushIn(sp, {
          deltas: drained.deltas,
          leaves: drained.leaves,
          quarantined: [],
          progress: [],
        }),
      );
    } catch (error) {
      if (!isDataError(error)) throw error;
      const unwritable = await this.isolateIn(tx, drained, error);
      drained.quarantined = [...drained.quarantined, ...unwritable];
      drained.folded -= unwritable.length;
      progress.folded = drained.folded;
      progress.quarantined = drained.quarantined.length;
    }
    await writeBooks(tx, { deltas: [], quarantined: drained.quarantined, progress: [progress] });
    this.stored = drained.nextOffset;
    this.landedWatermark = drained.watermark ?? this.landedWatermark;
    return drained;
  }

  /**
   * Writes the events of `drained` that PostgreSQL accepts inside `tx` (rollups and leaf cube,
   * under savepoints) and returns the quarantine entries of those it refuses: see "Isolation"
   * above. `refused` is the error the whole batch failed with. A refused half is split in two;
   * a half that lands stays, so every event is written or quarantined exactly once even when
   * two events only fail together (a sum that overflows). Throws what is not a data error.
   */
  async isolateIn(
    tx: postgres.TransactionSql,
    drained: Drained,
    refused: unknown,
  ): Promise<QuarantinedEvent[]> {
    const { records } = drained;
    const { now } = records;
    if (records.length !== drained.folded) throw refused;
    const unwritable: QuarantinedEvent[] = [];
    const events: { event: PulseEvent; line: string; offset: number }[] = [];
    for (let i = 0; i < records.length; i++) {
      const line = records.line(i);
      const offset = records.offset(i);
      const parsed = parseEventLine(line, now, this.source);
      if (parsed.ok) events.push({ event: parsed.event, line, offset });
      else {
        const detail = `no longer valid when written again: ${parsed.quarantined.detail}`;
        unwritable.push(this.pipeline.quarantineRecord(line, offset, 'unwritable', detail));
      }
    }
    const write = async (items: typeof events): Promise<void> => {
      if (items.length === 0) return;
      try {
        const rows = this.pipeline.foldAlone(items.map((item) => item.event));
        await tx.savepoint((sp) => writeFlushIn(sp, { ...rows, quarantined: [], progress: [] }));
      } catch (error) {
        if (!isDataError(error)) throw error;
        if (items.length === 1) {
          const { line, offset } = items[0]!;
          const message = error instanceof Error ? error.message : String(error);
          const detail = clip(`PostgreSQL refused to store it: ${message}`, MAX_DETAIL_CHARS);
          unwritable.push(this.pipeline.quarantineRecord(line, offset, 'unwritable', detail));
          return;
        }
        const half = Math.ceil(items.length / 2);
        await write(items.slice(0, half));
        await write(items.slice(half));
      }
    };
    await write(events);
    this.clients.log?.error(
      {
        source: this.source,
        partition: this.partition,
        err: refused instanceof Error ? refused.message : String(refused),
        unwritable: unwritable.length,
        written: drained.folded - unwritable.length,
      },
      'PostgreSQL refused a flush for its data; the refused events are quarantined as unwritable and the rest is written',
    );
    return unwritable;
  }

  /** Logs, once each, the dimensions whose distinct values overflowed into '(other)'. */
  private reportOverflow(): void {
    for (const dim of this.pipeline.overflowedDims()) {
      if (this.overflowReported.has(dim)) continue;
      this.overflowReported.add(dim);
      this.clients.log?.warn(
        { dim, limit: this.spec.maxValuesPerDim, source: this.source },
        "dimension over its value limit; the rest fold into '(other)'",
      );
    }
  }
}

/**
 * Writes quarantined events and progress after an isolation. Should PostgreSQL refuse the
 * quarantined text too (it is normalised already, so this is the unforeseen case), it is
 * written again with everything outside printable ASCII escaped, which it always stores.
 */
async function writeBooks(tx: postgres.TransactionSql, flush: Flush): Promise<void> {
  try {
    await tx.savepoint((sp) => writeFlushIn(sp, flush));
  } catch (error) {
    if (!isDataError(error)) throw error;
    const quarantined = flush.quarantined.map((q) => ({
      ...q,
      source: escapedText(q.source),
      detail: escapedText(q.detail),
      raw: escapedText(q.raw),
    }));
    await writeFlushIn(tx, { ...flush, quarantined });
  }
}

/** What became of one partition's part: its outcome, or 'failed' when the write failed. */
export type PartitionOutcome = FencedOutcome | 'failed';

/**
 * Writes the prepared batches of several partitions of one source in one transaction (each
 * partition's part lands or is fenced on its own; a failure leaves every batch held) and
 * settles each partition. Records flush latency and parts by outcome. Never throws.
 */
export async function writePartitions(
  clients: Pick<PartitionClients, 'sql' | 'telemetry'>,
  partitions: readonly SourcePartition[],
): Promise<PartitionOutcome[]> {
  if (partitions.length === 0) return [];
  const parts = partitions.map((p) => p.part());
  const source = parts[0]!.progress.source;
  const { telemetry } = clients;
  const started = performance.now();
  let outcomes: FencedOutcome[];
  try {
    try {
      outcomes = await writeFencedFlush(clients.sql, parts);
    } catch (error) {
      if (!isDataError(error)) throw error;
      // Written again with the refused events isolated (see "Isolation" above).
      outcomes = await writeFencedFlush(clients.sql, parts, async (tx, owned) => {
        for (const part of owned) {
          const partition = partitions[parts.indexOf(part)]!;
          const unwritable = await partition.isolateIn(tx, partition.heldBatch(), error);
          part.deltas = [];
          part.leaves = [];
          part.quarantined = [...part.quarantined, ...unwritable];
          part.progress.folded -= unwritable.length;
          part.progress.quarantined += unwritable.length;
        }
        await writeBooks(tx, {
          deltas: [],
          quarantined: owned.flatMap((p) => p.quarantined),
          progress: owned.map((p) => p.progress),
        });
      });
    }
  } catch (error) {
    telemetry?.observeFlush(source, (performance.now() - started) / 1000);
    for (const partition of partitions) {
      telemetry?.countFlushPart(source, 'failed');
      partition.settle({ failed: error });
    }
    return partitions.map(() => 'failed');
  }
  telemetry?.observeFlush(source, (performance.now() - started) / 1000);
  return partitions.map((partition, i) => {
    const outcome = outcomes[i] ?? 'fenced';
    const part = parts[i]!;
    telemetry?.countFlushPart(source, outcome, {
      rows: part.deltas.length,
      folded: part.progress.folded,
      quarantinedReasons: part.quarantined.map((q) => q.reason),
    });
    partition.settle(outcome);
    return outcome;
  });
}

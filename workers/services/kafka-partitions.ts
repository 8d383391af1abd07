/**
 * What one Kafka worker holds of its topic, in PostgreSQL's terms: per assigned partition the
 * claimed SourcePartition (db/sources/partition.ts: pipeline, held batch, stored position), the
 * assignment epoch it was claimed in, and where the consumer stands. The consumer side (group
 * membership, batches, pausing) is ./kafka-source.ts; this module claims, flushes and forgets.
 */
import type { PartitionCursor } from '@/lib/ingest/kafka';
import type { Logger } from '@/lib/observability/log';
import type { SourceReading } from '@/lib/observability/telemetry';
import { claimPartitions } from '@/db/queries/stream';
import {
  SourcePartition,
  writePartitions,
  type PartitionClients,
  type PartitionOutcome,
  type PartitionSpec,
} from '@/db/sources/partition';

export interface PartitionState {
  partition: number;
  /** The claimed partition: pipeline, held batch, stored position. */
  source: SourcePartition;
  /** Assignment epoch (count of GROUP_JOINs) the claim was made in. */
  epoch: number;
  cursor: PartitionCursor;
  /** The partition's high watermark (next offset to be produced) as of the last batch. */
  highWatermark: number | null;
}

/** The result of one flush of every partition with new data. */
export type FlushRound =
  /** Nothing new to write. */
  | { status: 'idle' }
  /** The write failed (PostgreSQL): every batch is held for the retry. */
  | { status: 'failed'; error: unknown }
  | {
      status: 'written';
      outcomes: PartitionOutcome[];
      /** Partitions that landed, with their new stored offsets. */
      landed: { partition: number; offset: number }[];
      events: number;
    };

export class KafkaPartitions {
  private readonly states = new Map<number, PartitionState>();

  constructor(
    private readonly clients: PartitionClients & { log: Logger },
    private readonly spec: Omit<PartitionSpec, 'partition' | 'onDrain'> & { owner: string },
  ) {}

  get(partition: number): PartitionState | undefined {
    return this.states.get(partition);
  }

  /**
   * Claims `partition` in assignment `epoch`. When this worker held it and nobody claimed it
   * meanwhile, its unflushed state carries over; otherwise it starts over from PostgreSQL.
   * Throws when PostgreSQL fails.
   */
  async claim(partition: number, epoch: number): Promise<PartitionState | null> {
    const [row] = await claimPartitions(this.clients.sql, {
      source: this.spec.source,
      owner: this.spec.owner,
      partitions: [partition],
    });
    if (!row) return null;
    const old = this.states.get(partition);
    // Nobody claimed it since this worker did: what it holds is still a valid continuation.
    if (old?.source.continueAfter(row)) {
      old.epoch = epoch;
      old.cursor.sought = false;
      return old;
    }
    if (old) {
      this.clients.log.info(
        { partition, storedOffset: row.nextOffset },
        'partition was written by another worker meanwhile: starting over from PostgreSQL',
      );
    }
    const { owner: _owner, ...spec } = this.spec;
    const state: PartitionState = {
      partition,
      source: new SourcePartition(this.clients, { ...spec, partition }, row),
      epoch,
      cursor: { position: row.nextOffset > 0 ? row.nextOffset : null, sought: false },
      highWatermark: null,
    };
    this.states.set(partition, state);
    this.clients.log.debug(
      { partition, generation: row.generation, from: row.nextOffset },
      'claimed',
    );
    return state;
  }

  /**
   * Writes every partition's new data in one transaction (each lands or is fenced on its own).
   * A fenced partition is dropped: its new owner re-reads it from the stored offset. Never
   * throws; a failed write leaves every batch held for the retry.
   */
  async flush(): Promise<FlushRound> {
    const involved = [...this.states.values()].filter((state) => state.source.prepare());
    if (involved.length === 0) return { status: 'idle' };
    const held = involved.map((s) => s.source.heldEvents);
    const outcomes = await writePartitions(
      this.clients,
      involved.map((s) => s.source),
    );
    if (outcomes.every((outcome) => outcome === 'failed')) {
      return { status: 'failed', error: involved[0]!.source.stats.lastError };
    }
    const landed: { partition: number; offset: number }[] = [];
    involved.forEach((state, i) => {
      if (outcomes[i] === 'fenced') {
        if (this.states.get(state.partition) === state) this.states.delete(state.partition);
        this.clients.log.warn(
          { partition: state.partition, dropped: held[i] },
          'partition fenced by another worker: dropping its unflushed data',
        );
        return;
      }
      landed.push({ partition: state.partition, offset: state.source.storedOffset });
    });
    return {
      status: 'written',
      outcomes,
      landed,
      events: held.reduce((n, e) => n + e, 0),
    };
  }

  /** Forgets partitions no longer assigned (after their last flush attempt). */
  forgetAllBut(assigned: ReadonlySet<number>): void {
    for (const partition of [...this.states.keys()]) {
      if (!assigned.has(partition)) this.states.delete(partition);
    }
  }

  /** True while some partition holds a batch that failed to land. */
  backlogged(): boolean {
    return [...this.states.values()].some((s) => s.source.backlogged);
  }

  /** Stored next offsets of the assigned partitions that have one (to commit to Kafka). */
  storedOffsets(assigned: ReadonlySet<number>): { partition: number; offset: number }[] {
    return [...this.states.values()]
      .filter((s) => s.source.storedOffset > 0 && assigned.has(s.partition))
      .map((s) => ({ partition: s.partition, offset: s.source.storedOffset }));
  }

  /** Events and quarantined records waiting to be written, over every partition. */
  pending(): { events: number; quarantined: number } {
    let events = 0;
    let quarantined = 0;
    for (const state of this.states.values()) {
      const p = state.source.pending();
      events += p.events;
      quarantined += p.quarantined;
    }
    return { events, quarantined };
  }

  /** Live figures for the metrics: buffers, and per assigned partition its lags. */
  reading(assigned: ReadonlySet<number>): SourceReading {
    let cells = 0;
    let heldFlushes = 0;
    const partitions: SourceReading['partitions'] = [];
    for (const state of this.states.values()) {
      cells += state.source.pending().cells;
      if (state.source.backlogged) heldFlushes++;
      if (!assigned.has(state.partition)) continue;
      const { highWatermark } = state;
      const position = state.cursor.position;
      partitions.push({
        partition: state.partition,
        consumerLag: highWatermark !== null && position !== null ? highWatermark - position : null,
        watermark: state.source.watermark,
      });
    }
    return {
      source: this.spec.source,
      buffer: { events: this.pending().events, cells, heldFlushes },
      partitions,
    };
  }
}

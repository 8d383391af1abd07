/**
 * The prefetch queue of the Kafka source (./kafka-source.ts, step 6 of its protocol): batches
 * kafkajs handed over and that were resolved at once, waiting to be folded in order. It counts
 * their records and makes `eachBatch` wait while it holds {@link PREFETCH_EVENTS}, so memory
 * stays bounded at about one fetch response ahead of the fold.
 */
import type { Consumer, EachBatchPayload } from 'kafkajs';

/**
 * kafkajs waits to hand over more once this many fetched records wait to be folded: about one
 * fetch response (kafkajs' default maxBytes is 10 MiB).
 */
export const PREFETCH_EVENTS = 50_000;

/** A fetched batch waiting to be folded, with the group epoch it was fetched in. */
export interface QueuedBatch {
  consumer: Consumer;
  payload: EachBatchPayload;
  epoch: number;
}

export class PrefetchQueue {
  private entries: QueuedBatch[] = [];
  private records = 0;
  /** Wake the `eachBatch` calls waiting for room. */
  private waiting: (() => void)[] = [];

  push(entry: QueuedBatch): void {
    this.entries.push(entry);
    this.records += entry.payload.batch.messages.length;
  }

  /** The oldest batch, or undefined when none waits. */
  shift(): QueuedBatch | undefined {
    const entry = this.entries.shift();
    if (entry) {
      this.records -= entry.payload.batch.messages.length;
      if (this.records < PREFETCH_EVENTS) this.wake();
    }
    return entry;
  }

  /** Waits while the queue is full, unless `stopping()` says to give up. */
  async room(stopping: () => boolean): Promise<void> {
    while (this.records >= PREFETCH_EVENTS && !stopping()) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Drops the partition's batches (its fetch position was moved). */
  dropPartition(partition: number): void {
    const kept = this.entries.filter((entry) => entry.payload.batch.partition !== partition);
    if (kept.length === this.entries.length) return;
    for (const entry of this.entries) {
      if (entry.payload.batch.partition === partition) {
        this.records -= entry.payload.batch.messages.length;
      }
    }
    this.entries = kept;
    this.wake();
  }

  /** Wakes every waiting `eachBatch` (they look again, or give up when stopping). */
  wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

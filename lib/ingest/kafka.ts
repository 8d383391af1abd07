/**
 * Pure rules of the Kafka source and producer: naming, where a batch may be folded from, keys,
 * and retry delays. The I/O lives in workers/services/kafka-source.ts and workers/produce.ts.
 */

/** Source name of a Kafka topic's partitions in source_partitions and quarantine. */
export function kafkaSourceName(topic: string): string {
  return `kafka:${topic}`;
}

/** Where a partition's consumer stands, as the source tracks it. */
export interface PartitionCursor {
  /**
   * Next offset to fold: the stored position after a claim, then one past the last record
   * folded. Null when PostgreSQL holds no position yet (the consumer's own start is taken).
   */
  position: number | null;
  /** Whether the consumer was already told to seek to `position` since the claim. */
  sought: boolean;
}

export type BatchPlan =
  /** Fold the records at or after `from`; skip older ones (already folded and stored). */
  | { action: 'fold'; from: number }
  /** Do not fold this batch: move the consumer to `offset` first. */
  | { action: 'seek'; offset: number };

/**
 * What to do with a fetched batch starting at `firstOffset`. The stored position is the truth:
 * a batch that does not start there makes the consumer seek there once after a claim (Kafka's
 * committed offset can lag PostgreSQL's, or run ahead of it if something else committed). After
 * that seek, records below the position are skipped (the guard that makes re-delivery harmless)
 * and a batch starting above it is a real gap in the log (compaction, transaction markers, or
 * retention), folded from where it starts.
 */
export function planBatch(cursor: PartitionCursor, firstOffset: number): BatchPlan {
  const { position, sought } = cursor;
  if (position === null) return { action: 'fold', from: firstOffset };
  if (firstOffset !== position && !sought) return { action: 'seek', offset: position };
  return { action: 'fold', from: position };
}

/** Number of distinct message keys the producer cycles through. */
export const KEY_SPACE = 4096;

/**
 * Key of the `seq`-th produced event: a synthetic session id, so Kafka's hash partitioner
 * spreads the load evenly over partitions while one session's events stay in order.
 */
export function messageKey(seq: number): string {
  return `s${seq % KEY_SPACE}`;
}

/** Exponential backoff after `failures` consecutive failures: 0, base, 2·base, … up to `capMs`. */
export function backoffMs(failures: number, baseMs = 250, capMs = 5000): number {
  if (failures <= 0) return 0;
  return Math.min(capMs, baseMs * 2 ** Math.min(failures - 1, 20));
}

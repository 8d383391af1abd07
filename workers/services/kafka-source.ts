/**
 * The Kafka source of the stream worker: a consumer group member that folds its partitions'
 * records into rollups with an exactly-once effect on PostgreSQL.
 *
 * Protocol (PostgreSQL is the source of truth for positions; Kafka's committed offsets are only
 * a hint):
 *
 * 1. Claim before folding. The first batch of a partition after every (re)assignment makes the
 *    worker claim it: `claimPartitions` bumps `source_partitions.generation` (creating the row
 *    if needed) and returns the stored next offset and watermark. The bump fences every earlier
 *    claimer. The claim waits on the row lock, so a flush of the previous owner that is in
 *    progress either commits first (and the claim sees its offset) or is fenced afterwards.
 * 2. Start at the stored position. One `SourcePartition` (db/sources/partition.ts) per
 *    partition: its Pipeline resumes from the stored next offset and watermark. A batch that does not start there makes the consumer seek there once
 *    (Kafka's committed offset may lag); records below the position are always skipped, so
 *    re-delivery can never fold a record twice. No stored position yet (next_offset 0): the
 *    consumer's own start applies (committed offset, else `fromBeginning`).
 * 3. One transaction per flush. Every `flushIntervalMs`, each partition's new data is drained
 *    into a held part: rollup deltas, quarantined events, counters and the real Kafka next
 *    offset. `writePartitions` (the same fenced write as every other source: `writeFencedFlush`)
 *    locks the partitions' rows and writes, in one transaction, the
 *    parts whose row still has this worker's generation and the offset the part continues from
 *    (compare-and-set). Fenced parts are dropped (the new owner re-reads those records from the
 *    stored offset) without losing the other partitions' parts. A part whose row already
 *    shows its end offset was committed by an attempt whose reply was lost: acknowledged, not
 *    written twice. A held part is retried unchanged until it lands or is fenced; newer records
 *    wait in the pipeline, so a retry never mixes in data the lost attempt did not have.
 * 4. Then Kafka. After a flush lands, its offsets are committed to Kafka, best effort: they
 *    only save re-reading after a restart; a failed or late commit is harmless because of 2.
 * 5. Rebalances. On REBALANCING the worker flushes at once (kafkajs finishes the batch in
 *    flight before rejoining); partitions not in the new assignment get one last flush attempt
 *    and are forgotten. If the same worker keeps a partition and nobody claimed it meanwhile
 *    (generation + 1), its unflushed state carries over; otherwise it starts over from PostgreSQL.
 *
 * 6. Prefetch (KAFKA_PREFETCH, on by default). kafkajs fetches a response, hands its batches to
 *    `eachBatch`, and fetches again only when every handler has returned. So that the broker
 *    prepares the next response while this one is folded, a batch is queued and resolved at once
 *    and folded from the queue in order (about one response ahead: ./kafka-prefetch.ts). A queued
 *    batch that cannot be folded — its partition not claimed (PostgreSQL unreachable) or not at
 *    the stored position — makes the partition seek (back to the batch, or to the stored
 *    position) and drops the partition's later queued batches; kafkajs drops what its fetch in
 *    flight returns for a partition with a seek pending. So batches are still folded in offset
 *    order with nothing skipped, and positions stay as in 2. Off: each batch is folded in
 *    `eachBatch` and resolved only when folded.
 *
 * Faults: while PostgreSQL fails (claims or flushes), consumption is paused (consumer.pause)
 * and flushes retry with backoff; a probe resumes consumption. Consumption also pauses while
 * more than `maxPendingEvents` wait for a flush, so memory stays bounded. Broker faults are left
 * to kafkajs' retries and restarts; a consumer that crashes for good is replaced. Nothing here
 * exits the process.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { backoffMs, kafkaSourceName, planBatch } from '@/lib/ingest/kafka';
import type { Logger } from '@/lib/observability/log';
import type { Telemetry } from '@/lib/observability/telemetry';
import type { Sql } from '@/db/client';
import { abortableDelay, createKafka, delay, tryPause, withTimeout } from './kafka-client';
import { KafkaPartitions, type PartitionState } from './kafka-partitions';
import { PrefetchQueue } from './kafka-prefetch';

export interface KafkaSourceConfig {
  brokers: string[];
  topic: string;
  groupId: string;
  clientId: string;
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  /** Fold a fetched response while the next is fetched (step 6 above). Default on. */
  prefetch?: boolean;
}

export interface KafkaSourceOptions {
  kafka: KafkaSourceConfig;
  sql: Sql;
  log: Logger;
  windowMs: number;
  outOfOrderMs: number;
  flushIntervalMs: number;
  maxValuesPerDim: number;
  /** How long after its window's end an event still revises the window (else: 'late'). */
  allowedLatenessMs: number;
  /** Consumption pauses while more events than this wait to be flushed (default 200 000). */
  maxPendingEvents?: number;
  /** Identity written as the claimer of partitions (default host:pid:nonce). */
  owner?: string;
  /** Metrics: flushes, events, lag and buffers (lib/observability/telemetry.ts). */
  telemetry?: Telemetry;
}

export interface KafkaSourceStats {
  events: number;
  flushes: number;
  flushFailures: number;
  claims: number;
  fenced: number;
  seeks: number;
  consumerRestarts: number;
}

const FINAL_FLUSH_ATTEMPTS = 5;
const DISCONNECT_TIMEOUT_MS = 10_000;
export class KafkaSource {
  readonly source: string;
  readonly owner: string;
  readonly stats: KafkaSourceStats = {
    events: 0,
    flushes: 0,
    flushFailures: 0,
    claims: 0,
    fenced: 0,
    seeks: 0,
    consumerRestarts: 0,
  };

  private readonly options: KafkaSourceOptions;
  private readonly log: Logger;
  private readonly topic: string;
  private readonly maxPendingEvents: number;
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  private readonly partitions: KafkaPartitions;
  private assigned = new Set<number>();
  private epoch = 0;
  /** Consumers replaced since the last successful join (sets the restart backoff). */
  private crashesInRow = 0;
  /** Serialises claims and flushes: both read and write partition state and its rows. */
  private lock: Promise<unknown> = Promise.resolve();
  private pgFailures = 0;
  private pgDown = false;
  private pausedAll = false;
  private stopping = false;
  private closed = false;
  private wake: (() => void) | null = null;
  private flushLoop: Promise<void> | null = null;
  private inBatch: Promise<void> | null = null;
  /** Prefetch: batches fetched and resolved in kafkajs, not folded yet, oldest first. */
  private readonly queue = new PrefetchQueue();
  /** Prefetch: the loop folding the queue, while it runs. */
  private folding: Promise<void> | null = null;
  /** Aborted by stop(): ends every wait of the connect and restart loops. */
  private readonly stopSignal = new AbortController();
  private readonly unregisterTelemetry: () => void;

  constructor(options: KafkaSourceOptions) {
    this.options = options;
    this.log = options.log;
    this.topic = options.kafka.topic;
    this.source = kafkaSourceName(options.kafka.topic);
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.maxPendingEvents = options.maxPendingEvents ?? 200_000;
    this.kafka = createKafka({
      clientId: options.kafka.clientId,
      brokers: options.kafka.brokers,
      log: this.log,
      retry: { initialRetryTime: 300, retries: 8 },
    });
    this.partitions = new KafkaPartitions(
      { sql: options.sql, log: this.log, telemetry: options.telemetry },
      {
        source: this.source,
        owner: this.owner,
        windowMs: options.windowMs,
        outOfOrderMs: options.outOfOrderMs,
        allowedLatenessMs: options.allowedLatenessMs,
        maxValuesPerDim: options.maxValuesPerDim,
      },
    );
    this.unregisterTelemetry =
      options.telemetry?.addSource(() => this.partitions.reading(this.assigned)) ?? (() => {});
  }

  /** Starts consuming (connecting in the background, retrying while brokers are unreachable). */
  start(): void {
    this.log.info(
      { topic: this.topic, groupId: this.options.kafka.groupId, owner: this.owner },
      'worker consuming Kafka',
    );
    this.flushLoop = this.runFlushLoop();
    void this.connectLoop();
  }

  /** Stops consuming, flushes what was folded (a few attempts), commits and leaves the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopSignal.abort();
    if (this.consumer) tryPause(this.consumer, this.topic);
    this.queue.wake();
    await this.inBatch?.catch(() => undefined);
    await this.folding?.catch(() => undefined);
    this.closed = true;
    this.wake?.();
    await this.flushLoop;
    for (let attempt = 1; attempt <= FINAL_FLUSH_ATTEMPTS; attempt++) {
      await this.serial(() => this.flushOnce());
      if (!this.partitions.backlogged()) break;
      if (attempt < FINAL_FLUSH_ATTEMPTS) await delay(400);
      else this.log.warn('final flush failed; the unflushed records will be read again on restart');
    }
    const consumer = this.consumer;
    if (consumer) {
      await withTimeout(
        this.commitToKafka(this.partitions.storedOffsets(this.assigned)),
        DISCONNECT_TIMEOUT_MS,
      ).catch(() => undefined);
      await withTimeout(consumer.disconnect(), DISCONNECT_TIMEOUT_MS).catch((error: unknown) =>
        this.log.warn({ err: error }, 'could not leave the consumer group cleanly'),
      );
    }
    this.unregisterTelemetry();
    this.log.info({ ...this.stats }, 'Kafka source stopped');
  }

  // ── consumer lifecycle ──────────────────────────────────────────────────────────────────

  private async connectLoop(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      const consumer = this.createConsumer();
      this.consumer = consumer;
      try {
        await consumer.connect();
        if (this.stopping) break;
        await consumer.subscribe({
          topic: this.topic,
          fromBeginning: this.options.kafka.fromBeginning,
        });
        if (this.stopping) break;
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: (payload) => {
            const run =
              this.options.kafka.prefetch === false
                ? this.onBatch(consumer, payload)
                : this.enqueue(consumer, payload);
            this.inBatch = run;
            return run;
          },
        });
        return;
      } catch (error) {
        const waitMs = backoffMs(attempt, 1000, 30_000);
        this.log.warn(
          { err: error, retryInMs: waitMs },
          'could not start the Kafka consumer; retrying',
        );
        await consumer.disconnect().catch(() => undefined);
        if (this.consumer === consumer) this.consumer = null;
        await abortableDelay(waitMs, this.stopSignal.signal);
      }
    }
  }

  private createConsumer(): Consumer {
    const { groupId, sessionTimeoutMs } = this.options.kafka;
    const consumer = this.kafka.consumer({
      groupId,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 3)),
      // Short fetch waits keep pause/resume and shutdown responsive: while every partition is
      // paused (a flush's worth pending), kafkajs sleeps this long before it looks again, so at
      // 1000 ms a resumed worker sat idle up to a second after each pause (about a fifth of a
      // backlog drain). An idle topic costs a fetch per 100 ms and broker instead.
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 300, retries: 8, restartOnFailure: async () => true },
    });
    const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, (event) => {
      if (consumer !== this.consumer) return; // a replaced consumer's late event
      this.epoch++;
      this.crashesInRow = 0;
      const partitions = event.payload.memberAssignment[this.topic] ?? [];
      this.assigned = new Set(partitions);
      this.applyPause(consumer, true);
      this.log.info({ partitions, epoch: this.epoch }, 'joined the consumer group');
      this.wake?.(); // partitions no longer assigned: last flush now
    });
    consumer.on(REBALANCING, () => {
      this.log.info('consumer group rebalancing: flushing now');
      this.wake?.();
    });
    consumer.on(CRASH, (event) => {
      const { error, restart } = event.payload;
      this.log.warn({ err: error, restart }, 'Kafka consumer crashed');
      if (restart || this.stopping || this.consumer !== consumer) return;
      // kafkajs gave up on this consumer: replace it.
      this.stats.consumerRestarts++;
      this.crashesInRow++;
      this.consumer = null;
      void consumer.disconnect().catch(() => undefined);
      void abortableDelay(backoffMs(this.crashesInRow, 1000, 30_000), this.stopSignal.signal).then(
        () => (this.stopping ? undefined : this.connectLoop()),
      );
    });
    return consumer;
  }

  // ── consuming ───────────────────────────────────────────────────────────────────────────

  /**
   * Without prefetch: folds the batch, then lets kafkajs fetch on. A batch not folded (no
   * claim yet, or a seek) is left unresolved, so kafkajs fetches it again.
   */
  private async onBatch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    if (this.stopping || !isRunning() || isStale() || batch.messages.length === 0) return;
    if ((await this.foldBatch(consumer, batch, this.epoch)) !== 'folded') return;
    resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
    await heartbeat();
  }

  /**
   * With prefetch (step 6 above): queues the batch and resolves it at once, so kafkajs fetches
   * the next response while the queue is folded ({@link foldQueue}); waits while it is full.
   */
  private async enqueue(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    if (this.stopping || !isRunning() || isStale() || batch.messages.length === 0) return;
    if (batch.topic !== this.topic || !this.assigned.has(batch.partition)) return;
    this.queue.push({ consumer, payload, epoch: this.epoch });
    resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
    this.folding ??= this.foldQueue();
    await this.queue.room(() => this.stopping);
    await heartbeat();
  }

  /** Folds the queued batches in order, yielding between them so kafkajs reads its responses. */
  private async foldQueue(): Promise<void> {
    try {
      // Let kafkajs send its next fetch before the first fold.
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (let entry = this.queue.shift(); entry; entry = this.queue.shift()) {
        const { consumer, payload, epoch } = entry;
        const { batch } = payload;
        // Stopping, a new group epoch (the claim and position start over) or a seek pending
        // since it was fetched (the batches after it were dropped then): not folded, no seek.
        if (this.stopping || epoch !== this.epoch || !payload.isRunning() || payload.isStale()) {
          continue;
        }
        let outcome: Awaited<ReturnType<KafkaSource['foldBatch']>>;
        try {
          outcome = await this.foldBatch(consumer, batch, epoch);
        } catch (error) {
          // Not expected (a pipeline quarantines what it cannot fold); the batch is read again.
          this.log.error({ err: error, partition: batch.partition }, 'could not fold a batch');
          outcome = 'unclaimed';
        }
        if (outcome === 'unclaimed' && !this.stopping) {
          // Fetched again from this batch once a claim succeeds (PostgreSQL is back).
          this.seekBack(consumer, batch.partition, Number(batch.firstOffset()));
        } else if (outcome === 'sought') {
          this.queue.dropPartition(batch.partition);
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.folding = null;
      this.queue.wake();
    }
  }

  /** Moves the partition's fetch position to `offset` and drops its queued batches. */
  private seekBack(consumer: Consumer, partition: number, offset: number): void {
    this.queue.dropPartition(partition);
    try {
      consumer.seek({ topic: this.topic, partition, offset: String(offset) });
    } catch (error) {
      // The consumer is not running any more: the next one starts from the stored position.
      this.log.debug({ err: error, partition }, 'could not seek back');
    }
  }

  /**
   * Folds a batch of this worker's partition (claiming it first after a (re)assignment), or
   * says why not: 'unclaimed' (no claim: PostgreSQL unreachable, or stopping), 'sought' (the
   * batch does not start at the stored position: the consumer was told to seek there),
   * 'foreign' (not this worker's partition).
   */
  private async foldBatch(
    consumer: Consumer,
    batch: EachBatchPayload['batch'],
    epoch: number,
  ): Promise<'folded' | 'unclaimed' | 'sought' | 'foreign'> {
    const partition = batch.partition;
    if (batch.topic !== this.topic || !this.assigned.has(partition)) return 'foreign';

    let state = this.partitions.get(partition);
    if (!state || state.epoch !== epoch) {
      const claimed = await this.claim(partition);
      if (!claimed || this.stopping) return 'unclaimed';
      if (epoch !== this.epoch) return 'foreign'; // the group moved on during the claim
      state = claimed;
    }

    const plan = planBatch(state.cursor, Number(batch.firstOffset()));
    if (plan.action === 'seek') {
      state.cursor.sought = true;
      this.stats.seeks++;
      this.log.debug(
        { partition, from: batch.firstOffset(), to: plan.offset },
        'seeking to the position stored in PostgreSQL',
      );
      consumer.seek({ topic: this.topic, partition, offset: String(plan.offset) });
      return 'sought';
    }

    const now = Date.now();
    let folded = 0;
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      if (offset < plan.from) continue; // folded and stored before: the guard against re-delivery
      const value = message.value;
      // The value's bytes are kept for a possible isolation, not the string (lib/stream/record-log.ts).
      if (value) state.source.pipeline.ingestLine(value.toString('utf8'), now, offset, value);
      else state.source.pipeline.ingestLine('', now, offset);
      state.cursor.position = offset + 1;
      folded++;
    }
    this.stats.events += folded;
    state.highWatermark = Number(batch.highWatermark);
    if (this.applyPause(consumer) || this.flushDue()) this.wake?.();
    return 'folded';
  }

  /** Claims `partition` for this worker; null when PostgreSQL is unreachable. */
  private claim(partition: number): Promise<PartitionState | null> {
    return this.serial(async () => {
      let state;
      try {
        state = await this.partitions.claim(partition, this.epoch);
      } catch (error) {
        this.pgFailed(error, 'claim');
        return null;
      }
      if (!state) return null;
      this.pgRecovered();
      this.stats.claims++;
      return state;
    });
  }

  // ── flushing ────────────────────────────────────────────────────────────────────────────

  private async runFlushLoop(): Promise<void> {
    while (!this.closed) {
      // A backlog of a quarter of the pause threshold flushes at once instead of waiting for
      // the interval, so fast consumption keeps going instead of hitting the pause.
      if (this.pgFailures > 0 || !this.flushDue()) {
        await this.sleep(
          this.pgFailures > 0 ? backoffMs(this.pgFailures) : this.options.flushIntervalMs,
        );
      }
      if (this.closed) break;
      await this.serial(() => this.flushOnce());
    }
  }

  /** One flush of every partition with new data; never throws. Call under the lock. */
  private async flushOnce(): Promise<void> {
    const started = performance.now();
    const round = await this.partitions.flush();
    if (round.status === 'idle') {
      this.partitions.forgetAllBut(this.assigned);
      if (this.pgDown) await this.probe();
      this.applyPause();
      return;
    }
    if (round.status === 'failed') {
      this.stats.flushFailures++;
      this.pgFailed(round.error, 'flush');
      this.partitions.forgetAllBut(this.assigned);
      return;
    }
    this.pgRecovered();
    this.stats.flushes++;
    this.stats.fenced += round.outcomes.filter((outcome) => outcome === 'fenced').length;
    const commits = round.landed.filter((l) => this.assigned.has(l.partition));
    this.partitions.forgetAllBut(this.assigned);
    this.applyPause();
    this.log.debug(
      {
        partitions: round.outcomes.length,
        outcomes: round.outcomes,
        events: round.events,
        ms: Math.round(performance.now() - started),
      },
      'flushed',
    );
    if (!this.closed) void this.commitToKafka(commits);
  }

  /** Best effort: Kafka's committed offsets only save re-reading; PostgreSQL holds the truth. */
  private async commitToKafka(offsets: { partition: number; offset: number }[]) {
    const consumer = this.consumer;
    if (!consumer || offsets.length === 0) return;
    try {
      await consumer.commitOffsets(
        offsets.map(({ partition, offset }) => ({
          topic: this.topic,
          partition,
          offset: String(offset),
        })),
      );
    } catch (error) {
      this.log.debug({ err: error }, 'could not commit offsets to Kafka (harmless)');
    }
  }

  private async probe(): Promise<void> {
    try {
      await this.options.sql`select 1`;
      this.pgRecovered();
    } catch (error) {
      this.pgFailed(error, 'probe');
    }
  }

  private pgFailed(error: unknown, what: string): void {
    this.pgFailures++;
    this.pgDown = true;
    this.applyPause();
    this.log.warn(
      { err: error, retryInMs: backoffMs(this.pgFailures), failures: this.pgFailures },
      `PostgreSQL ${what} failed: consumption paused, retrying`,
    );
  }

  private pgRecovered(): void {
    if (this.pgFailures > 0) this.log.info('PostgreSQL reachable again: resuming');
    this.pgFailures = 0;
    this.pgDown = false;
    this.applyPause();
  }

  // ── backpressure ────────────────────────────────────────────────────────────────────────

  /** True when enough waits to flush before the interval is up. */
  private flushDue(): boolean {
    return this.pending().events > this.maxPendingEvents / 4;
  }

  private pending(): { events: number; quarantined: number } {
    return this.partitions.pending();
  }

  /**
   * Pauses the topic while PostgreSQL fails or too much waits for a flush; resumes otherwise.
   * Returns whether consumption is paused.
   */
  private applyPause(consumer: Consumer | null = this.consumer, force = false): boolean {
    const { events, quarantined } = this.pending();
    const pause =
      !this.stopping &&
      (this.pgDown ||
        events > this.maxPendingEvents ||
        quarantined > Math.max(1000, this.maxPendingEvents / 10));
    if (this.stopping) return true;
    if (!consumer || (pause === this.pausedAll && !force)) return this.pausedAll;
    try {
      if (pause) consumer.pause([{ topic: this.topic }]);
      else consumer.resume([{ topic: this.topic }]);
      if (pause !== this.pausedAll) {
        this.log.info({ pendingEvents: events, pgDown: this.pgDown }, pause ? 'paused' : 'resumed');
      }
      this.pausedAll = pause;
    } catch {
      // The consumer is not running yet; the next GROUP_JOIN applies the state.
    }
    return this.pausedAll;
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Sleeps `ms`, or less when woken (rebalance, stop, too much pending). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

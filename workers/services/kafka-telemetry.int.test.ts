/**
 * The Kafka source's metrics against a real Kafka protocol peer (librdkafka's mock cluster)
 * and PostgreSQL: events by outcome, flushes, consumer lag from each batch's high watermark,
 * watermark lag and buffers, per assigned partition.
 */
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSourceName } from '@/lib/ingest/kafka';
import { createLogger } from '@/lib/observability/log';
import { createTelemetry } from '@/lib/observability/telemetry';
import { summarize } from '@/lib/observability/live-figures';
import { type MetricJson } from '@/lib/observability/snapshots';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { partitionStats } from '@/db/queries/stream';
import { startMockCluster, type MockCluster } from '@/workers/testing/kafka-mock-cluster';
import { KafkaSource } from './kafka-source';

const TOPIC = 'telemetry';
const PER_PARTITION = 300;
const W = 10_000;
let cluster: MockCluster;
let producer: Producer;
let t: TestDatabase;

beforeAll(async () => {
  [cluster, t] = await Promise.all([
    startMockCluster({ brokers: 1, topic: TOPIC, partitions: 2 }),
    createTestDatabase(),
  ]);
  const kafka = new Kafka({
    clientId: 'pulse-test',
    brokers: cluster.brokers,
    logLevel: logLevel.NOTHING,
  });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await cluster?.stop();
  await t?.drop();
});

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('Kafka source metrics', () => {
  it('counts what landed and reports lag and buffers per partition', async () => {
    const now = Date.now();
    const start = Math.floor(now / W) * W - 3 * W;
    for (const partition of [0, 1]) {
      await producer.send({
        topic: TOPIC,
        messages: Array.from({ length: PER_PARTITION }, (_, i) => ({
          partition,
          value:
            i % 50 === 49
              ? '{"broken'
              : JSON.stringify({
                  ts: start + i * 50,
                  type: 'click',
                  dims: { p: String(partition) },
                  measures: {},
                }),
        })),
      });
    }

    const telemetry = createTelemetry();
    const source = new KafkaSource({
      kafka: {
        brokers: cluster.brokers,
        topic: TOPIC,
        groupId: 'telemetry-test',
        clientId: 'pulse-test',
        fromBeginning: true,
        sessionTimeoutMs: 6000,
      },
      sql: t.sql,
      log: createLogger('test', 'silent'),
      windowMs: W,
      outOfOrderMs: 500,
      flushIntervalMs: 200,
      maxValuesPerDim: 50,
      allowedLatenessMs: 60_000,
      telemetry,
    });
    source.start();
    try {
      await until(async () => {
        const stats = await partitionStats(t.db);
        return stats.reduce((n, p) => n + p.received, 0) === 2 * PER_PARTITION;
      }, 60_000);

      const live = summarize(
        (await telemetry.registry.getMetricsAsJSON()) as unknown as MetricJson[],
        [],
        Date.now(),
      );
      const name = kafkaSourceName(TOPIC);
      const quarantined = 2 * (PER_PARTITION / 50);
      expect(live.events).toEqual({ folded: 2 * PER_PARTITION - quarantined, quarantined });
      expect(live.quarantine).toEqual([{ reason: 'malformed_json', count: quarantined }]);
      expect(live.flush.count).toBeGreaterThan(0);
      expect(live.rowsWritten).toBeGreaterThan(0);
      // Caught up: each partition's lag is its high watermark minus the next offset, 0 now.
      expect(live.partitions).toEqual([
        expect.objectContaining({ source: name, partition: 0, consumerLag: 0 }),
        expect.objectContaining({ source: name, partition: 1, consumerLag: 0 }),
      ]);
      for (const p of live.partitions) expect(p.watermarkLagSeconds).toBeGreaterThan(0);
      expect(live.buffers).toEqual([
        { worker: 'web', source: name, events: 0, cells: 0, heldFlushes: 0 },
      ]);

      // A new record: its batch carries the new high watermark, and the lag is 0 again once
      // folded (lag is measured per batch; a backlog larger than one fetch shows as > 0).
      await producer.send({
        topic: TOPIC,
        messages: [{ partition: 1, value: JSON.stringify({ ts: now, type: 'click' }) }],
      });
      await until(async () => {
        const stats = await partitionStats(t.db);
        return stats.reduce((n, p) => n + p.received, 0) === 2 * PER_PARTITION + 1;
      }, 30_000);
      const text = await telemetry.registry.metrics();
      expect(text).toContain(`pulse_consumer_lag_messages{source="${name}",partition="1"} 0`);
      expect(text).toMatch(/^pulse_flushes_total\{[^}]*outcome="written"[^}]*\} [1-9]/m);
    } finally {
      await source.stop();
    }
    // A stopped source no longer reports.
    expect(await telemetry.registry.metrics()).not.toContain('pulse_buffer_depth{');
  });
});

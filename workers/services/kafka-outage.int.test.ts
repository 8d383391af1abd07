/**
 * The Kafka source end to end through outages, as ./kafka-source.int.test.ts (whose harness it
 * shares, workers/testing/kafka-source-harness.ts): workers cut off from their brokers or from
 * PostgreSQL keep running and end exactly at the truth; events late within the allowed lateness
 * revise a scored window, later ones are quarantined.
 */
import { describe, expect, it } from 'vitest';
import { kafkaSourceName } from '@/lib/ingest/kafka';
import { Simulator } from '@/lib/simulator/generator';
import type { PulseEvent } from '@/lib/types';
import { createTestDatabase } from '@/db/testing/test-db';
import { ensureDefaultMetrics } from '@/db/queries/metrics';
import {
  cluster,
  expectExactlyOnce,
  failureContext,
  fresh,
  kill,
  producer,
  produceSlowly,
  SEED,
  sleep,
  split,
  proxiedDatabase,
  runScenario,
  startWorker,
  storedOffsets,
  waitFor,
  waitForAll,
  waitForProgress,
  WINDOW_MS,
  useKafkaCluster,
} from '@/workers/testing/kafka-source-harness';

useKafkaCluster();

describe('Kafka source: exactly-once effect on the rollups through outages', () => {
  it('rides out brokers going down and coming back, without exiting: exactly the truth', async () => {
    const { database, workload, group } = await fresh('brokers', 20_000);
    const [first, second] = split(workload.messages.length, 2) as [
      [number, number],
      [number, number],
    ];
    await runScenario(
      async (workers) => {
        const worker = startWorker(workload, group, database.url);
        workers.push(worker);
        await produceSlowly(workload, ...first, 2);
        await waitForProgress(database, workload, first[0] + (first[1] - first[0]) / 2);
        // The whole cluster goes away, then comes back one broker at a time.
        for (const id of [1, 2, 3]) await cluster.setBrokerDown(id);
        await sleep(4000);
        await cluster.setBrokerUp(2);
        await cluster.setBrokerUp(3);
        await sleep(3000);
        await cluster.setBrokerUp(1);
        expect(worker.child.exitCode, 'the worker is still running').toBeNull();
        await produceSlowly(workload, ...second, 2);
        await waitForAll(database, workload, 45_000);
        expect(worker.child.exitCode, 'the worker is still running').toBeNull();
        expect(await kill(worker, 'SIGTERM'), 'graceful exit').toBe(0);
        await expectExactlyOnce(workload, database);
      },
      async () => {
        for (const id of [1, 2, 3]) await cluster.setBrokerUp(id);
        await database.drop();
      },
    );
  }, 90_000);

  it('pauses while PostgreSQL is unreachable and resumes, without exiting: exactly the truth', async () => {
    const { database, workload, group } = await fresh('postgres', 20_000);
    const [first, second, third] = split(workload.messages.length, 3) as [
      [number, number],
      [number, number],
      [number, number],
    ];
    const { proxy, url: viaProxy } = await proxiedDatabase(database);
    await runScenario(
      async (workers) => {
        const worker = startWorker(workload, group, viaProxy);
        workers.push(worker);
        await produceSlowly(workload, ...first, 2);
        await waitForProgress(database, workload, first[0] + (first[1] - first[0]) / 2);
        // PostgreSQL goes away mid-stream (open connections cut, new ones refused) while events
        // keep arriving in Kafka.
        proxy.down();
        const stalled = await storedOffsets(database, workload);
        await produceSlowly(workload, ...second, 2);
        await sleep(2500);
        expect(await storedOffsets(database, workload)).toBe(stalled);
        expect(worker.child.exitCode, 'the worker is still running').toBeNull();
        await proxy.up();
        await produceSlowly(workload, ...third, 1);
        await waitForAll(database, workload);
        expect(worker.child.exitCode, 'the worker is still running').toBeNull();
        expect(worker.log()).toContain('consumption paused');
        expect(await kill(worker, 'SIGTERM'), 'graceful exit').toBe(0);
        await expectExactlyOnce(workload, database);
      },
      async () => {
        await proxy.stop();
        await database.drop();
      },
    );
  }, 90_000);

  it('claims partitions once PostgreSQL is back when it was unreachable at their first batch: exactly the truth', async () => {
    // With prefetch the batch whose claim failed is already resolved in kafkajs, and the next
    // fetch may be in flight: the worker seeks back to it, and nothing after it is folded first.
    const { database, workload, group } = await fresh('postgres-claim', 8_000);
    const [first, second] = split(workload.messages.length, 2) as [
      [number, number],
      [number, number],
    ];
    const { proxy, url: viaProxy } = await proxiedDatabase(database);
    await runScenario(
      async (workers) => {
        const worker = startWorker(workload, group, viaProxy);
        workers.push(worker);
        await waitFor(
          'the worker to join the group',
          async () => worker.log().includes('joined the consumer group'),
          30_000,
        );
        proxy.down();
        await produceSlowly(workload, ...first, 1);
        await waitFor(
          'a claim to fail',
          async () => worker.log().includes('PostgreSQL claim failed'),
          15_000,
        );
        await proxy.up();
        await produceSlowly(workload, ...second, 1);
        await waitForAll(database, workload);
        expect(worker.child.exitCode, 'the worker is still running').toBeNull();
        expect(await kill(worker, 'SIGTERM'), 'graceful exit').toBe(0);
        await expectExactlyOnce(workload, database);
      },
      async () => {
        await proxy.stop();
        await database.drop();
      },
    );
  }, 90_000);
});

describe('Kafka source: event time', () => {
  it('revises a scored window with events late within the allowed lateness; later ones are quarantined', async () => {
    const database = await createTestDatabase();
    await ensureDefaultMetrics(database.db);
    const topic = 'pulse-lateness';
    await cluster.createTopic(topic, 1);
    const base = Math.floor((Date.now() - 12 * WINDOW_MS) / WINDOW_MS) * WINDOW_MS;
    const W = base + 3 * WINDOW_MS;
    // A modest rate: the mock cluster keeps only about 5 MB per partition.
    const sim = new Simulator({ seed: SEED, ratePerSec: 20, injections: [] });
    const events = sim.generate(base, base + 8 * WINDOW_MS);
    const isHeld = (e: PulseEvent) => e.ts >= W && e.ts < W + WINDOW_MS && e.type === 'purchase';
    const held = events.filter(isHeld);
    expect(held.length).toBeGreaterThan(0);
    // Ten minutes before the first window: past the allowed lateness whatever the watermark.
    const tooLate = events
      .slice(0, 3)
      .map((e, i) => ({ ...e, id: `too-late-${i}`, ts: e.ts - 10 * WINDOW_MS }));
    const send = (list: PulseEvent[]) =>
      producer.send({
        topic,
        acks: -1,
        messages: list.map((e) => ({ partition: 0, value: JSON.stringify(e) })),
      });
    const purchasesAt = async (windowStart: number) => {
      const [row] = await database.sql<{ value: number | null }[]>`
        select p.value from metric_points p join metrics m on m.id = p.metric_id
        where m.key = 'purchases' and p.window_start = ${new Date(windowStart).toISOString()}::timestamptz`;
      return row?.value ?? null;
    };
    const worker = startWorker(
      { topic, messages: [], truth: [], leafTruth: [], perPartition: [], quarantined: 0 },
      'workers-lateness',
      database.url,
      { PULSE_DETECTOR: 'on', PULSE_ALLOWED_LATENESS: '10m', PULSE_IDLE_TIMEOUT: '1h' },
    );
    try {
      await send(events.filter((e) => !isHeld(e)));
      let before: number | null = null;
      await waitFor(
        `window ${new Date(W).toISOString()} scored`,
        async () => (before = await purchasesAt(W)) !== null,
        30_000,
      );
      // Five windows behind the watermark: within the 10-minute lateness, so the window is
      // revised and re-scored. Events older than that are quarantined as late.
      await send([...held, ...tooLate]);
      await waitFor(
        'the revised window re-scored with the late purchases',
        async () => (await purchasesAt(W)) === before! + held.length,
        30_000,
      );
      const [late] = await database.sql<{ n: string }[]>`
        select count(*) as n from quarantine where reason = 'late'`;
      expect(Number(late!.n)).toBe(tooLate.length);
      const [p] = await database.sql<{ received: string; folded: string; quarantined: string }[]>`
        select received, folded, quarantined from source_partitions
        where source = ${kafkaSourceName(topic)}`;
      expect(Number(p!.received)).toBe(events.length + tooLate.length);
      expect(Number(p!.folded) + Number(p!.quarantined)).toBe(Number(p!.received));
      expect(await kill(worker, 'SIGTERM'), 'graceful exit').toBe(0);
    } catch (error) {
      console.error(`seed ${SEED}\n${failureContext([worker])}`);
      throw error;
    } finally {
      await kill(worker, 'SIGKILL');
      await database.drop();
    }
  }, 90_000);
});

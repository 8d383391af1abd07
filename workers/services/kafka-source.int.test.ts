/**
 * The Kafka source end to end: real worker processes (`node --import tsx workers/stream.ts`)
 * consume librdkafka's mock cluster (a real Kafka protocol peer) into a real PostgreSQL, and are
 * killed, rebalanced, cut off from their broker or from PostgreSQL while they work. Whatever
 * happens, the final rollups must equal exactly a fold of the produced events computed here
 * independently (`naiveFold`), and so must the leaf cube (`naiveLeafFold`), every partition
 * must account for every record
 * (received = folded + quarantined, next_offset = records in the partition), and quarantine
 * must hold each bad record once.
 *
 * Verdicts do not depend on timing: the tests wait on conditions (stored offsets reaching the
 * produced count) with timeouts. Kill points are random; the seed is printed on failure and
 * PULSE_TEST_SEED replays it.
 */
import { describe, expect, it } from 'vitest';
import {
  admin,
  commitOffsets,
  expectExactlyOnce,
  fresh,
  kill,
  owners,
  ownsSome,
  PARTITIONS,
  produceSlowly,
  random,
  runScenario,
  SEED,
  sleep,
  split,
  startWorker,
  storedOffsets,
  waitFor,
  waitForAll,
  waitForProgress,
  useKafkaCluster,
} from '@/workers/testing/kafka-source-harness';

useKafkaCluster();

describe('Kafka source: exactly-once effect on the rollups', () => {
  it('survives SIGKILL at random points: restarted workers end exactly at the truth', async () => {
    const { database, workload, group } = await fresh('kill', 36_000);
    const rng = random(SEED);
    const segments = split(workload.messages.length, 4);
    await runScenario(
      async (workers) => {
        let worker = startWorker(workload, group, database.url);
        workers.push(worker);
        for (let round = 0; round < 3; round++) {
          const [from, to] = segments[round]!;
          const producing = produceSlowly(workload, from, to, 2.5);
          // Kill somewhere in this segment: after a random share of it is stored, plus a bit.
          await waitForProgress(database, workload, from + Math.floor(rng() * 0.8 * (to - from)));
          await sleep(rng() * 300);
          await kill(worker, 'SIGKILL');
          await producing;
          // Kafka's committed offsets are a hint only: rewind them to the start of the log, or
          // move them past everything produced so far, and the restarted worker must still take
          // its position from PostgreSQL. (Round 1 restarts at once, while the dead member
          // still holds the group.)
          if (round === 0) await commitOffsets(group, workload.topic, () => 0);
          if (round === 2) {
            const ends = await admin.fetchTopicOffsets(workload.topic);
            await commitOffsets(group, workload.topic, (p) =>
              Number(ends.find((e) => e.partition === p)!.high),
            );
          }
          worker = startWorker(workload, group, database.url);
          workers.push(worker);
        }
        await produceSlowly(workload, segments[3]![0], segments[3]![1], 1);
        await waitForAll(database, workload);
        expect(await kill(worker, 'SIGTERM'), 'graceful exit').toBe(0);
        await expectExactlyOnce(workload, database);
      },
      async () => {
        await database.drop();
      },
    );
  }, 90_000);

  it('rebalances mid-stream, fencing a stalled worker: exactly the truth', async () => {
    const { database, workload, group } = await fresh('rebalance', 30_000);
    const rng = random(SEED + 1);
    const [first, second, third, fourth] = split(workload.messages.length, 4) as [number, number][];
    await runScenario(
      async (workers) => {
        // A flushes rarely, so it holds unflushed data most of the time.
        const a = startWorker(workload, group, database.url, { PULSE_FLUSH_INTERVAL: '2s' });
        workers.push(a);
        await produceSlowly(workload, ...first!, 2);
        await waitForProgress(database, workload, first![0] + (first![1] - first![0]) / 2);

        // B joins: the group rebalances while A is consuming; A flushes what it holds and B
        // takes some partitions over from the offsets A stored.
        const b = startWorker(workload, group, database.url);
        workers.push(b);
        const producing = produceSlowly(workload, ...second!, 4);
        await waitFor('B to own a partition', () => ownsSome(database, workload, b), 30_000);
        const pid = a.child.pid!;
        await waitFor(
          'A to own one too',
          async () => (await owners(database, workload)).includes(pid),
          10_000,
        );
        await waitForProgress(database, workload, await storedOffsets(database, workload));
        await sleep(rng() * 500);

        // A stalls (SIGSTOP), most likely holding unflushed data: its session expires and B
        // claims every partition as records keep arriving. When A wakes up, its flush carries
        // stale data and must be fenced.
        a.child.kill('SIGSTOP');
        await producing;
        const arriving = produceSlowly(workload, ...third!, 3);
        await waitFor(
          'B to claim every partition',
          async () => (await owners(database, workload)).every((p) => p === b.child.pid),
          30_000,
        );
        a.child.kill('SIGCONT');
        await arriving;
        await sleep(1000);
        // Then A dies; B carries on alone.
        await kill(a, 'SIGKILL');
        await produceSlowly(workload, ...fourth!, 1);
        await waitForAll(database, workload);
        expect(await owners(database, workload), 'B owns every partition').toEqual(
          Array(PARTITIONS).fill(b.child.pid),
        );
        expect(await kill(b, 'SIGTERM'), 'graceful exit').toBe(0);
        await expectExactlyOnce(workload, database);
      },
      () => database.drop(),
    );
  }, 90_000);
});

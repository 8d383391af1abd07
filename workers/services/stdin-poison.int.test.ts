/**
 * No input can stall the stdin source (issue 12): a byte stream of valid events mixed with
 * hostile records (db/testing/poison.ts: text PostgreSQL cannot hold, invalid UTF-8, numbers at
 * every edge, oversized dimensions, junk, blank lines), written in random-sized chunks (so
 * multi-byte sequences are split across chunks), is read by `consumeLines` into a claimed
 * source partition on a real PostgreSQL.
 *
 * 1. No stall: a clean line written after the hostile ones is stored within a bound, while the
 *    input is still open.
 * 2. Accounting: next_offset = lines read (blank ones included); received = non-blank lines;
 *    folded = the valid events; quarantined = received − folded, and that many quarantine rows.
 * 3. The rollups and the leaf cube equal an independent fold of the valid events.
 *
 * A few runs, each on its own source name (the rollups are emptied before each run). The seed
 * is fixed (PULSE_TEST_SEED overrides it) and printed by fast-check on failure.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { decodeUtf8, expectedOf, poisonBytes } from '@/db/testing/poison';
import { storedFoldProblems } from '@/db/testing/rollups';
import { SourcePartition } from '@/db/sources/partition';
import { consumeLines } from './stdin-source';

const WINDOW_MS = 60_000;
const RUNS = 5;
/** How long the clean line may take to be stored once written. */
const NO_STALL_MS = 10_000;
const SEED = Number(process.env.PULSE_TEST_SEED ?? 120_612);

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

/** A logger keeping the last warnings and errors, for the failure message. */
function tailLogger() {
  const lines: string[] = [];
  const log = pino(
    { level: 'warn', base: undefined },
    {
      write: (line: string) => {
        lines.push(line.trimEnd().slice(0, 600));
        if (lines.length > 20) lines.shift();
      },
    },
  );
  return { log, tail: () => lines.join('\n') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Traffic {
  records: Uint8Array[];
  /** Sizes of the chunks the stream is written in, cycled. */
  chunks: number[];
}

function traffic(now: number): fc.Arbitrary<Traffic> {
  return fc
    .record({
      records: fc.array(poisonBytes(now), { minLength: 800, maxLength: 1500 }),
      chunks: fc.array(fc.integer({ min: 1, max: 96 }), { minLength: 1, maxLength: 40 }),
    })
    .map((value) =>
      Object.assign(value, {
        // fast-check prints a counterexample with this instead of every byte.
        [fc.toStringMethod]: () =>
          `Traffic(${value.records.length} records, chunks ${value.chunks.join(',')})`,
      }),
    );
}

async function row(source: string) {
  const [found] = await t.sql<
    { next_offset: string; received: string; folded: string; quarantined: string }[]
  >`select next_offset, received, folded, quarantined from source_partitions
    where source = ${source}`;
  return found
    ? {
        nextOffset: Number(found.next_offset),
        received: Number(found.received),
        folded: Number(found.folded),
        quarantined: Number(found.quarantined),
      }
    : null;
}

describe('stdin source: no input can stall it', () => {
  it('folds the valid lines of hostile input exactly, quarantines the rest, and goes on', async () => {
    const started = Date.now();
    const now = Date.now();
    let run = 0;
    let lines = 0;
    await fc.assert(
      fc.asyncProperty(traffic(now), async ({ records, chunks }) => {
        const source = `stdin-poison-${run++}`;
        await t.sql`truncate rollups, leaf_rollups`;
        const clean = JSON.stringify({
          ts: Date.now(),
          type: 'checkout',
          dims: { region: 'eu-west', device: 'clean' },
          measures: { amount: 1 },
        });
        // The stream split on \n (no record holds one, nor a \r), each line decoded as a whole.
        const expected = expectedOf([...records.map(decodeUtf8), clean], Date.now(), source);
        const { log, tail } = tailLogger();
        const partition = await SourcePartition.claim(
          { sql: t.sql, log },
          {
            source,
            partition: 0,
            owner: 'stdin-poison-test',
            windowMs: WINDOW_MS,
            // Ample disorder and lateness: no event is late, so validity alone decides.
            outOfOrderMs: 3_600_000,
            allowedLatenessMs: 3_600_000,
            // No dimension overflows into '(other)': the independent fold has no limit.
            maxValuesPerDim: 1_000_000,
          },
        );
        const input = new PassThrough();
        const stdin = consumeLines(input, partition, { flushIntervalMs: 50, log });
        const context = async () =>
          `seed ${SEED}, ${source}: row ${JSON.stringify(await row(source))}, ` +
          `stats ${JSON.stringify(partition.stats)}\n${tail()}`;
        try {
          // Random-sized chunks, yielding now and then so reading interleaves with writing.
          const bytes = Buffer.concat(records.flatMap((r) => [r, Buffer.from('\n')]));
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = chunks[i % chunks.length]!;
            input.write(bytes.subarray(at, at + size));
            at += size;
            if (i % 32 === 31) await new Promise((resolve) => setImmediate(resolve));
          }
          input.write(`${clean}\n`);

          // 1. No stall: the clean line lands while the input is still open.
          const deadline = Date.now() + NO_STALL_MS;
          for (;;) {
            const stored = await row(source);
            if (stored?.nextOffset === records.length + 1) break;
            if (Date.now() > deadline)
              throw new Error(
                `stalled: the clean line was not stored within ${NO_STALL_MS} ms\n${await context()}`,
              );
            await sleep(50);
          }
          input.end();
          const result = await stdin.done;
          expect(result, `seed ${SEED}, ${source}`).toEqual({
            lines: records.length + 1,
            fenced: false,
          });

          // 2. Accounting.
          const quarantine = await t.sql<{ reason: string; n: string }[]>`
            select reason, count(*) as n from quarantine where source = ${source}
            group by reason order by reason`;
          expect(
            {
              ...(await row(source)),
              quarantineRows: quarantine.reduce((n, q) => n + Number(q.n), 0),
            },
            `seed ${SEED}, ${source}: accounting (quarantine ${JSON.stringify(quarantine)})`,
          ).toEqual({
            nextOffset: records.length + 1,
            received: expected.received,
            folded: expected.valid.length,
            quarantined: expected.quarantined,
            quarantineRows: expected.quarantined,
          });

          // 3. The rollups and the leaf cube equal an independent fold of the valid events.
          const problems = await storedFoldProblems(t.db, expected.valid, WINDOW_MS);
          expect(
            problems.slice(0, 10),
            `seed ${SEED}, ${source}: ${problems.length} cells differ`,
          ).toEqual([]);
          lines += records.length + 1;
        } catch (error) {
          console.error(await context());
          throw error;
        } finally {
          stdin.stop();
          input.destroy();
          // The final flush retries a failing batch for a while: do not let it hide a verdict.
          await Promise.race([stdin.done, sleep(2000)]);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    console.info(
      `stdin poison (seed ${SEED}): ${RUNS} runs, ${lines} lines, ${Date.now() - started} ms`,
    );
  }, 60_000);
});

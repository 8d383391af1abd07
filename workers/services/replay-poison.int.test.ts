/**
 * No record can stall a file replay: a JSONL file of valid events mixed with hostile records
 * and bytes that are not UTF-8 replays to the end, the books balance exactly, and the rollups
 * are the fold of the valid events; a clean file replayed after it lands too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReplayArgs } from '@/lib/cli/replay-args';
import { parseConfig } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { decodeUtf8, expectedOf, poisonBytes } from '@/db/testing/poison';
import { storedFoldProblems } from '@/db/testing/rollups';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { replayFile } from './replay';

const W = 60_000;
const log = createLogger('test', 'silent');
let t: TestDatabase;
let dir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'pulse-replay-poison-'));
});
afterAll(async () => {
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

const replay = (file: string) =>
  replayFile(parseReplayArgs([file, '--fast', '--no-wait']), {
    cfg: parseConfig({
      DATABASE_URL: t.url,
      PULSE_WINDOW: '1m',
      PULSE_FLUSH_INTERVAL: '200ms',
      PULSE_OUT_OF_ORDER: '10m',
      LOG_LEVEL: 'silent',
    }),
    log,
    handle: t,
  });

async function stored(source: string) {
  const [row] = await t.sql<{ received: string; folded: string; quarantined: string }[]>`
    select received, folded, quarantined from source_partitions where source = ${source}`;
  const [q] = await t.sql<{ rows: number }[]>`
    select count(*)::int as rows from quarantine where source = ${source}`;
  return {
    received: Number(row?.received),
    folded: Number(row?.folded),
    quarantined: Number(row?.quarantined),
    rows: q?.rows,
  };
}

describe('replay with poison in the file', () => {
  it('replays to the end: exact books, rollups the fold of the valid events, and goes on', async () => {
    const now = Date.now();
    const records = fc.sample(poisonBytes(now), { numRuns: 1500, seed: 7 });
    const file = join(dir, 'poison.jsonl');
    await writeFile(
      file,
      Buffer.concat(records.flatMap((r) => [Buffer.from(r), Buffer.from('\n')])),
    );
    const expected = expectedOf(records.map(decodeUtf8), now, 'replay:poison.jsonl');
    expect(expected.quarantined).toBeGreaterThan(300);

    const started = Date.now();
    const summary = await replay(file);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(summary).toMatchObject({
      received: expected.received,
      folded: expected.valid.length,
      quarantined: { total: expected.quarantined },
    });
    expect(await stored('replay:poison.jsonl')).toEqual({
      received: expected.received,
      folded: expected.valid.length,
      quarantined: expected.quarantined,
      rows: expected.quarantined,
    });

    // A clean file after it lands: nothing is stuck.
    const clean = { ts: now, type: 'checkout', dims: { region: 'eu-west' }, measures: {} };
    const cleanFile = join(dir, 'clean.jsonl');
    await writeFile(cleanFile, `${JSON.stringify(clean)}\n`);
    expect(await replay(cleanFile)).toMatchObject({ received: 1, folded: 1 });
    expect(await storedFoldProblems(t.db, [...expected.valid, clean], W)).toEqual([]);
  }, 120_000);
});

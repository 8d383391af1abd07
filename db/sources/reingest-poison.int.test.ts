/**
 * No quarantined record can stall re-ingest: hostile payloads mixed with events that have
 * become valid are re-ingested in batches; every batch commits, the books of the re-ingest
 * partition balance exactly, and the rollups are the fold of the events that are now valid.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuarantinedEvent } from '@/lib/types';
import { createUser } from '@/db/queries/auth';
import { partitionStats, writeFlush } from '@/db/queries/stream';
import { expectedOf, poisonLine } from '@/db/testing/poison';
import { storedFoldProblems } from '@/db/testing/rollups';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { REINGEST_MAX_IDS, REINGEST_SOURCE, reingestQuarantined } from './reingest';

const W = 60_000;
let t: TestDatabase;
let adminId: number;
beforeAll(async () => {
  t = await createTestDatabase();
  adminId = (await createUser(t.db, { username: 'root', passwordHash: 'x', role: 'admin' })).id;
});
afterAll(() => t.drop());

describe('re-ingest with poison in the quarantine', () => {
  it('property: every batch commits, the books balance, the rollups are the fold of the now-valid events', async () => {
    const sent = Date.now();
    // Ten minutes later the events sent "from the future" are valid; the rest is as it was.
    const later = sent + 10 * 60_000;
    const lines = fc.sample(
      fc.oneof(
        { weight: 4, arbitrary: poisonLine(sent) },
        {
          weight: 1,
          arbitrary: fc
            .integer({ min: sent + 6 * 60_000, max: later })
            .map((ts) => JSON.stringify({ ts, type: 'checkout', dims: { region: 'us-east' } })),
        },
      ),
      { numRuns: 1200, seed: 3 },
    );
    const rows: QuarantinedEvent[] = lines.map((raw, i) => ({
      reason: 'schema',
      detail: 'stored for the test',
      raw,
      rawSize: 0, // set below from the text as stored
      source: 'kafka:events',
      partition: 0,
      offset: i,
    }));
    await writeFlush(t.sql, { deltas: [], quarantined: rows, progress: [] });
    // Stored as PostgreSQL keeps them (NUL and lone surrogates normalised): that is what
    // re-ingest reads. Not truncated: raw_size is the stored text's size.
    await t.sql`update quarantine set raw_size = octet_length(raw)`;
    const stored = await t.sql<{ id: string; raw: string }[]>`
      select id, raw from quarantine order by id`;
    const eligible = stored.filter((r) => r.raw.trim() !== '');
    const expected = expectedOf(
      eligible.map((r) => r.raw),
      later,
      REINGEST_SOURCE,
    );
    expect(expected.valid.length).toBeGreaterThan(300);
    expect(expected.quarantined).toBeGreaterThan(100);

    const ids = stored.map((r) => Number(r.id));
    let folded = 0;
    let quarantined = 0;
    for (let at = 0; at < ids.length; at += REINGEST_MAX_IDS) {
      const result = await reingestQuarantined(t.sql, {
        ids: ids.slice(at, at + REINGEST_MAX_IDS),
        userId: adminId,
        windowMs: W,
        outOfOrderMs: 1000,
        maxValuesPerDim: 50,
        now: later,
      });
      expect(result.reingested).toBe(result.folded + result.quarantined);
      folded += result.folded;
      quarantined += result.quarantined;
    }
    expect({ folded, quarantined }).toEqual({
      folded: expected.valid.length,
      quarantined: expected.quarantined,
    });
    const progress = (await partitionStats(t.db)).find((p) => p.source === REINGEST_SOURCE);
    expect(progress).toMatchObject({
      received: expected.received,
      folded: expected.valid.length,
      quarantined: expected.quarantined,
    });
    const [again] = await t.sql<{ rows: number }[]>`
      select count(*)::int as rows from quarantine where source = ${REINGEST_SOURCE}`;
    expect(again?.rows).toBe(expected.quarantined);
    expect(await storedFoldProblems(t.db, expected.valid, W)).toEqual([]);
  }, 120_000);
});

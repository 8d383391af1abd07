/**
 * POST /api/ingest end to end over a real http.Server and a real (embedded) PostgreSQL:
 * answers only after the write, quarantine with reasons, accounting, limits (413, 429), API
 * keys (401) and a fuzz test that the service never breaks and the books always balance.
 */
import { createServer as createHttpServer, request, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '@/db/client';
import { createApiKey, findApiKey, revokeApiKey } from '@/db/queries/api-keys';
import { claimPartitions, partitionStats, readRollups } from '@/db/queries/stream';
import { freePort } from '@/db/embedded';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { expectedOf, poisonLine } from '@/db/testing/poison';
import { storedFoldProblems } from '@/db/testing/rollups';
import { createLogger } from '@/lib/observability/log';
import { createTelemetry, type Telemetry } from '@/lib/observability/telemetry';
import { TOTAL, type PulseEvent } from '@/lib/types';
import { windowStart } from '@/lib/stream/windows';
import { HTTP_SOURCE, startHttpIngest, type HttpIngest, type IngestOptions } from './http-ingest';

const log = createLogger('test', process.env.TEST_LOG ?? 'silent');
const W = 60_000;
const OPTIONS: Omit<IngestOptions, 'owner'> = {
  windowMs: W,
  outOfOrderMs: 1000,
  allowedLatenessMs: 0,
  maxValuesPerDim: 50,
  maxBodyBytes: 64 * 1024,
  maxPendingEvents: 10_000,
};

interface Running {
  ingest: HttpIngest;
  telemetry: Telemetry;
  url: string;
  close(): Promise<void>;
}

/** The service behind a real http.Server on a free port. */
async function run(
  clients: { sql: DbHandle['sql']; db: DbHandle['db'] },
  options: Partial<IngestOptions> = {},
): Promise<Running> {
  const telemetry = createTelemetry();
  const ingest = await startHttpIngest(
    { ...clients, log, telemetry },
    { owner: 'test', ...OPTIONS, ...options },
  );
  const server: Server = createHttpServer((req, res) => {
    if (req.url === '/api/ingest') void ingest.handle(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ingest,
    telemetry,
    url: `http://127.0.0.1:${port}/api/ingest`,
    async close() {
      await ingest.stop(1000);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface Answer {
  status: number;
  retryAfter: string | null;
  text: string;
  json: {
    accepted?: number;
    quarantined?: number;
    reasons?: Record<string, number>;
    error?: string;
  };
}

async function post(
  url: string,
  body: string,
  key: string | null,
  headers: Record<string, string> = {},
  timeoutMs?: number,
): Promise<Answer> {
  const response = await fetch(url, {
    ...(timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...headers,
    },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    text,
    json: JSON.parse(text) as Answer['json'],
  };
}

const now = Date.now();
const TS = now - 2000;
const event = (type: string, extra: Record<string, unknown> = {}) => ({
  ts: TS,
  type,
  dims: { region: 'eu-west', device: 'ios' },
  measures: { amount: 12.5 },
  ...extra,
});
/** NDJSON of events; strings are raw lines, sent as they are. */
const ndjson = (...events: unknown[]) =>
  events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n');

async function countOf(db: DbHandle['db'], type: string): Promise<number> {
  const rows = await readRollups(db, [windowStart(TS, W)], [type]);
  return rows.find((r) => r.dim === TOTAL && r.value === TOTAL && r.measure === '')?.count ?? 0;
}

async function httpPartition(db: DbHandle['db']) {
  const rows = await partitionStats(db);
  const row = rows.find((r) => r.source === HTTP_SOURCE && r.partition === 0);
  if (!row) throw new Error('no http partition');
  return row;
}

async function quarantineRows(sql: DbHandle['sql']) {
  return sql<{ reason: string; detail: string; raw: string; raw_size: number }[]>`
    select reason, detail, raw, raw_size from quarantine where source = ${HTTP_SOURCE} order by id`;
}

describe('POST /api/ingest', () => {
  let t: TestDatabase;
  let svc: Running;
  let key: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    svc = await run(t);
    key = (await createApiKey(t.db, { name: 'tests', createdBy: null })).secret;
  });
  afterAll(async () => {
    await svc.close();
    await t.drop();
  });

  it('accepts a JSON array and NDJSON, and answers only once the rollups are written', async () => {
    const array = await post(
      svc.url,
      JSON.stringify([event('purchase'), event('purchase'), event('purchase')]),
      key,
      { 'content-type': 'application/json' },
    );
    expect(array.status).toBe(200);
    expect(array.json).toEqual({ accepted: 3, quarantined: 0, reasons: {} });
    // No waiting: the answer came after the commit.
    expect(await countOf(t.db, 'purchase')).toBe(3);

    const lines = await post(svc.url, `${ndjson(event('purchase'), event('purchase'))}\n`, key);
    expect(lines.json).toEqual({ accepted: 2, quarantined: 0, reasons: {} });
    expect(await countOf(t.db, 'purchase')).toBe(5);
    const amount = (await readRollups(t.db, [windowStart(TS, W)], ['purchase'])).find(
      (r) => r.dim === 'region' && r.value === 'eu-west' && r.measure === 'amount',
    );
    expect(amount).toMatchObject({ count: 5, sum: 62.5 });

    const identity = await findApiKey(t.db, key);
    expect(identity?.lastUsedAt).not.toBeNull();
  });

  it('quarantines every kind of bad event with its reason, and the books balance', async () => {
    const body = [
      JSON.stringify(event('signup')),
      '{"ts": 1, "type": ', // malformed JSON
      JSON.stringify({ ts: TS, type: 'Not A Type', dims: { region: 7 } }), // schema
      JSON.stringify(event('signup', { dims: { region: 'x'.repeat(9000) } })), // too large
      JSON.stringify(event('signup', { ts: 'yesterday' })), // bad timestamp
      JSON.stringify(event('signup', { ts: now + 3_600_000 })), // future
      JSON.stringify(event('signup', { ts: now - 10 * W })), // late: its window is final
      JSON.stringify(event('signup')),
    ].join('\r\n');
    const answer = await post(svc.url, body, key);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      accepted: 2,
      quarantined: 6,
      reasons: {
        malformed_json: 1,
        schema: 1,
        too_large: 1,
        bad_timestamp: 1,
        future: 1,
        late: 1,
      },
    });
    expect(await countOf(t.db, 'signup')).toBe(2);

    const rows = await quarantineRows(t.sql);
    expect(rows.map((r) => r.reason)).toEqual([
      'malformed_json',
      'schema',
      'too_large',
      'bad_timestamp',
      'future',
      'late',
    ]);
    const schema = rows[1]!;
    expect(schema.detail).toMatch(/type: must match/);
    expect(schema.detail).toMatch(/dims\.region: expected string/);
    const tooLarge = rows[2]!;
    expect(tooLarge.raw_size).toBeGreaterThan(9000);
    expect(tooLarge.raw.length).toBeLessThanOrEqual(2048);

    const partition = await httpPartition(t.db);
    expect(partition.received).toBe(5 + 8);
    expect(partition.folded).toBe(5 + 2);
    expect(partition.quarantined).toBe(6);
    expect(partition.received).toBe(partition.folded + partition.quarantined);
    expect(partition.nextOffset).toBe(13);
  });

  it('quarantines a broken JSON array as one malformed record and answers 400', async () => {
    const before = await httpPartition(t.db);
    const answer = await post(svc.url, `[${JSON.stringify(event('purchase'))}, {"ts": `, key);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(/not a valid JSON array/);
    expect(answer.json).toMatchObject({
      accepted: 0,
      quarantined: 1,
      reasons: { malformed_json: 1 },
    });
    const rows = await quarantineRows(t.sql);
    expect(rows.at(-1)).toMatchObject({ reason: 'malformed_json' });
    expect(rows.at(-1)!.detail).toMatch(/^body: not a valid JSON array/);
    const after = await httpPartition(t.db);
    expect(after.received - before.received).toBe(1);
    expect(after.quarantined - before.quarantined).toBe(1);
    expect(await countOf(t.db, 'purchase')).toBe(5);
  });

  it('keeps a broken array holding a NUL character in quarantine, as U+FFFD, and goes on', async () => {
    // PostgreSQL text refuses NUL: stored as it came, the write would fail and hold every later
    // request back. The source partition's pipeline quarantines the body as storable text.
    const answer = await post(svc.url, '[{"type": "a\u0000b", ', key);
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ quarantined: 1, reasons: { malformed_json: 1 } });
    const rows = await quarantineRows(t.sql);
    expect(rows.at(-1)!.raw).toBe('[{"type": "a\uFFFDb", ');
    const next = await post(svc.url, JSON.stringify(event('nul_probe')), key);
    expect(next.status).toBe(200);
  });

  it('answers 400 to an empty body, and 200 with nothing to an empty array', async () => {
    for (const body of ['', '  \n\r\n']) {
      const answer = await post(svc.url, body, key);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toMatch(/empty/);
    }
    expect((await post(svc.url, '[]', key)).json).toEqual({
      accepted: 0,
      quarantined: 0,
      reasons: {},
    });
  });

  it('answers 413 to a body over the limit: by Content-Length, and while streaming', async () => {
    const before = await httpPartition(t.db);
    const big = ndjson(...Array.from({ length: 1000 }, () => event('purchase')));
    expect(big.length).toBeGreaterThan(OPTIONS.maxBodyBytes);
    const declared = await post(svc.url, big, key);
    expect(declared.status).toBe(413);
    expect(declared.json.error).toMatch(/larger than 65536 bytes/);

    // Chunked, no Content-Length: the limit is found while the body streams in, and the
    // answer comes before the client has finished sending.
    const streamed = await new Promise<{ status: number; body: string; sent: number }>(
      (resolve, reject) => {
        const req = request(svc.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'transfer-encoding': 'chunked' },
        });
        let sent = 0;
        let answered = false;
        const chunk = `${JSON.stringify(event('purchase'))}\n`.repeat(20);
        const pump = async () => {
          while (!answered && sent < 10 * OPTIONS.maxBodyBytes) {
            sent += chunk.length;
            req.write(chunk);
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
          if (!answered) req.end();
        };
        req.on('response', (res) => {
          answered = true;
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sent }));
        });
        req.on('error', (error) => (answered ? undefined : reject(error)));
        void pump();
      },
    );
    expect(streamed.status).toBe(413);
    // Answered while the client was still sending (it stops at 10× the limit).
    expect(streamed.sent).toBeLessThan(10 * OPTIONS.maxBodyBytes);
    expect(JSON.parse(streamed.body)).toMatchObject({ error: expect.stringMatching(/larger/) });

    // Nothing of either body was taken.
    const after = await httpPartition(t.db);
    expect(after.received).toBe(before.received);
    expect(await countOf(t.db, 'purchase')).toBe(5);
    // And the service still works.
    expect((await post(svc.url, ndjson(event('purchase')), key)).status).toBe(200);
  });

  it('answers 401, with a JSON error and no key material, to missing, unknown or revoked keys', async () => {
    const body = ndjson(event('purchase'));
    const unknown = `pk_${'Q'.repeat(43)}`;
    const { key: made, secret: revoked } = await createApiKey(t.db, {
      name: 'to revoke',
      createdBy: null,
    });
    expect((await post(svc.url, body, revoked)).status).toBe(200);
    await revokeApiKey(t.db, made.id, null);

    const cases: [string, Record<string, string>, RegExp][] = [
      ['no header', {}, /Send an API key/],
      ['another scheme', { authorization: `Basic ${key}` }, /Send an API key/],
      ['not a key', { authorization: 'Bearer hunter2' }, /Send an API key/],
      ['unknown key', { authorization: `Bearer ${unknown}` }, /Unknown API key/],
      ['revoked key', { authorization: `Bearer ${revoked}` }, /revoked/],
    ];
    for (const [, headers, message] of cases) {
      const answer = await post(svc.url, body, null, headers);
      expect(answer.status).toBe(401);
      expect(answer.json.error).toMatch(message);
      expect(answer.text).not.toContain(key);
      expect(answer.text).not.toContain(revoked.slice(3, 20));
      expect(answer.text).not.toContain('hunter2');
    }
    expect(await countOf(t.db, 'purchase')).toBe(7);
  });

  it('answers 405 to other methods, 415 to compressed bodies', async () => {
    const response = await fetch(svc.url, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    const gzip = await post(svc.url, ndjson(event('purchase')), key, {
      'content-encoding': 'gzip',
    });
    expect(gzip.status).toBe(415);
  });

  it('commits concurrent requests in groups, each answered with its own counts', async () => {
    const before = svc.ingest.stats().flushes;
    const requests = Array.from({ length: 40 }, (_, i) =>
      post(
        svc.url,
        ndjson(
          ...Array.from({ length: i + 1 }, () => event('search')),
          ...(i % 3 === 0 ? ['{oops'] : []),
        ),
        key,
      ),
    );
    const answers = await Promise.all(requests);
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        accepted: i + 1,
        quarantined: i % 3 === 0 ? 1 : 0,
        reasons: i % 3 === 0 ? { malformed_json: 1 } : {},
      });
    });
    expect(await countOf(t.db, 'search')).toBe((40 * 41) / 2);
    // Group commit: fewer flushes than requests.
    expect(svc.ingest.stats().flushes - before).toBeLessThan(40);
    const partition = await httpPartition(t.db);
    expect(partition.received).toBe(partition.folded + partition.quarantined);
  });

  it('never breaks on random bodies, and received = folded + quarantined throughout', async () => {
    const before = await httpPartition(t.db);
    const quarantinedBefore = (await quarantineRows(t.sql)).length;
    const validEvent = fc.record({
      ts: fc.integer({ min: now - 5000, max: now }),
      type: fc.constantFrom('fuzz', 'fuzz_b', 'Bad'),
      dims: fc.dictionary(
        fc.constantFrom('region', 'device', 'X'),
        fc.oneof(fc.constantFrom('eu', 'us', ''), fc.integer()),
        { maxKeys: 3 },
      ),
      measures: fc.dictionary(fc.constantFrom('amount', 'ms'), fc.double(), { maxKeys: 2 }),
    });
    const record = fc.oneof(
      validEvent.map((e) => JSON.stringify(e)),
      fc.json({ maxDepth: 3 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
    );
    const body = fc.oneof(
      fc.array(record, { maxLength: 20 }).map((r) => r.join('\n')),
      fc
        .array(fc.oneof(validEvent, fc.jsonValue({ maxDepth: 3 })), { maxLength: 20 })
        .map((a) => JSON.stringify(a)),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ maxLength: 100 }).map((s) => `[${s}`),
    );
    let received = 0;
    let quarantined = 0;
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const answer = await post(svc.url, text, key);
        expect([200, 400]).toContain(answer.status);
        const { accepted = 0, quarantined: q = 0, reasons = {} } = answer.json;
        expect(Object.values(reasons).reduce((a, b) => a + b, 0)).toBe(q);
        if (answer.status === 400) expect(answer.json.error).toBeTypeOf('string');
        received += accepted + q;
        quarantined += q;
      }),
      { numRuns: 120 },
    );
    const after = await httpPartition(t.db);
    expect(after.received - before.received).toBe(received);
    expect(after.quarantined - before.quarantined).toBe(quarantined);
    expect(after.received).toBe(after.folded + after.quarantined);
    expect((await quarantineRows(t.sql)).length - quarantinedBefore).toBe(quarantined);
    expect(svc.ingest.stats()).toMatchObject({ pendingEvents: 0, backlogged: false });
  });

  it('counts requests by status, and events by outcome, for /metrics', async () => {
    const text = await svc.telemetry.registry.metrics();
    expect(text).toMatch(/pulse_http_ingest_requests_total\{status="200"\} [1-9]/);
    expect(text).toMatch(/pulse_http_ingest_requests_total\{status="401"\} [1-9]/);
    expect(text).toMatch(/pulse_http_ingest_requests_total\{status="413"\} [1-9]/);
    expect(text).toMatch(/pulse_events_total\{source="http",outcome="folded"\} [1-9]/);
  });

  it('stops, answering 503, once another process claims the http source', async () => {
    await claimPartitions(t.sql, { source: HTTP_SOURCE, owner: 'other', partitions: [0] });
    const answer = await post(svc.url, ndjson(event('purchase')), key);
    expect(answer.status).toBe(503);
    expect(answer.json.error).toMatch(/another Pulse web instance/);
    expect(svc.ingest.stats().fenced).toBe(true);
    expect((await post(svc.url, ndjson(event('purchase')), key)).status).toBe(503);
  });
});

/**
 * A TCP proxy in front of PostgreSQL. `down()` cuts every connection and stops listening, so
 * new connections are refused, as when the server is gone; `up()` listens again.
 */
async function pgProxy(target: string) {
  const url = new URL(target);
  const [host, targetPort] = [url.hostname, Number(url.port)];
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(targetPort, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const port = await freePort();
  const listen = () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen();
  url.port = String(port);
  return {
    url: url.toString(),
    down() {
      server.close();
      for (const s of sockets) s.destroy();
    },
    up: listen,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('POST /api/ingest when saturated', () => {
  let t: TestDatabase;
  let key: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    key = (await createApiKey(t.db, { name: 'tests', createdBy: null })).secret;
  });
  afterAll(() => t.drop());

  it('answers 429 + Retry-After beyond the events allowed to wait, then catches up', async () => {
    const svc = await run(t, { maxPendingEvents: 100 });
    try {
      // Hold the partition's row so the next flush waits (well within its 5 s lock timeout).
      const locker = postgres(t.url, { max: 1, onnotice: () => undefined });
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = locker.begin(async (tx) => {
        await tx`select 1 from source_partitions where source = ${HTTP_SOURCE} for update`;
        locked();
        await released;
      });
      await isLocked;

      const first = post(svc.url, ndjson(...Array.from({ length: 80 }, () => event('view'))), key);
      await until(() => svc.ingest.stats().pendingEvents === 80);
      const refused = await post(
        svc.url,
        ndjson(...Array.from({ length: 21 }, () => event('view'))),
        key,
      );
      expect(refused.status).toBe(429);
      expect(refused.retryAfter).toBe('1');
      expect(refused.json.error).toMatch(/retry/);
      // A request larger than the limit could never fit: 413, not 429.
      const never = await post(
        svc.url,
        ndjson(...Array.from({ length: 101 }, () => event('view'))),
        key,
      );
      expect(never.status).toBe(413);
      // Up to the limit still fits in the same wait; beyond it nothing is even read.
      const fits = post(svc.url, ndjson(...Array.from({ length: 20 }, () => event('view'))), key);
      await until(() => svc.ingest.stats().pendingEvents === 100);
      const full = await post(svc.url, ndjson(event('view')), key);
      expect(full.status).toBe(429);

      release();
      await holder;
      await locker.end();
      expect((await first).json).toEqual({ accepted: 80, quarantined: 0, reasons: {} });
      expect((await fits).json).toEqual({ accepted: 20, quarantined: 0, reasons: {} });
      expect(await countOf(t.db, 'view')).toBe(100);
    } finally {
      await svc.close();
    }
  });

  it('answers 429 while PostgreSQL is down, and writes the held events exactly once after', async () => {
    const proxy = await pgProxy(t.url);
    // Flushes go through the proxy; key lookups use the direct pool, so the requests reach
    // the flush (with both cut off, they would get 503 from the lookup instead).
    const flushSql = postgres(proxy.url, {
      max: 2,
      onnotice: () => undefined,
      connect_timeout: 2,
    });
    const svc = await run({ sql: flushSql, db: t.db });
    try {
      expect((await post(svc.url, ndjson(event('click')), key)).status).toBe(200);

      proxy.down();
      const held = post(svc.url, ndjson(event('click'), event('click'), '{x'), key);
      await until(() => svc.ingest.stats().backlogged);
      const refused = await post(svc.url, ndjson(event('click')), key);
      expect(refused.status).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(refused.json.error).toMatch(/cannot write/);
      expect(await countOf(t.db, 'click')).toBe(1);

      await proxy.up();
      expect((await held).json).toEqual({
        accepted: 2,
        quarantined: 1,
        reasons: { malformed_json: 1 },
      });
      expect(await countOf(t.db, 'click')).toBe(3);
      expect((await post(svc.url, ndjson(event('click')), key)).status).toBe(200);
      expect(await countOf(t.db, 'click')).toBe(4);
      const partition = await httpPartition(t.db);
      expect(partition.received).toBe(partition.folded + partition.quarantined);
    } finally {
      await svc.close();
      await flushSql.end({ timeout: 1 });
      await proxy.close();
    }
  });
});

describe('POST /api/ingest with poison in the traffic', () => {
  let t: TestDatabase;
  let svc: Running;
  let key: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    svc = await run(t, { allowedLatenessMs: 3_600_000, outOfOrderMs: 600_000 });
    key = (await createApiKey(t.db, { name: 'poison', createdBy: null })).secret;
  });
  afterAll(async () => {
    await svc.close();
    await t.drop();
  });

  it('property: no body stalls ingest, the books balance, and the rollups are the fold of the valid events', async () => {
    const at = Date.now();
    const clean = JSON.stringify({ ts: at, type: 'checkout', dims: { region: 'eu-west' } });
    const sent: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(poisonLine(at), { minLength: 1, maxLength: 25 }), async (lines) => {
        // A valid first line, so that a record starting with "[" is not read as a JSON array.
        const body = [clean, ...lines];
        // Answered within seconds, or ingest is stalled.
        const answer = await post(svc.url, body.join('\n'), key, {}, 10_000);
        expect(answer.status).toBe(200);
        const expected = expectedOf(body, at, HTTP_SOURCE);
        expect(answer.json).toMatchObject({
          accepted: expected.valid.length,
          quarantined: expected.quarantined,
        });
        sent.push(...body);
      }),
      { numRuns: 60, seed: 12 },
    );
    // Nothing is stuck: one more clean event is answered (so written) at once.
    const started = Date.now();
    expect((await post(svc.url, clean, key, {}, 5_000)).json).toMatchObject({ accepted: 1 });
    expect(Date.now() - started).toBeLessThan(5_000);
    sent.push(clean);

    const expected = expectedOf(sent, at, HTTP_SOURCE);
    expect(expected.quarantined).toBeGreaterThan(100);
    expect(await httpPartition(t.db)).toMatchObject({
      received: expected.received,
      folded: expected.valid.length,
      quarantined: expected.quarantined,
    });
    const [stored] = await t.sql<{ rows: number }[]>`
      select count(*)::int as rows from quarantine where source = ${HTTP_SOURCE}`;
    expect(stored?.rows).toBe(expected.quarantined);
    expect(await storedFoldProblems(t.db, expected.valid, W)).toEqual([]);
  }, 120_000);
});

describe('POST /api/ingest on two web instances', () => {
  let t: TestDatabase;
  let a: Running;
  let b: Running;
  let key: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    // PULSE_INSTANCE 0 and 1: partitions http/0 and http/1, claimed side by side.
    a = await run(t, { instance: 0, owner: 'web-a' });
    b = await run(t, { instance: 1, owner: 'web-b' });
    key = (await createApiKey(t.db, { name: 'two', createdBy: null })).secret;
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await t.drop();
  });

  it('ingest concurrently, neither fencing the other, and the rollups are the fold of all events', async () => {
    const at = Date.now() - 1000;
    const regions = ['eu-west', 'us-east', 'ap-south'];
    const sent: PulseEvent[] = [];
    const bodies = Array.from({ length: 40 }, (_, r) =>
      Array.from({ length: 25 }, (_, i) => {
        const e: PulseEvent = {
          ts: at + r * 10 + i,
          type: i % 3 === 0 ? 'purchase' : 'checkout',
          dims: { region: regions[(r + i) % 3]!, device: i % 2 ? 'ios' : 'web' },
          measures: { amount: r + i / 10 },
        };
        sent.push(e);
        return JSON.stringify(e);
      }).join('\n'),
    );
    const answers = await Promise.all(
      bodies.map((body, i) => post((i % 2 ? b : a).url, body, key)),
    );
    expect(answers.map((x) => x.status)).toEqual(bodies.map(() => 200));
    expect(answers.reduce((n, x) => n + (x.json.accepted ?? 0), 0)).toBe(sent.length);
    expect(a.ingest.stats().fenced).toBe(false);
    expect(b.ingest.stats().fenced).toBe(false);

    const parts = (await partitionStats(t.db)).filter((p) => p.source === HTTP_SOURCE);
    expect(parts.map((p) => [p.partition, p.owner, p.received, p.folded])).toEqual([
      [0, 'web-a', 500, 500],
      [1, 'web-b', 500, 500],
    ]);
    expect(await storedFoldProblems(t.db, sent, W)).toEqual([]);
  });
});

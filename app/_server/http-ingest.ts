/**
 * HTTP ingest: `POST /api/ingest` with a JSON array of events or NDJSON, authenticated by an
 * API key (`Authorization: Bearer pk_…`). It answers `{ accepted, quarantined, reasons }` only
 * once the request's events are durably written.
 *
 * - Source `http`, partition `instance` (PULSE_INSTANCE, 0 by default), claimed at start-up
 *   (db/queries/stream.ts claimPartitions): every web instance ingests through its own
 *   partition, so N instances with different numbers ingest side by side with the same
 *   exactly-once writes and accounting, and the global watermark takes the minimum over them
 *   as over Kafka partitions (an instance that receives nothing leaves it after
 *   PULSE_IDLE_TIMEOUT). A second process claiming the same partition fences this one, whose
 *   flushes then no longer land; this one logs it, answers 503 and stops ingesting.
 * - Events go through the claimed source partition every source uses (db/sources/partition.ts:
 *   Pipeline — parse → validate → lateness → fold, one record per event — and the fenced
 *   compare-and-set flush), so accounting (received = folded + quarantined) and exactly-once
 *   writes hold here too.
 * - Group commit: a request's events join the pipeline at once; the next flush starts as soon
 *   as the previous one finished and something is waiting, and answers every request whose
 *   events it wrote. Latency is one flush; throughput grows with concurrency.
 * - Bounded memory: bodies are limited while they stream (413); events waiting to be written
 *   are limited (429 + Retry-After), and so is everything while a failed flush is held
 *   (PostgreSQL down): the flusher retries it unchanged, with backoff.
 *
 * I/O module: takes its clients (sql, db, log) and options; reads no configuration itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db, Sql } from '@/db/client';
import { findApiKey, touchApiKey, type KeyIdentity } from '@/db/queries/api-keys';
import {
  admit,
  checkContentLength,
  parseBearer,
  splitBody,
  type Admission,
} from '@/lib/ingest/http-body';
import { utf8ByteLength } from '@/lib/ingest/events';
import type { Logger } from '@/lib/observability/log';
import type { Telemetry } from '@/lib/observability/telemetry';
import type { Drained } from '@/lib/stream/pipeline';
import type { QuarantineReason } from '@/lib/types';
import { SourcePartition, type FlushResult } from '@/db/sources/partition';
import { CLOSE, readBody, send } from './raw-http';

/**
 * Why an API key is refused (401), in the words every client of a key hears: POST /api/ingest
 * and the routes that take keys (app/_server/api-route.ts `apiKey: true`).
 */
export const API_KEY_REFUSED = {
  missing: 'Send an API key: Authorization: Bearer pk_…',
  unknown: 'Unknown API key.',
  revoked: 'This API key was revoked.',
} as const;

/** How long a key's recorded last use may lag (db/queries/api-keys.ts `touchApiKey`). */
const KEY_USE_EVERY_MS = 60_000;

export type KeyCheck = { ok: true; key: KeyIdentity } | { ok: false; message: string };

/**
 * Verifies the key a client presented (`parseBearer` of its Authorization header): an unknown
 * or revoked key is refused with its message; a valid one has its use recorded, coarsely and in
 * the background (a failure to record it refuses nothing). A failed lookup throws: the caller
 * says what the client hears (503 here; the route helper's 500). The one check of every key.
 */
export async function verifyApiKey(
  clients: { db: Db; log: Pick<Logger, 'debug'> },
  secret: string,
  now: number,
): Promise<KeyCheck> {
  const key = await findApiKey(clients.db, secret);
  if (!key) return { ok: false, message: API_KEY_REFUSED.unknown };
  if (key.revoked) return { ok: false, message: API_KEY_REFUSED.revoked };
  if (key.lastUsedAt === null || now - key.lastUsedAt > KEY_USE_EVERY_MS) {
    touchApiKey(clients.db, key.id, KEY_USE_EVERY_MS).catch((error: unknown) =>
      clients.log.debug({ err: error }, 'could not record API key use'),
    );
  }
  return { ok: true, key };
}

/** Source name of events posted to /api/ingest. */
export const HTTP_SOURCE = 'http';

/** Flush attempts on shutdown before the remaining requests are answered 503. */
const FINAL_ATTEMPTS = 3;

export interface IngestClients {
  /** postgres.js: claims and fenced flushes. */
  sql: Sql;
  /** drizzle over a pool: API key lookups. */
  db: Db;
  log: Logger;
  /** Metrics: flushes, events by outcome, buffer depth, requests by status. */
  telemetry?: Telemetry;
}

export interface IngestOptions {
  /** Who claims the source (host:pid); shown on the Health page. */
  owner: string;
  windowMs: number;
  outOfOrderMs: number;
  allowedLatenessMs: number;
  maxValuesPerDim: number;
  /** Largest body accepted; larger ones get 413. */
  maxBodyBytes: number;
  /** Events that may wait for a flush; beyond, 429. */
  maxPendingEvents: number;
  /** This instance's partition of source `http` (PULSE_INSTANCE); 0 by default. */
  instance?: number;
  /** The clock events are judged by (future, too old); Date.now by default. */
  now?: () => number;
}

export interface IngestResult {
  accepted: number;
  quarantined: number;
  reasons: Partial<Record<QuarantineReason, number>>;
}

export interface IngestStats {
  pendingEvents: number;
  backlogged: boolean;
  fenced: boolean;
  flushes: number;
  failures: number;
}

/** A request's records waiting for their flush: offsets [from, to). */
interface Waiter {
  from: number;
  to: number;
  quarantined: number;
  reasons: Partial<Record<QuarantineReason, number>>;
  resolve(result: IngestResult): void;
  reject(error: Unavailable): void;
}

/** The request could not be written, and will not be: 503. */
class Unavailable extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
  }
}

/** Claims this instance's partition of source `http` and starts the service. */
export async function startHttpIngest(
  clients: IngestClients,
  options: IngestOptions,
): Promise<HttpIngest> {
  let ingest: HttpIngest | null = null;
  const number = options.instance ?? 0;
  const partition = await SourcePartition.claim(clients, {
    source: HTTP_SOURCE,
    partition: number,
    owner: options.owner,
    windowMs: options.windowMs,
    outOfOrderMs: options.outOfOrderMs,
    allowedLatenessMs: options.allowedLatenessMs,
    maxValuesPerDim: options.maxValuesPerDim,
    // Each drain tells the service which requests' records the batch carries.
    onDrain: (drained) => ingest?.attribute(drained),
  });
  clients.log.info(
    { source: HTTP_SOURCE, partition: number, generation: partition.generation },
    `HTTP ingest claimed source partition http/${number} (PULSE_INSTANCE; each web instance needs its own)`,
  );
  const service = new HttpIngest(clients, options, partition);
  ingest = service;
  clients.telemetry?.addSource(() => partition.reading({ events: service.stats().pendingEvents }));
  return service;
}

export class HttpIngest {
  /** Requests whose records are in the pipeline, not yet drained. */
  private waiting: Waiter[] = [];
  /** Requests of the drained batch being written (or held after a failure). */
  private batch: Waiter[] = [];
  private pendingEvents = 0;
  private flushing: Promise<void> | null = null;
  private fenced = false;
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly now: () => number;

  /** @internal use {@link startHttpIngest} */
  constructor(
    private readonly clients: IngestClients,
    private readonly options: IngestOptions,
    private readonly partition: SourcePartition,
  ) {
    this.now = options.now ?? Date.now;
  }

  stats(): IngestStats {
    return {
      pendingEvents: this.pendingEvents,
      backlogged: this.partition.backlogged,
      fenced: this.fenced,
      flushes: this.partition.stats.flushes,
      failures: this.partition.stats.failures,
    };
  }

  /** Serves one request to /api/ingest. Never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const telemetry = this.clients.telemetry;
    if (telemetry) res.once('finish', () => telemetry.httpIngestRequest(res.statusCode));
    try {
      await this.serve(req, res);
    } catch (error) {
      this.clients.log.error({ err: error }, 'ingest request failed');
      if (!res.headersSent) send(res, 500, { error: 'Something went wrong on our side.' });
      else res.destroy();
    }
  }

  /**
   * Stops taking requests and writes what is waiting (a few attempts, bounded by `timeoutMs`);
   * requests still unwritten then get 503, and their clients retry elsewhere or later.
   */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.kick();
    if (this.flushing) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.flushing,
        new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.failAll(new Unavailable('Pulse is shutting down; retry shortly.', 5));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      return send(res, 405, { error: 'Use POST.' }, { allow: 'POST', connection: 'close' });
    }
    if (this.fenced) {
      return send(
        res,
        503,
        { error: 'HTTP ingest moved to another Pulse web instance.' },
        { connection: 'close' },
      );
    }
    if (this.stopping) {
      return send(
        res,
        503,
        { error: 'Pulse is shutting down; retry shortly.' },
        { 'retry-after': '5', connection: 'close' },
      );
    }
    // Cheap refusals first, before any database round trip or byte of the body.
    const key = parseBearer(req.headers.authorization);
    if (!key) return unauthorized(res, API_KEY_REFUSED.missing);
    const length = checkContentLength(req.headers['content-length'], this.options.maxBodyBytes);
    if (!length.ok) return send(res, length.status, { error: length.message }, CLOSE);
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      return send(res, 415, { error: 'Send the body uncompressed (no Content-Encoding).' }, CLOSE);
    }
    const early = this.admit(0);
    if (!early.ok) return refuse(res, early, true);

    let verified;
    try {
      verified = await verifyApiKey(this.clients, key, this.now());
    } catch (error) {
      this.clients.log.warn({ err: error }, 'API key lookup failed');
      return send(
        res,
        503,
        { error: 'Pulse cannot reach its database; retry later.' },
        { 'retry-after': '5', connection: 'close' },
      );
    }
    if (!verified.ok) return unauthorized(res, verified.message);

    const body = await readBody(req, res, this.options.maxBodyBytes);
    if (body === null) return;
    const split = splitBody(body);
    const log = { keyId: verified.key.id, bytes: utf8ByteLength(body) };

    if (split.kind === 'empty') {
      return send(res, 400, {
        error: 'The body is empty: send a JSON array of events, or NDJSON (one event per line).',
      });
    }
    if (split.kind === 'malformed') {
      const admission = this.admit(1);
      if (!admission.ok) return refuse(res, admission, false);
      const result = await this.answerOf(
        this.submit((pipeline) => {
          pipeline.reject(body, 'malformed_json', split.detail);
          return 1;
        }),
        res,
      );
      if (!result) return;
      this.clients.log.debug({ ...log, ...result }, 'ingest body malformed; quarantined');
      return send(res, 400, {
        error: `The body starts with "[" but is not a valid JSON array; it was quarantined as one malformed record. ${split.detail}`,
        ...result,
      });
    }
    const { records } = split;
    if (records.length === 0) return send(res, 200, { accepted: 0, quarantined: 0, reasons: {} });
    const admission = this.admit(records.length);
    if (!admission.ok) return refuse(res, admission, false);
    const now = this.now();
    const result = await this.answerOf(
      this.submit((pipeline) => {
        for (const record of records) pipeline.ingestLine(record, now);
        return records.length;
      }),
      res,
    );
    if (!result) return;
    this.clients.log.debug({ ...log, ...result }, 'ingested');
    send(res, 200, result);
  }

  private admit(incoming: number): Admission {
    return admit(
      {
        pendingEvents: this.pendingEvents,
        maxPendingEvents: this.options.maxPendingEvents,
        backlogged: this.partition.backlogged,
        retryDelayMs: this.partition.retryDelayMs,
      },
      incoming,
    );
  }

  /** The result, or null after answering 503 (the records were not written). */
  private async answerOf(
    pending: Promise<IngestResult>,
    res: ServerResponse,
  ): Promise<IngestResult | null> {
    try {
      return await pending;
    } catch (error) {
      if (!(error instanceof Unavailable)) throw error;
      send(
        res,
        503,
        { error: error.message },
        error.retryAfterSeconds === null ? {} : { 'retry-after': String(error.retryAfterSeconds) },
      );
      return null;
    }
  }

  /**
   * Puts a request's records into the pipeline (synchronously, so one request never spans
   * two flushes) and resolves once the flush that carries them is written.
   */
  private submit(ingest: (pipeline: SourcePartition['pipeline']) => number): Promise<IngestResult> {
    return new Promise<IngestResult>((resolve, reject) => {
      const { pipeline } = this.partition;
      const from = pipeline.nextOffset;
      const count = ingest(pipeline);
      this.pendingEvents += count;
      this.waiting.push({ from, to: from + count, quarantined: 0, reasons: {}, resolve, reject });
      this.kick();
    });
  }

  /** Called by each drain: binds the waiting requests to the batch and counts their rejects. */
  attribute(drained: Drained): void {
    const batch = this.waiting;
    this.waiting = [];
    let w = 0;
    for (const q of drained.quarantined) {
      const offset = q.offset ?? -1;
      while (w < batch.length && batch[w]!.to <= offset) w++;
      const waiter = batch[w];
      if (!waiter || waiter.from > offset) continue;
      waiter.quarantined++;
      waiter.reasons[q.reason] = (waiter.reasons[q.reason] ?? 0) + 1;
    }
    this.batch = batch;
  }

  /** Starts the flush loop unless it runs. */
  private kick(): void {
    if (this.flushing || this.fenced) return;
    if (this.waiting.length === 0 && this.batch.length === 0) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = null;
      // Something may have arrived after the loop's last check.
      if (!this.stopping) this.kick();
    });
  }

  /** Flushes until nothing waits: back to back, so a flush's duration is the batching window. */
  private async flushLoop(): Promise<void> {
    // Requests that arrive in the same turn of the event loop share this flush.
    await new Promise((resolve) => setImmediate(resolve));
    let failuresWhileStopping = 0;
    while (!this.fenced && (this.waiting.length > 0 || this.batch.length > 0)) {
      if (this.partition.backlogged) {
        await this.pause(this.stopping ? 250 : this.partition.retryDelayMs);
      }
      let result: FlushResult;
      try {
        result = await this.partition.flush();
      } catch (error) {
        // Not expected (the flusher reports failures as a result); stop rather than spin.
        this.clients.log.error({ err: error }, 'HTTP ingest flush threw');
        this.fence('the flusher failed unexpectedly');
        return;
      }
      if (result === 'fenced') {
        this.fence(`another process claimed source http/${this.partition.partition}`);
        return;
      }
      if (result === 'failed') {
        if (this.stopping && ++failuresWhileStopping >= FINAL_ATTEMPTS) return;
        continue;
      }
      const written = this.batch;
      this.batch = [];
      for (const waiter of written) {
        const count = waiter.to - waiter.from;
        this.pendingEvents -= count;
        waiter.resolve({
          accepted: count - waiter.quarantined,
          quarantined: waiter.quarantined,
          reasons: waiter.reasons,
        });
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = null;
    });
  }

  private fence(why: string): void {
    if (this.fenced) return;
    this.fenced = true;
    this.clients.log.error(
      { source: HTTP_SOURCE, partition: this.partition.partition, why },
      `HTTP ingest stopped: another process claimed source http/${this.partition.partition} (give each web instance its own PULSE_INSTANCE); this one's unwritten requests get 503`,
    );
    this.failAll(new Unavailable('HTTP ingest moved to another Pulse web instance.', null));
  }

  private failAll(error: Unavailable): void {
    const failed = [...this.batch, ...this.waiting];
    this.batch = [];
    this.waiting = [];
    for (const waiter of failed) {
      this.pendingEvents -= waiter.to - waiter.from;
      waiter.reject(error);
    }
  }
}

function unauthorized(res: ServerResponse, message: string): void {
  send(res, 401, { error: message }, { 'www-authenticate': 'Bearer', connection: 'close' });
}

/** 429/413 from admission; `unread`: the body was not read, so the connection closes. */
function refuse(
  res: ServerResponse,
  admission: Exclude<Admission, { ok: true }>,
  unread: boolean,
): void {
  const headers: Record<string, string> = unread ? { ...CLOSE } : {};
  if (admission.status === 429) headers['retry-after'] = String(admission.retryAfterSeconds);
  send(res, admission.status, { error: admission.message }, headers);
}

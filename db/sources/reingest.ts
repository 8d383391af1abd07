/**
 * Re-ingest of quarantined events, after a fix (a contract or validator change, a corrected
 * clock): an admin picks rows on the Health page and their stored payloads go through the
 * pipeline again as source `reingest`, partition 0.
 *
 * Exactly once: ONE transaction locks the chosen rows (`for update`, in id order) and takes
 * only those not re-ingested yet; it folds them through source partition reingest/0, locked in
 * the same transaction (./partition.ts `SourcePartition.lockIn`), written like any flush (rollup
 * deltas, events still invalid as new quarantine rows, progress with received = folded +
 * quarantined), and marks the originals `reingested_at/by`. A concurrent
 * request for the same rows waits on the row locks and then sees them marked; a failure
 * rolls all of it back.
 *
 * Not re-ingested:
 * - truncated payloads (raw_size larger than the bytes kept): the event is no longer there;
 * - empty payloads (nothing to parse).
 *
 * Lateness is bypassed. The lateness rule protects windows the stream has finalised from
 * stragglers nobody looked at; an admin re-ingesting an event is a deliberate, audited
 * (reingested_by) decision to count it, and every window it changes that the detector has
 * already scored is queued for re-scoring by `writeFlushIn` (the revision queue), so the
 * anomalies follow. Without the bypass a `late` event could never be re-ingested at all: it
 * would be quarantined as `late` again. The other checks still apply, `future` included.
 *
 * The reingest partition writes no watermark (null): re-ingested events are old by nature and
 * must not hold back the global watermark that closes live windows.
 */
import { utf8ByteLength } from '@/lib/ingest/events';
import type { ReingestResult } from '@/lib/views';
import type { Sql } from '@/db/client';
import { SourcePartition } from './partition';

export const REINGEST_SOURCE = 'reingest';
const PARTITION = 0;
/** Most rows one request may re-ingest. */
export const REINGEST_MAX_IDS = 500;

export interface ReingestRequest {
  ids: number[];
  /** The admin who asked (users.id). */
  userId: number;
  windowMs: number;
  outOfOrderMs: number;
  maxValuesPerDim: number;
  /** Validation clock (epoch ms): the `future` check is judged against it. */
  now?: number;
}

interface Row {
  id: string;
  raw: string;
  raw_size: number;
  reingested_at: Date | null;
}

/** A bigint[] literal from validated integers (see intArrayLiteral in ./stream.ts). */
function bigintArray(values: number[]): string {
  if (!values.every((v) => Number.isSafeInteger(v) && v > 0)) {
    throw new RangeError('expected positive integer ids');
  }
  return `{${values.join(',')}}`;
}

export function isTruncated(row: { raw: string; rawSize: number }): boolean {
  return row.rawSize > utf8ByteLength(row.raw);
}

export async function reingestQuarantined(
  sql: Sql,
  request: ReingestRequest,
): Promise<ReingestResult> {
  const ids = [...new Set(request.ids)].sort((a, b) => a - b);
  if (ids.length > REINGEST_MAX_IDS) {
    throw new RangeError(`at most ${REINGEST_MAX_IDS} rows per re-ingest`);
  }
  const now = request.now ?? Date.now();
  const result: ReingestResult = {
    requested: ids.length,
    reingested: 0,
    folded: 0,
    quarantined: 0,
    quarantinedByReason: {},
    refused: [],
    alreadyReingested: [],
    missing: [],
    rows: 0,
  };
  if (ids.length === 0) return result;
  return sql.begin(async (tx) => {
    // Never hang on a lock another transaction keeps: give up (and let the admin retry).
    await tx.unsafe(`set local lock_timeout = '5s'`);
    const rows = await tx<Row[]>`
      select id, raw, raw_size, reingested_at from quarantine
      where id = any(${bigintArray(ids)}::bigint[])
      order by id
      for update`;
    const found = new Map(rows.map((r) => [Number(r.id), r]));
    const eligible: { id: number; raw: string }[] = [];
    for (const id of ids) {
      const row = found.get(id);
      if (!row) result.missing.push(id);
      else if (row.reingested_at !== null) result.alreadyReingested.push(id);
      else if (isTruncated({ raw: row.raw, rawSize: row.raw_size })) {
        result.refused.push({
          id,
          reason: 'truncated',
          message: `#${id} was truncated when quarantined (${row.raw_size} bytes, ${utf8ByteLength(row.raw)} kept): the full event is gone, so it cannot be re-ingested. Send it again from its source.`,
        });
      } else if (row.raw.trim() === '') {
        result.refused.push({ id, reason: 'empty', message: `#${id} has an empty payload.` });
      } else eligible.push({ id, raw: row.raw });
    }
    if (eligible.length === 0) return result;

    const partition = await SourcePartition.lockIn(
      tx,
      { sql },
      {
        source: REINGEST_SOURCE,
        partition: PARTITION,
        windowMs: request.windowMs,
        outOfOrderMs: request.outOfOrderMs,
        allowedLatenessMs: Number.POSITIVE_INFINITY, // see the module comment
        maxValuesPerDim: request.maxValuesPerDim,
      },
    );
    const nextOffset = partition.storedOffset;
    const originOf = new Map<number, number>();
    eligible.forEach((row, i) => {
      originOf.set(nextOffset + i, row.id);
      partition.pipeline.ingestLine(row.raw, now);
    });
    const drained = await partition.writeIn(tx, (batch) => {
      if (batch.received !== eligible.length) {
        throw new Error('re-ingest accounting: every eligible row must be received once');
      }
      return {
        ...batch,
        // Re-ingested events are old by nature: they must not move the global watermark.
        watermark: null,
        quarantined: batch.quarantined.map((q) => ({
          ...q,
          detail: `re-ingest of #${originOf.get(q.offset ?? -1) ?? '?'}: ${q.detail}`,
        })),
      };
    });
    await tx`
      update quarantine set reingested_at = now(), reingested_by = ${request.userId}
      where id = any(${bigintArray(eligible.map((r) => r.id))}::bigint[])`;

    result.reingested = eligible.length;
    result.folded = drained.folded;
    result.quarantined = drained.quarantined.length;
    for (const q of drained.quarantined) {
      result.quarantinedByReason[q.reason] = (result.quarantinedByReason[q.reason] ?? 0) + 1;
    }
    result.rows = drained.deltas.length;
    return result;
  });
}

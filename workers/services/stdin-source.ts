/**
 * The stdin source: NDJSON lines from a stream (the simulator's pipe, or any producer) into one
 * claimed source partition (db/sources/partition.ts), flushed every `flushIntervalMs`.
 *
 * Backpressure: while a flush is held (PostgreSQL unreachable), reading stops; the pipe fills
 * and the producer blocks, instead of this process growing without bound. On stop (or end of
 * input) a final flush makes a few quick attempts; if PostgreSQL is gone, nothing unflushed was
 * stored as consumed, so the source delivers those lines again on restart.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '@/lib/observability/log';
import type { SourcePartition } from '@/db/sources/partition';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Final flush on stop: attempts, and the pause between failed ones. */
const FINAL_FLUSH = { attempts: 6, minDelayMs: 400 } as const;

export interface StdinRun {
  /** Lines read (blank ones included). */
  lines: number;
  /** Another process claimed the partition: this one stopped writing it. */
  fenced: boolean;
}

export interface StdinSource {
  /** Resolves when input ended or stop() was called, after the final flush. */
  done: Promise<StdinRun>;
  /** Stops reading; the final flush follows. */
  stop(): void;
}

/** Reads `input` into `partition` until it ends or {@link StdinSource.stop} is called. */
export function consumeLines(
  input: Readable,
  partition: SourcePartition,
  options: { flushIntervalMs: number; log: Logger },
): StdinSource {
  const { log } = options;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let stopping = false;
  let inputDone = false;
  let fenced = false;
  const stop = () => {
    stopping = true;
    lines.close();
  };

  const flushLoop = (async () => {
    while (!stopping && !inputDone) {
      await sleep(partition.backlogged ? partition.retryDelayMs : options.flushIntervalMs);
      if ((await partition.flush()) === 'fenced') {
        fenced = true;
        stop();
        return;
      }
    }
    const result = await partition.flushAll(FINAL_FLUSH);
    if (result === 'fenced') fenced = true;
    if (result === 'failed') {
      log.warn('final flush failed; the unflushed events will be read again on restart');
    }
  })();

  const done = (async (): Promise<StdinRun> => {
    let count = 0;
    for await (const line of lines) {
      partition.pipeline.ingestLine(line, Date.now());
      // Every 1024 lines: stop reading while earlier data cannot be written.
      if (++count % 1024 === 0) {
        while (partition.backlogged && !stopping) await sleep(100);
      }
    }
    inputDone = true;
    log.info({ lines: count }, stopping ? 'stopping: final flush' : 'input ended: final flush');
    await flushLoop;
    return { lines: count, fenced };
  })();

  return { done, stop };
}

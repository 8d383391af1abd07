/**
 * A recorded file's records in order, in batches, for `npm run replay` and `npm run backtest`:
 * CSV rows through CsvRecordReader, JSONL lines through LineSplitter (their times are read on
 * demand, see lib/ingest/replay `recordTime`).
 */
import { createReadStream } from 'node:fs';
import { CsvRecordReader, LineSplitter, type ReplayRecord } from '@/lib/ingest/replay';
import type { ReplayFormat } from '@/lib/cli/replay-args';

export async function* readRecords(
  file: string,
  format: ReplayFormat,
): AsyncGenerator<ReplayRecord[]> {
  if (format === 'csv') {
    const reader = new CsvRecordReader();
    for await (const chunk of createReadStream(file)) yield reader.push(chunk as Buffer);
    yield await reader.end();
    return;
  }
  const splitter = new LineSplitter();
  const toRecord = (line: string): ReplayRecord => ({ kind: 'line', line, ts: null });
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    yield splitter.push(chunk as string).map(toRecord);
  }
  yield splitter.end().map(toRecord);
}

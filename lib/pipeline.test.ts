import { describe, expect, it } from 'vitest';
import { Pipeline, type PipelineOptions } from './pipeline';

const NOW = Date.UTC(2026, 10, 22, 12, 0);
const OPTIONS: PipelineOptions = {
  source: 'kafka:t',
  partition: 0,
  windowMs: 60_000,
  outOfOrderMs: 2000,
  allowedLatenessMs: 0,
  maxValuesPerDim: 200,
};
const line = (ts: number) => JSON.stringify({ ts, type: 'page_view', dims: { region: 'eu' } });

describe('Pipeline offsets', () => {
  it('counts lines when the source gives no offsets (stdin)', () => {
    const pipeline = new Pipeline(OPTIONS);
    pipeline.ingestLine(line(NOW - 1000), NOW);
    pipeline.ingestLine('', NOW);
    pipeline.ingestLine('{bad', NOW);
    expect(pipeline.drain()).toMatchObject({ nextOffset: 3, received: 2, folded: 1 });
    // An empty drain keeps the position.
    expect(pipeline.drain()).toMatchObject({ nextOffset: 3, received: 0 });
  });

  it('reports the next offset after the last record when the source gives offsets (Kafka)', () => {
    const pipeline = new Pipeline(OPTIONS);
    pipeline.ingestLine(line(NOW - 1000), NOW, 40);
    pipeline.ingestLine('{bad', NOW, 41);
    // Offsets may have gaps (compaction, transaction markers): the last one counts.
    pipeline.ingestLine(line(NOW - 900), NOW, 45);
    expect(pipeline.drain()).toMatchObject({
      nextOffset: 46,
      received: 3,
      folded: 2,
      quarantined: [{ reason: 'malformed_json' }],
    });
    expect(pipeline.drain().nextOffset).toBe(46);
  });

  it('resumes from a stored position: offset and watermark', () => {
    const watermark = NOW - 10_000;
    const pipeline = new Pipeline({ ...OPTIONS, resumeFrom: { nextOffset: 100, watermark } });
    const empty = pipeline.drain();
    expect(empty).toMatchObject({ nextOffset: 100, received: 0, watermark });

    // A window the stored watermark has already closed is late, as it was before the restart.
    pipeline.ingestLine(line(NOW - 5 * 60_000), NOW, 100);
    pipeline.ingestLine(line(NOW - 9000), NOW, 101);
    const drained = pipeline.drain();
    expect(drained).toMatchObject({ nextOffset: 102, received: 2, folded: 1 });
    expect(drained.quarantined.map((q) => q.reason)).toEqual(['late']);
    // NOW - 9000 is older than the newest time behind the stored watermark: it stays.
    expect(drained.watermark).toBe(watermark);
    pipeline.ingestLine(line(NOW - 1000), NOW, 102);
    expect(pipeline.drain().watermark).toBe(NOW - 3000);
  });

  it('resumes without a watermark before the first valid event', () => {
    const pipeline = new Pipeline({ ...OPTIONS, resumeFrom: { nextOffset: 7, watermark: null } });
    expect(pipeline.drain()).toMatchObject({ nextOffset: 7, watermark: null });
  });
});

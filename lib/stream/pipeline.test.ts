import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Pipeline, type PipelineOptions } from './pipeline';
import { isWindowFinal } from './windows';

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

describe('Pipeline end of input (replay)', () => {
  const W = OPTIONS.windowMs;
  const L = 30_000;
  const opts: PipelineOptions = { ...OPTIONS, allowedLatenessMs: L };
  const at = Math.floor(NOW / W) * W; // a window start

  it('finish() closes every window with data: watermark = last window end + allowed lateness', () => {
    const pipeline = new Pipeline(opts);
    pipeline.ingestLine(line(at - W + 5), NOW);
    pipeline.ingestLine(line(at + 20_000), NOW);
    pipeline.ingestLine(line(at + 10_000), NOW);
    const watermark = pipeline.finish();
    expect(watermark).toBe(at + W + L);
    expect(isWindowFinal(at, W, L, watermark!)).toBe(true);
    expect(pipeline.drain().watermark).toBe(at + W + L);
    // An event for a closed window is now late; one in the next window is not.
    pipeline.ingestLine(line(at + 59_999), NOW);
    pipeline.ingestLine(line(at + W), NOW);
    expect(pipeline.drain()).toMatchObject({ folded: 1, quarantined: [{ reason: 'late' }] });
  });

  it('finish() is idempotent and a no-op before any event', () => {
    const empty = new Pipeline(opts);
    expect(empty.finish()).toBeNull();
    expect(empty.drain().watermark).toBeNull();

    const pipeline = new Pipeline(opts);
    pipeline.ingestLine(line(at + 1), NOW);
    const first = pipeline.finish();
    expect(pipeline.finish()).toBe(first);
  });

  it('finish() after a resume closes the windows of events folded before the restart', () => {
    const watermark = at + 40_000 - OPTIONS.outOfOrderMs;
    const pipeline = new Pipeline({ ...opts, resumeFrom: { nextOffset: 5, watermark } });
    expect(pipeline.newestEventTime()).toBe(at + 40_000);
    expect(pipeline.foldedEventTimes()).toBeNull();
    expect(pipeline.finish()).toBe(at + W + L);
  });

  it('property: after finish() every window of a folded event is final', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -3_600_000, max: 0 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 300_000 }),
        (offsets, lateness) => {
          const pipeline = new Pipeline({ ...OPTIONS, allowedLatenessMs: lateness });
          for (const offset of offsets) pipeline.ingestLine(line(NOW + offset), NOW);
          const watermark = pipeline.finish()!;
          const times = pipeline.foldedEventTimes()!;
          const newestStart = Math.floor(times.last / W) * W;
          expect(isWindowFinal(newestStart, W, lateness, watermark)).toBe(true);
          // …and not a window further: the watermark is the least that closes them all.
          expect(isWindowFinal(newestStart, W, lateness, watermark - 1)).toBe(false);
        },
      ),
    );
  });

  it('tracks the oldest and newest folded event time, and the clock', () => {
    const pipeline = new Pipeline(opts);
    expect(pipeline.newestEventTime()).toBeNull();
    pipeline.ingestLine(line(NOW - 5000), NOW);
    pipeline.ingestLine(line(NOW - 9000), NOW);
    pipeline.ingestLine('{bad', NOW);
    pipeline.drain();
    pipeline.ingestLine(line(NOW - 1000), NOW);
    expect(pipeline.foldedEventTimes()).toEqual({ first: NOW - 9000, last: NOW - 1000 });
    expect(pipeline.newestEventTime()).toBe(NOW - 1000);
  });

  it('reject() quarantines an unparseable record with its offset and keeps the accounting', () => {
    const pipeline = new Pipeline({ ...opts, resumeFrom: { nextOffset: 10, watermark: null } });
    pipeline.ingestLine(line(NOW - 1000), NOW);
    pipeline.reject('a,"b\u0000', 'malformed_json', 'csv line 3: Quote Not Closed');
    pipeline.reject('x'.repeat(5000), 'malformed_json', 'too wide', 40);
    const drained = pipeline.drain();
    expect(drained).toMatchObject({ received: 3, folded: 1, nextOffset: 41 });
    expect(drained.received).toBe(drained.folded + drained.quarantined.length);
    expect(drained.quarantined[0]).toMatchObject({
      reason: 'malformed_json',
      detail: 'csv line 3: Quote Not Closed',
      raw: 'a,"b\uFFFD',
      partition: 0,
      offset: 11,
    });
    expect(drained.quarantined[1]).toMatchObject({ offset: 40, rawSize: 5000 });
    expect(drained.quarantined[1]!.raw.length).toBe(2048);
  });
});

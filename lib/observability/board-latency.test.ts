import { describe, expect, it } from 'vitest';
import { joinWindows, percentile, summarize, withSection } from './board-latency';

const W = 2000;

describe('joinWindows', () => {
  it('joins each window with its first NOTIFY, first message and the update that showed it', () => {
    const windows = joinWindows({
      notices: [
        { windowStart: W, at: 10_000 },
        { windowStart: 2 * W, at: 12_000 },
        { windowStart: W, at: 15_000 }, // a revision by late data: later, ignored
      ],
      messages: [
        { windowStart: W, at: 10_020 },
        { windowStart: 2 * W, at: 12_030 },
      ],
      updates: [
        { windowStart: 2 * W, dom: 12_050, frame: 12_060, cards: 5 },
        { windowStart: W, dom: 10_040, frame: null, cards: 5 },
      ],
      from: 0,
    });
    expect(windows).toEqual([
      {
        windowStart: W,
        notified: 10_000,
        received: 10_020,
        shown: 10_040,
        frame: null,
        cards: 5,
        coalesced: false,
      },
      {
        windowStart: 2 * W,
        notified: 12_000,
        received: 12_030,
        shown: 12_050,
        frame: 12_060,
        cards: 5,
        coalesced: false,
      },
    ]);
  });

  it('counts a window shown together with a later one as shown then, and says so', () => {
    const windows = joinWindows({
      notices: [
        { windowStart: W, at: 100 },
        { windowStart: 2 * W, at: 110 },
      ],
      messages: [],
      updates: [{ windowStart: 2 * W, dom: 150, frame: 160, cards: 5 }],
      from: 0,
    });
    expect(windows.map((w) => [w.windowStart, w.shown, w.coalesced, w.received])).toEqual([
      [W, 150, true, null],
      [2 * W, 150, false, null],
    ]);
  });

  it('leaves out windows before `from` and windows not shown yet', () => {
    const windows = joinWindows({
      notices: [
        { windowStart: W, at: 100 },
        { windowStart: 2 * W, at: 200 },
        { windowStart: 3 * W, at: 300 },
      ],
      messages: [],
      updates: [{ windowStart: 2 * W, dom: 250, frame: 260, cards: 5 }],
      from: 2 * W,
    });
    expect(windows.map((w) => w.windowStart)).toEqual([2 * W]);
  });
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarizes n, p50, p99 and max', () => {
    expect(summarize([5, 1, 3])).toEqual({ n: 3, p50: 3, p99: 5, max: 5 });
    expect(summarize([]).n).toBe(0);
    expect(summarize([]).max).toBeNaN();
  });
});

describe('withSection', () => {
  const doc = '# Benchmarks\n\n## A\n\nold a\n\n## B\n\nold b\n';

  it('replaces the section up to the next heading', () => {
    expect(withSection(doc, '## A', '## A\n\nnew a')).toBe(
      '# Benchmarks\n\n## A\n\nnew a\n\n## B\n\nold b\n',
    );
  });

  it('replaces the last section up to the end', () => {
    expect(withSection(doc, '## B', '## B\n\nnew b\n')).toBe(
      '# Benchmarks\n\n## A\n\nold a\n\n## B\n\nnew b\n',
    );
  });

  it('appends a section the document lacks, and matches whole headings only', () => {
    expect(withSection(doc, '## A.', '## A.\n\nx')).toBe(`${doc}\n## A.\n\nx\n`);
  });
});

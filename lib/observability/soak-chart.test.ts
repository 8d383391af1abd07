import { describe, expect, it } from 'vitest';
import { niceTicks, renderSoakSvg } from './soak-chart';
import type { SoakSample } from './soak-report';

const sample = (minute: number, extra: Partial<SoakSample> = {}): SoakSample => ({
  elapsedMs: minute * 60_000,
  memoryMb: {
    supervisor: 80,
    web: 250 + minute,
    worker: 180,
    simulator: 90,
    postgres: 30,
    pg_backends: 40,
    other: 0,
  },
  backends: 9,
  lagSeconds: 2.5,
  flushP99Ms: minute === 0 ? null : 48,
  flushes: minute === 0 ? null : 72,
  dbBytes: (20 + minute) * 2 ** 20,
  folded: 120_000 * minute,
  quarantined: 450 * minute,
  eventsPerSec: minute === 0 ? null : 2000,
  scoringQueue: 0,
  ...extra,
});

describe('the chart', () => {
  it('picks round ticks', () => {
    expect(niceTicks(0, 60, 6)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(niceTicks(0, 3.2, 6)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(0, 2.5, 6)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });

  it('draws the chart on a white background, one line per kind of process and the DB size', () => {
    const svg = renderSoakSvg([sample(0), sample(1), sample(2)]);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<rect width="760" height="460" fill="#ffffff"/>');
    expect(svg.match(/<polyline /g)).toHaveLength(7); // six kinds of process + DB size
    expect(svg).toContain('pg backends (anon) 40');
    expect(svg).toContain('Database size (MB)');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // A single sample still shows a dot per line.
    expect(renderSoakSvg([sample(0)]).match(/<circle /g)).toHaveLength(7);
  });
});

import { describe, expect, it } from 'vitest';
import { parseExploreState } from '@/lib/explore/view-state';
import { pivotHref, pivotLabel, pivotRange } from './pivot';

const MIN = 60_000;
const T = Date.UTC(2026, 11, 5, 14, 0);
const span = {
  firstWindow: T,
  lastWindow: T + 4 * MIN,
  windowMs: MIN,
  updatedAt: T + 6 * MIN,
  points: [{ windowStart: T - 60 * MIN }, { windowStart: T + 20 * MIN }],
};
const range = pivotRange(span);

/** The explore state a pivot href opens. */
function opened(href: string) {
  const url = new URL(href, 'https://pulse.test');
  return { path: url.pathname, ...parseExploreState(url.searchParams) };
}

describe('pivotRange', () => {
  it('spans the anomaly with context either side, ending at the latest data, not the clock', () => {
    // 5 windows: 30 minutes either side; the end stops at the latest point (14:21).
    expect(range).toEqual({ from: String(T - 30 * MIN), to: String(T + 21 * MIN) });
    expect(pivotRange({ ...span, points: [] })).toEqual({
      from: String(T - 30 * MIN),
      to: String(T + 6 * MIN),
    });
  });
});

describe('pivotHref', () => {
  it('opens the explore page filtered to the slice, over the range', () => {
    const href = pivotHref('purchases', { region: 'eu-west' }, range)!;
    expect(href).toBe(`/metrics/purchases?from=${range.from}&to=${range.to}&filter=region:eu-west`);
    expect(opened(href)).toMatchObject({
      path: '/metrics/purchases',
      state: { filter: { region: 'eu-west' }, range },
      problems: [],
    });
  });

  it('filters on every dimension of a conjunction', () => {
    const href = pivotHref('purchases', { region: 'eu-west', device: 'android' }, range)!;
    expect(opened(href).state.filter).toEqual({ device: 'android', region: 'eu-west' });
  });

  it('carries any value safely: encoded in the URL, read back as it was', () => {
    const evil = 'a&filter=plan:pro#"><script>\u202e/../x?y=1 %2F';
    const href = pivotHref('we ird/key', { region: evil }, range)!;
    expect(href).not.toMatch(/[<>"#\s]/);
    expect(href.startsWith('/metrics/we%20ird%2Fkey?')).toBe(true);
    const { path, state, problems } = opened(href);
    expect(path).toBe('/metrics/we%20ird%2Fkey');
    expect(state.filter).toEqual({ region: evil });
    expect(problems).toEqual([]);
  });

  it('does not link what the explore page cannot filter on', () => {
    expect(pivotHref('m', { region: '(other)' }, range)).toBeNull();
    expect(pivotHref('m', { region: 'eu', device: '(none)' }, range)).toBeNull();
    expect(pivotHref('m', { 'Bad Name': 'x' }, range)).toBeNull();
    expect(pivotHref('m', { region: 'x'.repeat(129) }, range)).toBeNull();
    expect(pivotHref('m', {}, range)).toBeNull();
  });
});

describe('pivotLabel', () => {
  it('names the metric and the slice, with controls made visible', () => {
    expect(pivotLabel('Purchases', { region: 'eu-west' })).toBe(
      'Show Purchases for region=eu-west',
    );
    expect(pivotLabel('Purchases', { region: 'eu-west', device: 'android' })).toBe(
      'Show Purchases for region=eu-west AND device=android',
    );
    expect(pivotLabel('P', { region: '\u202egnp' })).toBe('Show P for region=⟨U+202E⟩gnp');
  });
});

/**
 * A page's query as the server component receives it (Next's searchParams object), made a
 * URLSearchParams again, and the time range of the pages that show one besides the explore
 * page (the board, a drill-down).
 */
import { resolveRange } from '@/lib/explore/time-range';
import { parseRangeState, type PageRange } from '@/lib/explore/view-state';

export type SearchParams = Record<string, string | string[] | undefined>;

export function toSearchParams(raw: SearchParams): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(raw)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      params.append(name, v);
    }
  }
  return params;
}

/**
 * The URL's range resolved at `now`, or null for the page's own default (none given, or one
 * that does not resolve: too long, backwards… — said in `problems`, and the range dropped from
 * the state so the picker shows the default that is drawn).
 */
export function readPageRange(
  query: URLSearchParams,
  now = Date.now(),
): { view: PageRange; range: { from: number; to: number } | null } {
  const { state, problems } = parseRangeState(query);
  if (state.range === null) return { view: { ...state, problems, now }, range: null };
  const resolved = resolveRange(state.range, now);
  if (resolved.ok) {
    return {
      view: { ...state, problems, now },
      range: { from: resolved.from, to: resolved.to },
    };
  }
  return {
    view: { range: null, tz: state.tz, problems: [...problems, resolved.error], now },
    range: null,
  };
}

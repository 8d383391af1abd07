/**
 * The explore page's state, kept in its URL so that a view can be shared, bookmarked and
 * reloaded: `/metrics/checkout_errors?from=now-24h&split=region&filter=device:ios`. Pure.
 *
 * The URL is text anyone can write. Parsing never throws and never echoes it: a parameter that
 * does not parse falls back to its default and is named in a plain sentence. Filter values are
 * carried as they are, never interpreted: they only ever travel to the query as parameters and
 * to the page as text to show.
 */
import { EVENT_LIMITS } from '@/lib/ingest/contract';
import { isStorableText } from '@/lib/ingest/text';
import {
  DEFAULT_RANGE,
  MAX_RANGE_MS,
  TIME_EXPR_FORMS,
  absoluteSpec,
  parseTimeExpr,
  type RangeSpec,
  type TimeZoneMode,
} from './time-range';

export type Compare = 'off' | '1d' | '1w';

export interface ExploreState {
  range: RangeSpec;
  /** Default 'local'. */
  tz: TimeZoneMode;
  /** A dimension name to split by. */
  split: string | null;
  /** Top N values when split, default 5, allowed 1..20. */
  top: number;
  /** dim -> one value (a slice); at most {@link MAX_FILTERS} dims. */
  filter: Record<string, string>;
  /** Default 'off'. */
  compare: Compare;
}

export const MIN_TOP = 1;
export const MAX_TOP = 20;
export const MAX_FILTERS = 8;

/** Frozen, nested objects too: a caller that edits a parsed state must never edit this. */
export const DEFAULT_STATE: ExploreState = Object.freeze({
  range: DEFAULT_RANGE,
  tz: 'local',
  split: null,
  top: 5,
  filter: Object.freeze({}),
  compare: 'off',
} satisfies ExploreState);

const TIME_ZONES: readonly TimeZoneMode[] = ['local', 'utc'];
const COMPARES: readonly Compare[] = ['off', '1d', '1w'];
const TOP = /^[1-9]\d?$/;

/** Derived from the contract's pattern, so the message stays true if the pattern changes. */
const DIMENSION_FORM = `matching ${EVENT_LIMITS.keyPattern.source}`;

/** True when `name` can be a dimension's name (the event contract's pattern). */
export function isDimensionName(name: string): boolean {
  return EVENT_LIMITS.keyPattern.test(name);
}

/**
 * True when `value` can be a dimension's value: what the event contract accepts, so a filter
 * that could never match is refused here rather than sent to the database (which would refuse
 * a NUL outright).
 */
export function isDimensionValue(value: string): boolean {
  return (
    value.length > 0 && value.length <= EVENT_LIMITS.maxDimValueLength && isStorableText(value)
  );
}

/** The state every page with a time axis keeps in its URL: `from`, `to` and `tz`. */
export interface RangeState {
  /** Null: neither `from` nor `to` is in the URL, and the page shows its own default. */
  range: RangeSpec | null;
  tz: TimeZoneMode;
}

/** What a page with a range tells its client component: the state and what was wrong with it. */
export interface PageRange extends RangeState {
  /** Plain sentences naming each parameter that was ignored. */
  problems: string[];
  /** The instant the range was resolved at (relative ranges move with it). */
  now: number;
}

function paramReader(params: URLSearchParams) {
  return (name: string): string | null => {
    const value = params.get(name);
    return value === null || value === '' ? null : value;
  };
}

function readRange(
  get: (name: string) => string | null,
  problems: string[],
  fallback: RangeSpec = DEFAULT_RANGE,
): { range: RangeSpec; tz: TimeZoneMode; given: boolean } {
  const fromText = get('from');
  const toText = get('to');
  const from = fromText ?? fallback.from;
  const to = toText ?? fallback.to;
  // The syntax does not depend on now, so any instant will do to check it.
  const fromOk = parseTimeExpr(from, 0) !== null;
  const toOk = parseTimeExpr(to, 0) !== null;
  if (!fromOk) problems.push(`The parameter from is not a time: use ${TIME_EXPR_FORMS}.`);
  if (!toOk) problems.push(`The parameter to is not a time: use ${TIME_EXPR_FORMS}.`);
  const valid = fromOk && toOk;
  const range = valid ? { from, to } : { ...fallback };

  let tz = DEFAULT_STATE.tz;
  const tzText = get('tz');
  if (tzText !== null) {
    if (TIME_ZONES.includes(tzText as TimeZoneMode)) tz = tzText as TimeZoneMode;
    else problems.push('The parameter tz must be local or utc.');
  }
  return { range, tz, given: valid && (fromText !== null || toText !== null) };
}

/**
 * The time range and zone of a page other than the explore page (the board, a drill-down), by
 * the same rules as {@link parseExploreState}: never throws, never echoes, and names each bad
 * parameter in `problems`. `range` is null when the URL has neither end (or an end that is not
 * a time), so the page shows its own default; one end alone takes the other from `fallback`.
 */
export function parseRangeState(
  params: URLSearchParams,
  fallback: RangeSpec = DEFAULT_RANGE,
): { state: RangeState; problems: string[] } {
  const problems: string[] = [];
  const { range, tz, given } = readRange(paramReader(params), problems, fallback);
  return { state: { range: given ? range : null, tz }, problems };
}

/**
 * `path` with the range state in its query (`from`, `to`, then `tz`; each omitted when absent
 * or the default), written as {@link exploreQuery} writes them.
 */
export function rangeHref(path: string, state: RangeState): string {
  const pairs: [string, string][] = [];
  if (state.range) pairs.push(['from', state.range.from], ['to', state.range.to]);
  if (state.tz !== DEFAULT_STATE.tz) pairs.push(['tz', state.tz]);
  const query = pairs.map(([name, value]) => `${name}=${encodeParam(value)}`).join('&');
  return query === '' ? path : `${path}?${query}`;
}

/**
 * Parses URLSearchParams-like input (first value per name; every `filter`). Never throws:
 * invalid parameters fall back to defaults and are listed in `problems` (one plain sentence
 * each, naming the parameter). An empty parameter (`split=`, as a cleared form field sends it)
 * counts as absent; unknown parameters are ignored.
 *
 * `from` and `to` are checked one by one (each must be an expression); if either is not, the
 * whole range falls back to the default, since half of it alone rarely makes a range. Whether
 * they make a valid range together depends on now: {@link resolveRange} decides that.
 */
export function parseExploreState(params: URLSearchParams): {
  state: ExploreState;
  problems: string[];
} {
  const problems: string[] = [];
  const get = paramReader(params);
  const { range, tz } = readRange(get, problems);

  let split: string | null = null;
  const splitText = get('split');
  if (splitText !== null) {
    if (isDimensionName(splitText)) split = splitText;
    else problems.push(`The parameter split must be a dimension name (${DIMENSION_FORM}).`);
  }

  let top = DEFAULT_STATE.top;
  const topText = get('top');
  if (topText !== null) {
    if (TOP.test(topText) && Number(topText) <= MAX_TOP) top = Number(topText);
    else problems.push(`The parameter top must be a whole number from ${MIN_TOP} to ${MAX_TOP}.`);
  }

  const filter = parseFilters(params.getAll('filter'), problems);

  let compare = DEFAULT_STATE.compare;
  const compareText = get('compare');
  if (compareText !== null) {
    if (COMPARES.includes(compareText as Compare)) compare = compareText as Compare;
    else problems.push('The parameter compare must be off, 1d or 1w.');
  }

  return { state: { range, tz, split, top, filter, compare }, problems };
}

/** Every `filter=<dim>:<value>`: split at the first ':' (a name has none, a value may). */
function parseFilters(texts: readonly string[], problems: string[]): Record<string, string> {
  // A Map, not an object: a name such as "constructor" must not find Object.prototype's.
  const filters = new Map<string, string>();
  let dropped = 0;
  for (const text of texts) {
    if (text === '') continue;
    const colon = text.indexOf(':');
    const dim = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + 1);
    if (colon < 0 || !isDimensionName(dim)) {
      problems.push(
        `The parameter filter must be a dimension name (${DIMENSION_FORM}), a colon and a value.`,
      );
    } else if (!isDimensionValue(value)) {
      problems.push(
        `The parameter filter for ${dim} needs a value of 1 to ${EVENT_LIMITS.maxDimValueLength} ` +
          'characters without NUL.',
      );
    } else if (filters.has(dim)) {
      problems.push(`The parameter filter names ${dim} more than once; the first is kept.`);
    } else if (filters.size >= MAX_FILTERS) {
      dropped++;
    } else {
      filters.set(dim, value);
    }
  }
  if (dropped > 0) {
    problems.push(
      `The parameter filter may name at most ${MAX_FILTERS} dimensions; ${dropped} more were ignored.`,
    );
  }
  return Object.fromEntries([...filters].sort(([a], [b]) => compareNames(a, b)));
}

/** Code-unit order, not the locale's: the URL must be the same wherever it is written. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Like encodeURIComponent, but leaves ':' and '/' (legal in a query) readable, as in
 * `from=2026-12-05T10:00:00Z` and `filter=region:eu-west`. A lone surrogate, which
 * encodeURIComponent throws on, becomes U+FFFD as URLSearchParams would write it.
 */
function encodeParam(text: string): string {
  const wellFormed = isStorableText(text) ? text : text.replace(LONE_SURROGATE, '\uFFFD');
  return encodeURIComponent(wellFormed).replace(/%3A/g, ':').replace(/%2F/g, '/');
}

/**
 * The query string (without '?') for a state, omitting defaults, in a stable order: from, to,
 * tz, split, top, filter (sorted by dim), compare. Round-trips through
 * {@link parseExploreState} for any state it accepts. `from` and `to` are omitted one by one
 * when each equals the default's.
 */
export function exploreQuery(state: ExploreState): string {
  const pairs: [string, string][] = [];
  if (state.range.from !== DEFAULT_RANGE.from) pairs.push(['from', state.range.from]);
  if (state.range.to !== DEFAULT_RANGE.to) pairs.push(['to', state.range.to]);
  if (state.tz !== DEFAULT_STATE.tz) pairs.push(['tz', state.tz]);
  if (state.split !== null) pairs.push(['split', state.split]);
  if (state.top !== DEFAULT_STATE.top) pairs.push(['top', String(state.top)]);
  const filters = Object.entries(state.filter).sort(([a], [b]) => compareNames(a, b));
  for (const [dim, value] of filters) pairs.push(['filter', `${dim}:${value}`]);
  if (state.compare !== DEFAULT_STATE.compare) pairs.push(['compare', state.compare]);
  return pairs.map(([name, value]) => `${name}=${encodeParam(value)}`).join('&');
}

/**
 * Link to a metric's explore page: `/metrics/<encoded key>?<query>` (no '?' when the query is
 * empty). Partial states merge over {@link DEFAULT_STATE}.
 */
export function exploreHref(metricKey: string, state: Partial<ExploreState> = {}): string {
  // `{ split: undefined }` type-checks as a Partial; it means "the default", not undefined.
  const given = Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined));
  const query = exploreQuery({ ...DEFAULT_STATE, ...given });
  const path = `/metrics/${encodeURIComponent(metricKey)}`;
  return query === '' ? path : `${path}?${query}`;
}

const MINUTE_MS = 60_000;
/** The least context either side of an anomaly: enough windows to see the level it left. */
const MIN_PADDING_MS = 30 * MINUTE_MS;

/**
 * A range around an anomaly for pivot links, as absolute epoch-ms specs: from its first window
 * start minus a padding to its last window's end plus the padding, where the padding is
 * max(30 min, 3 × the anomaly's length). The end stops at now (there is nothing later to see;
 * for an open anomaly, pass the end of its latest window and the range ends at now). Longer than
 * {@link MAX_RANGE_MS}, the padding shrinks evenly; an anomaly longer than that alone gets its
 * latest 90 days.
 */
export function rangeAround(firstWindow: number, lastWindowEnd: number, now: number): RangeSpec {
  const length = Math.max(0, lastWindowEnd - firstWindow);
  if (length >= MAX_RANGE_MS) return absoluteSpec(lastWindowEnd - MAX_RANGE_MS, lastWindowEnd);
  const padding = Math.min(Math.max(MIN_PADDING_MS, 3 * length), (MAX_RANGE_MS - length) / 2);
  const from = firstWindow - padding;
  const to = Math.max(lastWindowEnd, Math.min(lastWindowEnd + padding, now));
  return absoluteSpec(from, to);
}

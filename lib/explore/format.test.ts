import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';

/*
 * 'local' means the runtime's zone. Node re-reads TZ when it is assigned, and the module's
 * formatters are made on first use, so setting it before this file loads the module pins 'local'
 * to New York (which has daylight saving time: EST in December, EDT in July). Unit files share
 * their worker's modules (vitest.config.ts, isolate: false), so the module is loaded afresh
 * here, after TZ is set, and dropped again with TZ restored for whatever runs next.
 */
const savedTz = process.env.TZ;
process.env.TZ = 'America/New_York';
vi.resetModules();
const { axisFormatter, formatInZone, zoneLabel } = await import('./format');
const { describeRange } = await import('./time-range');
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
  vi.resetModules();
});

const DEC_5 = Date.UTC(2026, 11, 5, 14, 3, 7, 250);
const JUL_1 = Date.UTC(2026, 6, 1, 12, 0);

describe('formatInZone in UTC', () => {
  it.each([
    ['time', {}, '14:03'],
    ['time', { seconds: true }, '14:03:07'],
    ['datetime', {}, 'Dec 5, 14:03'],
    ['datetime', { seconds: true, year: true }, 'Dec 5, 2026, 14:03:07'],
    ['date', {}, 'Dec 5'],
    ['date', { year: true }, 'Dec 5, 2026'],
    ['datetime', { zoneName: true }, 'Dec 5, 14:03 UTC'],
    ['time', { zoneName: true, seconds: true }, '14:03:07 UTC'],
  ] as const)('%s %o → %s', (style, opts, expected) => {
    expect(formatInZone(DEC_5, 'utc', style, opts)).toBe(expected);
  });

  it('writes the hour after midnight as 00, not 24', () => {
    expect(formatInZone(Date.UTC(2026, 0, 1, 0, 5), 'utc', 'datetime')).toBe('Jan 1, 00:05');
  });

  it('says "Invalid date" for an instant a Date cannot hold, instead of throwing', () => {
    expect(formatInZone(NaN, 'utc', 'time')).toBe('Invalid date');
    expect(formatInZone(Infinity, 'local', 'date')).toBe('Invalid date');
    expect(formatInZone(9e15, 'utc', 'datetime')).toBe('Invalid date');
  });

  it('agrees with toISOString on every field', () => {
    const months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }), (ms) => {
        const iso = new Date(ms).toISOString();
        const [y, mo, d, h, mi, s] = iso.match(/\d+/g)!;
        const expected = `${months[Number(mo) - 1]} ${Number(d)}, ${y}, ${h}:${mi}:${s} UTC`;
        const options = { seconds: true, year: true, zoneName: true };
        expect(formatInZone(ms, 'utc', 'datetime', options)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('formatInZone in the local zone', () => {
  it('shows the local time with the zone short name, following daylight saving time', () => {
    expect(formatInZone(DEC_5, 'local', 'datetime', { zoneName: true })).toBe('Dec 5, 09:03 EST');
    expect(formatInZone(JUL_1, 'local', 'time', { zoneName: true })).toBe('08:00 EDT');
  });

  it('changes the date when the zone is on the other side of midnight', () => {
    const early = Date.UTC(2026, 11, 5, 2, 0);
    expect(formatInZone(early, 'utc', 'date')).toBe('Dec 5');
    expect(formatInZone(early, 'local', 'date')).toBe('Dec 4');
  });

  it('names the zone at both ends of a range across a daylight-saving change', () => {
    const spec = { from: '2026-03-07T12:00:00Z', to: '2026-03-09T12:00:00Z' };
    expect(describeRange(spec, DEC_5, 'local')).toBe('Mar 7, 07:00 EST – Mar 9, 08:00 EDT');
    expect(describeRange(spec, DEC_5, 'utc')).toBe('Mar 7, 12:00 – Mar 9, 12:00 UTC');
    const within = { from: '2026-12-05T12:00:00Z', to: '2026-12-05T13:00:00Z' };
    expect(describeRange(within, DEC_5, 'local')).toBe('Dec 5, 07:00 – 08:00 EST');
  });

  it('names the zone for a legend', () => {
    expect(zoneLabel('utc', DEC_5)).toBe('UTC');
    expect(zoneLabel('local', DEC_5)).toBe('EST');
    expect(zoneLabel('local', JUL_1)).toBe('EDT');
    expect(zoneLabel('local', NaN)).toBe('');
  });
});

describe('axisFormatter', () => {
  const MIN = 60_000;
  const DAY = 24 * 60 * MIN;

  it.each([
    [MIN, '14:03:07'],
    [10 * MIN, '14:03:07'],
    [10 * MIN + 1, '14:03'],
    [DAY, '14:03'],
    [DAY + 1, 'Dec 5, 14:03'],
    [7 * DAY, 'Dec 5, 14:03'],
    [7 * DAY + 1, 'Dec 5'],
    [90 * DAY, 'Dec 5'],
  ])('a span of %d ms labels a tick %s', (span, expected) => {
    expect(axisFormatter(span, 'utc')(DEC_5)).toBe(expected);
  });

  it('labels in the chosen zone', () => {
    expect(axisFormatter(DAY, 'local')(DEC_5)).toBe('09:03');
  });
});

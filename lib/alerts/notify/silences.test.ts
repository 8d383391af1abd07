import { describe, expect, it } from 'vitest';
import { Silence, activeSilences, isSilenced, silenceMatches, silencedUntil } from './silences';
import { T0, anomaly, incidentSnapshot } from './testing';

const H = 3_600_000;
const incident = incidentSnapshot(); // critical, region=eu-west, purchases + revenue + conversion

const silence = (matchers: unknown, startsAt = T0 - H, endsAt = T0 + H) =>
  Silence.parse({
    matchers,
    createdBy: 'ana',
    comment: 'eu-west maintenance',
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
  });

describe('silenceMatches', () => {
  it('cause: the incident cause holds every pair; a narrower cause is silenced too', () => {
    const s = silence({ cause: { region: 'eu-west' } });
    expect(silenceMatches(s.matchers, incident)).toBe(true);
    const narrower = incidentSnapshot({
      cause: [
        { dimension: 'device', value: 'ios' },
        { dimension: 'region', value: 'eu-west' },
      ],
    });
    expect(silenceMatches(s.matchers, narrower)).toBe(true);
    expect(silenceMatches(s.matchers, incidentSnapshot({ cause: [] }))).toBe(false);
    const wider = silence({ cause: { region: 'eu-west', device: 'ios' } });
    expect(silenceMatches(wider.matchers, incident)).toBe(false);
  });

  it('metrics: every anomaly must be on a silenced metric', () => {
    expect(silenceMatches(silence({ metrics: 'revenue' }).matchers, incident)).toBe(false);
    expect(
      silenceMatches(silence({ metrics: ['revenue', 'purchases', 'conv*'] }).matchers, incident),
    ).toBe(true);
    const grown = incidentSnapshot({ anomalies: [anomaly({ key: 'revenue' })] });
    expect(silenceMatches(silence({ metrics: 'rev*' }).matchers, grown)).toBe(true);
    expect(silenceMatches(silence({ metrics: '*' }).matchers, { ...grown, anomalies: [] })).toBe(
      false,
    );
  });

  it('severity: one of the listed', () => {
    expect(silenceMatches(silence({ severity: 'warn' }).matchers, incident)).toBe(false);
    expect(silenceMatches(silence({ severity: ['warn', 'critical'] }).matchers, incident)).toBe(
      true,
    );
  });

  it('all matchers must hold', () => {
    const s = silence({ severity: 'critical', cause: { region: 'us-east' } });
    expect(silenceMatches(s.matchers, incident)).toBe(false);
  });
});

describe('time', () => {
  it('active from startsAt inclusive to endsAt exclusive', () => {
    const s = silence({ cause: { region: 'eu-west' } }, T0, T0 + H);
    expect(isSilenced(incident, [s], T0 - 1)).toBe(false);
    expect(isSilenced(incident, [s], T0)).toBe(true);
    expect(isSilenced(incident, [s], T0 + H - 1)).toBe(true);
    expect(isSilenced(incident, [s], T0 + H)).toBe(false);
  });

  it('activeSilences lists the ones that apply', () => {
    const a = silence({ severity: 'critical' });
    const b = silence({ severity: 'warn' });
    const c = silence({ severity: 'critical' }, T0 + H, T0 + 2 * H);
    expect(activeSilences(incident, [a, b, c], T0)).toEqual([a]);
  });

  it('silencedUntil follows chained and overlapping silences, and ignores gaps', () => {
    const m = { cause: { region: 'eu-west' } };
    const a = silence(m, T0 - H, T0 + H);
    const b = silence(m, T0 + H, T0 + 3 * H); // starts as a ends
    const c = silence(m, T0 + 2 * H, T0 + 4 * H); // overlaps b
    const gap = silence(m, T0 + 5 * H, T0 + 9 * H);
    const other = silence({ cause: { region: 'us-east' } }, T0, T0 + 20 * H);
    expect(silencedUntil(incident, [gap, c, other, b, a], T0)).toBe(T0 + 4 * H);
    expect(silencedUntil(incident, [b, c], T0)).toBeNull();
    expect(silencedUntil(incident, [], T0)).toBeNull();
  });
});

describe('the Silence schema', () => {
  const messages = (value: unknown) => {
    const parsed = Silence.safeParse(value);
    return parsed.success
      ? []
      : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const base = {
    matchers: { severity: 'warn' },
    createdBy: 'ana',
    comment: 'deploy',
    startsAt: '2026-01-15T12:00:00Z',
    endsAt: '2026-01-15T15:00:00+02:00',
  };

  it('reads ISO times with an offset into epoch ms', () => {
    expect(Silence.parse(base)).toMatchObject({
      startsAt: T0,
      endsAt: T0 + H,
      matchers: { severity: ['warn'] },
    });
  });

  it('refuses what would mute everything, or forever, or nothing', () => {
    expect(messages({ ...base, matchers: {} })).toEqual([
      'matchers: expected at least one matcher (metrics, severity or cause)',
    ]);
    expect(messages({ ...base, endsAt: '2026-01-15T14:00:00+02:00' })).toEqual([
      'endsAt: expected a time after startsAt',
    ]);
    expect(messages({ ...base, endsAt: '2026-09-15T12:00:00Z' })).toEqual([
      'endsAt: expected a silence of at most 90 days',
    ]);
    expect(messages({ ...base, comment: '' })).toEqual([
      'comment: expected why, got an empty string',
    ]);
    expect(messages({ ...base, startsAt: 'tomorrow' })[0]).toMatch(/^startsAt: expected an ISO/);
  });
});

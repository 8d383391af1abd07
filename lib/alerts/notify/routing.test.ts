import { describe, expect, it } from 'vitest';
import { Route, Routing, channelsForNotification, routeIncident, routeMatches } from './routing';
import { incidentSnapshot, anomaly } from './testing';

const critical = incidentSnapshot();
const warnCheckout = incidentSnapshot({
  severity: 'warn',
  cause: [
    { dimension: 'region', value: 'us-east' },
    { dimension: 'device', value: 'ios' },
  ],
  anomalies: [anomaly({ key: 'checkout_latency', severity: 'warn' })],
});

const routing = Routing.parse({
  routes: [
    { name: 'pager', match: { minSeverity: 'critical', metrics: ['revenue*'] }, channels: 'pager' },
    { match: { minSeverity: 'warn' }, channels: ['slack'] },
  ],
  defaultChannels: ['email'],
});

describe('routeMatches', () => {
  it('minSeverity: warn matches all, critical only critical', () => {
    expect(routeMatches({ minSeverity: 'warn' }, warnCheckout)).toBe(true);
    expect(routeMatches({ minSeverity: 'critical' }, warnCheckout)).toBe(false);
    expect(routeMatches({ minSeverity: 'critical' }, critical)).toBe(true);
  });

  it('metrics: any anomaly on a matching key', () => {
    expect(routeMatches({ metrics: ['revenue*'] }, critical)).toBe(true);
    expect(routeMatches({ metrics: ['revenue*'] }, warnCheckout)).toBe(false);
    expect(routeMatches({ metrics: ['nope', '*latency'] }, warnCheckout)).toBe(true);
  });

  it('cause: every pair held by the incident cause, values as globs', () => {
    expect(routeMatches({ cause: { region: 'eu-west' } }, critical)).toBe(true);
    expect(routeMatches({ cause: { region: 'eu-*' } }, critical)).toBe(true);
    expect(routeMatches({ cause: { region: 'us-east', device: 'ios' } }, warnCheckout)).toBe(true);
    expect(routeMatches({ cause: { region: 'us-east', device: 'android' } }, warnCheckout)).toBe(
      false,
    );
    expect(routeMatches({ cause: { region: '*' } }, incidentSnapshot({ cause: [] }))).toBe(false);
  });

  it('no condition matches everything', () => {
    expect(routeMatches({}, warnCheckout)).toBe(true);
  });
});

describe('routeIncident', () => {
  it('first match wins', () => {
    expect(routeIncident(critical, routing)).toEqual({ channels: ['pager'], matched: [0] });
    expect(routeIncident(warnCheckout, routing)).toEqual({ channels: ['slack'], matched: [1] });
  });

  it('continue: later matches add their channels, deduplicated', () => {
    const both = Routing.parse({
      routes: [
        { match: { minSeverity: 'critical' }, channels: ['pager', 'slack'], continue: true },
        { match: { cause: { region: 'eu-west' } }, channels: ['slack', 'eu-team'] },
        { channels: ['never'] },
      ],
    });
    expect(routeIncident(critical, both)).toEqual({
      channels: ['pager', 'slack', 'eu-team'],
      matched: [0, 1],
    });
  });

  it('the default takes what no route matched; a matched continue route is a match', () => {
    const r = Routing.parse({
      routes: [{ match: { minSeverity: 'critical' }, channels: ['pager'], continue: true }],
      defaultChannels: 'email',
    });
    expect(routeIncident(critical, r).channels).toEqual(['pager']);
    expect(routeIncident(warnCheckout, r)).toEqual({ channels: ['email'], matched: [] });
    expect(routeIncident(warnCheckout, Routing.parse({}))).toEqual({ channels: [], matched: [] });
  });
});

describe('channelsForNotification', () => {
  it('acknowledge and resolve also reach every channel already told', () => {
    expect(channelsForNotification('resolve', warnCheckout, routing, ['pager'])).toEqual([
      'slack',
      'pager',
    ]);
    expect(channelsForNotification('acknowledge', warnCheckout, routing, ['slack'])).toEqual([
      'slack',
    ]);
    expect(channelsForNotification('remind', warnCheckout, routing, ['pager'])).toEqual(['slack']);
  });
});

describe('the Route schema', () => {
  const paths = (value: unknown) => {
    const parsed = Route.safeParse(value);
    return parsed.success
      ? []
      : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('fills defaults and accepts single values for lists', () => {
    expect(Route.parse({ channels: 'slack' })).toEqual({
      match: {},
      channels: ['slack'],
      continue: false,
    });
  });

  it('names what is wrong', () => {
    expect(paths({ channels: [] })).toEqual(['channels: expected at least one']);
    expect(paths({ channels: ['Slack!'] })[0]).toMatch(/^channels\.0: expected a channel id/);
    expect(paths({ channels: ['a'], match: { minSeverity: 'info' } })).toEqual([
      'match.minSeverity: expected warn or critical',
    ]);
    expect(paths({ channels: ['a'], match: { cause: {} } })).toEqual([
      'match.cause: expected at least one dimension: value pair',
    ]);
    expect(paths({ channels: ['a'], match: { metrics: ['ok', 'bad\u202e'] } })[0]).toMatch(
      /^match\.metrics\.1: Must not contain bidirectional/,
    );
    expect(paths({ channels: ['a'], extra: 1 })[0]).toMatch(/extra/);
  });
});

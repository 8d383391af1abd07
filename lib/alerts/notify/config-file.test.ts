import { describe, expect, it } from 'vitest';
import { NotifyConfigError, formatPath, parseNotifyConfig, webhookShortcut } from './config-file';

const env = { PAGER_SECRET: 'p'.repeat(32), SLACK_TOKEN: 'T0/B0/xyz', EMPTY: '' };
const file = {
  channels: [
    {
      id: 'pager',
      type: 'webhook',
      url: 'https://pager.example.com/hook',
      secret: '${PAGER_SECRET}',
    },
    { id: 'team', type: 'slack', webhookUrl: 'https://hooks.slack.com/services/${SLACK_TOKEN}' },
    {
      id: 'oncall',
      type: 'email',
      to: 'oncall@example.com',
      from: 'pulse@example.com',
      smtp: 'smtp://mail.example.com:587',
    },
  ],
  routes: [
    {
      match: { minSeverity: 'critical', metrics: ['revenue*'] },
      channels: ['pager'],
      continue: true,
    },
    { match: { minSeverity: 'warn' }, channels: 'team' },
  ],
  defaultChannels: ['oncall'],
  silences: [
    {
      matchers: { cause: { region: 'eu-west' } },
      createdBy: 'ana',
      comment: 'maintenance',
      startsAt: '2026-01-15T12:00:00Z',
      endsAt: '2026-01-15T14:00:00Z',
    },
  ],
  schedule: { groupWait: '10s', repeatInterval: '1h' },
};

function problems(input: unknown, e: Record<string, string | undefined> = env): string[] {
  try {
    parseNotifyConfig(input, e);
    return [];
  } catch (error) {
    if (error instanceof NotifyConfigError) return error.problems;
    throw error;
  }
}

describe('parseNotifyConfig', () => {
  it('reads a whole file, resolving secret references', () => {
    const config = parseNotifyConfig(file, env);
    expect(config.channels[0]).toEqual({
      id: 'pager',
      type: 'webhook',
      url: 'https://pager.example.com/hook',
      secret: 'p'.repeat(32),
    });
    expect(config.channels[1]).toMatchObject({
      webhookUrl: 'https://hooks.slack.com/services/T0/B0/xyz',
    });
    expect(config.channels[2]).toMatchObject({ to: ['oncall@example.com'] });
    expect(config.routes[1]).toEqual({
      match: { minSeverity: 'warn' },
      channels: ['team'],
      continue: false,
    });
    expect(config.silences[0]?.startsAt).toBe(Date.UTC(2026, 0, 15, 12));
    expect(config.schedule).toEqual({ groupWaitMs: 10_000, repeatIntervalMs: 3_600_000 });
  });

  it('an empty file is valid: nothing is sent, the schedule left to the variables', () => {
    expect(parseNotifyConfig(null, {})).toEqual({
      channels: [],
      routes: [],
      defaultChannels: [],
      silences: [],
      schedule: {},
    });
  });

  it('names the path of each problem', () => {
    const bad = {
      channels: [
        { id: 'pager', type: 'webhook', url: 'ftp://x', secret: 'short' },
        { id: 'pager', type: 'slack', webhookUrl: 'http://hooks.slack.com/x' },
        {
          id: 'mail',
          type: 'email',
          to: ['not an address'],
          from: 'a@b.co',
          smtp: 'mail.example.com',
        },
        { id: 'x', type: 'sms' },
      ],
      routes: [{ channels: ['pager', 'nobody'], match: { minSeverity: 'info' } }],
      defaultChannels: ['ghost'],
      schedule: { groupWait: 'soon' },
    };
    expect(problems(bad)).toEqual([
      'channels[0].url: expected an http(s) URL',
      'channels[0].secret: expected a secret of at least 16 characters',
      'channels[1].webhookUrl: expected an https URL',
      'channels[2].to[0]: expected an email address, such as oncall@example.com',
      'channels[2].smtp: expected an SMTP URL, such as smtp://user:password@mail.example.com:587',
      'channels[3].type: expected a channel with type webhook, slack or email',
      'routes[0].match.minSeverity: expected warn or critical',
      'schedule.groupWait: expected a duration such as 30s, 5m or 4h, got "soon"',
    ]);
  });

  it('checks references between channels and routes once the parts are valid', () => {
    expect(
      problems({
        channels: [file.channels[0], { ...file.channels[1], id: 'pager' }],
        routes: [{ channels: ['pager', 'nobody'] }],
        defaultChannels: 'ghost',
      }),
    ).toEqual([
      'channels[1].id: channel id "pager" is already used by channels[0]',
      'routes[0].channels[1]: no channel has the id "nobody"',
      'defaultChannels[0]: no channel has the id "ghost"',
    ]);
  });

  it('an unset or empty variable is named', () => {
    const channels = [
      { ...file.channels[0], secret: '${MISSING}' },
      { ...file.channels[1], webhookUrl: '${EMPTY}' },
    ];
    expect(problems({ channels })).toEqual([
      'channels[0].secret: the environment variable MISSING is not set',
      'channels[1].webhookUrl: the environment variable EMPTY is not set',
    ]);
  });

  it('references are resolved only in credential fields', () => {
    expect(problems({ routes: [{ name: '${PAGER_SECRET}', channels: [] }] })).toEqual([
      'routes[0].channels: expected at least one',
    ]);
  });

  it('unknown fields and wrong shapes are refused by name', () => {
    expect(problems({ channel: [] })[0]).toMatch(/^\(file\): .*channel/);
    expect(problems({ channels: {} })[0]).toMatch(/^channels: /);
    expect(problems('text')[0]).toMatch(/^\(file\): /);
  });

  it('the error message lists every problem under the source', () => {
    expect(() => parseNotifyConfig({ defaultChannels: ['x'] }, {}, 'notify.yaml')).toThrow(
      'Invalid notification settings in notify.yaml:\n  - defaultChannels[0]: no channel has the id "x"',
    );
  });
});

describe('formatPath', () => {
  it('writes indexes in brackets', () => {
    expect(formatPath(['routes', 0, 'match', 'cause', 'region'])).toBe(
      'routes[0].match.cause.region',
    );
    expect(formatPath([])).toBe('(file)');
  });
});

describe('webhookShortcut', () => {
  it('one webhook channel that takes every incident', () => {
    const config = webhookShortcut('https://hooks.example.com/pulse', 's'.repeat(20));
    // A first route that takes everything and continues: browser routes still apply after it.
    expect(config.routes).toEqual([
      {
        name: 'every incident (PULSE_WEBHOOK_URL)',
        match: {},
        channels: ['webhook'],
        continue: true,
      },
    ]);
    expect(config.defaultChannels).toEqual([]);
    expect(config.channels).toEqual([
      {
        id: 'webhook',
        type: 'webhook',
        url: 'https://hooks.example.com/pulse',
        secret: 's'.repeat(20),
      },
    ]);
    expect(() => webhookShortcut('nope', 'short')).toThrow(
      /PULSE_WEBHOOK_URL and PULSE_WEBHOOK_SECRET/,
    );
  });
});

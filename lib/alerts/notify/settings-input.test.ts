import { describe, expect, it } from 'vitest';
import {
  ChannelCreateBody,
  ChannelUpdateBody,
  checkChannelSettings,
  checkRoutesForm,
  checkSilenceTimes,
  parseCauseText,
  parseGlobList,
  routeForm,
  RoutesBody,
  SilenceBody,
  splitRecipients,
  type RouteForm,
} from './settings-input';

const issues = (result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) =>
  Object.fromEntries(
    (result.error?.issues ?? []).map((i) => [i.path.map(String).join('.'), i.message]),
  );

describe('ChannelCreateBody', () => {
  it('takes a webhook, a Slack and an email channel with the file rules', () => {
    expect(
      ChannelCreateBody.parse({
        id: 'pager',
        type: 'webhook',
        url: 'https://pager.example.com/hook',
        secret: 's'.repeat(16),
      }),
    ).toEqual({
      config: {
        id: 'pager',
        type: 'webhook',
        url: 'https://pager.example.com/hook',
        secret: 's'.repeat(16),
      },
      isDefault: false,
      enabled: true,
    });
    expect(
      ChannelCreateBody.parse({
        id: 'team',
        type: 'slack',
        webhookUrl: 'https://hooks.slack.com/services/T/B/x',
        isDefault: true,
      }),
    ).toMatchObject({ config: { type: 'slack' }, isDefault: true });
    expect(
      ChannelCreateBody.parse({
        id: 'oncall',
        type: 'email',
        to: 'a@example.com',
        from: 'pulse@example.com',
        smtp: 'smtp://u:p@mail.example.com:587',
      }).config,
    ).toMatchObject({ to: ['a@example.com'] });
  });

  it('names each field in error, with the same messages as the provisioning file', () => {
    const result = ChannelCreateBody.safeParse({
      id: 'Pager!',
      type: 'webhook',
      url: 'ftp://x',
      secret: 'short',
    });
    expect(issues(result)).toEqual({
      id: 'expected a channel id: lowercase letters, digits, - and _, at most 64',
    });
    expect(
      issues(
        ChannelCreateBody.safeParse({ id: 'p', type: 'webhook', url: 'ftp://x', secret: 'short' }),
      ),
    ).toEqual({
      url: 'expected an http(s) URL',
      secret: 'expected a secret of at least 16 characters',
    });
    expect(issues(ChannelCreateBody.safeParse({ id: 'p', type: 'slack' }))).toEqual({
      webhookUrl: "expected Slack's incoming webhook URL",
    });
    expect(
      issues(
        ChannelCreateBody.safeParse({ id: 'p', type: 'slack', webhookUrl: 'http://x.example' }),
      ),
    ).toEqual({ webhookUrl: 'expected an https URL' });
  });

  it('refuses the settings of another type, and unknown fields', () => {
    expect(
      issues(
        ChannelCreateBody.safeParse({
          id: 'p',
          type: 'slack',
          webhookUrl: 'https://hooks.slack.com/x',
          secret: 's'.repeat(20),
        }),
      ),
    ).toEqual({ secret: 'a slack channel has no secret' });
    const unknown = ChannelCreateBody.safeParse({ evil: 1 });
    expect(unknown.success).toBe(false);
    expect(unknown.error?.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });
});

describe('ChannelUpdateBody and checkChannelSettings', () => {
  it('needs something to change', () => {
    expect(ChannelUpdateBody.safeParse({}).success).toBe(false);
    expect(ChannelUpdateBody.parse({ enabled: false })).toEqual({ enabled: false });
  });

  it('checks only what is given on update, everything on create', () => {
    expect(checkChannelSettings('email', { to: ['x@example.com'] }, 'update')).toEqual({
      value: { to: ['x@example.com'] },
      errors: {},
    });
    expect(checkChannelSettings('email', {}, 'create').errors).toEqual({
      to: 'expected at least one recipient',
      from: 'expected the address messages come from',
      smtp: 'expected an SMTP URL, such as smtp://user:password@mail.example.com:587',
    });
    expect(checkChannelSettings('webhook', { webhookUrl: 'https://x' }, 'update').errors).toEqual({
      webhookUrl: 'a webhook channel has no webhookUrl',
    });
  });
});

describe('RoutesBody', () => {
  it('keeps the order and applies the route rules', () => {
    const body = RoutesBody.parse({
      routes: [
        {
          match: { minSeverity: 'critical', metrics: 'revenue*' },
          channels: ['pager'],
          continue: true,
        },
        { channels: 'team' },
      ],
    });
    expect(body.routes.map((r) => r.channels)).toEqual([['pager'], ['team']]);
    expect(body.routes[0]?.match.metrics).toEqual(['revenue*']);
    expect(issues(RoutesBody.safeParse({ routes: [{ channels: [] }] }))).toEqual({
      'routes.0.channels': 'expected at least one',
    });
  });
});

describe('SilenceBody and checkSilenceTimes', () => {
  const now = Date.UTC(2026, 0, 15, 12);
  it('needs a matcher and a comment', () => {
    expect(
      issues(SilenceBody.safeParse({ matchers: {}, comment: '', endsAt: '2026-01-15T13:00:00Z' })),
    ).toEqual({
      matchers: 'expected at least one matcher (metrics, severity or cause)',
      comment: 'expected a comment saying why, got an empty string',
    });
  });

  it('ends in the future, at most 90 days on', () => {
    expect(checkSilenceTimes({ endsAt: now + 3_600_000 }, now)).toEqual({
      startsAt: now,
      endsAt: now + 3_600_000,
      errors: {},
    });
    expect(checkSilenceTimes({ endsAt: now - 1 }, now).errors).toEqual({
      endsAt: 'expected an end in the future, after the start',
    });
    expect(checkSilenceTimes({ endsAt: now + 91 * 86_400_000 }, now).errors).toEqual({
      endsAt: 'expected a silence of at most 90 days',
    });
    expect(checkSilenceTimes({ startsAt: now - 3_600_000, endsAt: now + 1 }, now).errors).toEqual({
      startsAt: 'expected a start now or later',
    });
  });
});

describe('form text', () => {
  it('parses comma-separated globs', () => {
    expect(parseGlobList(' revenue* , purchases,,revenue* ')).toEqual({
      value: ['revenue*', 'purchases'],
    });
    expect(parseGlobList('  ')).toEqual({ value: undefined });
  });

  it('parses dimension=value pairs', () => {
    expect(parseCauseText('region=eu-west, device = ios')).toEqual({
      value: { region: 'eu-west', device: 'ios' },
    });
    expect(parseCauseText('')).toEqual({ value: undefined });
    expect(parseCauseText('eu-west').error).toBe(
      'expected dimension=value pairs, such as region=eu-west (got "eu-west")',
    );
    expect(parseCauseText('a=1, a=2').error).toBe('the dimension a is given twice');
    // Event data may hold anything: a value is kept as typed (the route helper refuses controls).
    expect(parseCauseText('region=<script>').value).toEqual({ region: '<script>' });
  });

  it('splits recipients on commas, semicolons and spaces', () => {
    expect(splitRecipients('a@x.io, b@x.io;c@x.io  d@x.io')).toEqual([
      'a@x.io',
      'b@x.io',
      'c@x.io',
      'd@x.io',
    ]);
  });

  it('turns route rows into routes, with errors keyed as the API keys them', () => {
    const row = (over: Partial<RouteForm>): RouteForm => ({
      key: 'k',
      name: '',
      minSeverity: '',
      metrics: '',
      cause: '',
      channels: ['pager'],
      continue: false,
      ...over,
    });
    expect(
      checkRoutesForm([
        row({ name: ' Pager ', minSeverity: 'critical', metrics: 'revenue*', continue: true }),
        row({ cause: 'region=eu-*' }),
      ]),
    ).toEqual({
      value: [
        {
          name: 'Pager',
          match: { minSeverity: 'critical', metrics: ['revenue*'] },
          channels: ['pager'],
          continue: true,
        },
        { match: { cause: { region: 'eu-*' } }, channels: ['pager'], continue: false },
      ],
      errors: {},
    });
    expect(checkRoutesForm([row({}), row({ channels: [], cause: 'x' })])).toEqual({
      value: null,
      errors: {
        'routes.1.match.cause': 'expected dimension=value pairs, such as region=eu-west (got "x")',
        'routes.1.channels': 'expected at least one channel',
      },
    });
  });

  it('round-trips a route through the form', () => {
    const route = {
      name: 'pager',
      match: { minSeverity: 'critical' as const, metrics: ['a*', 'b'], cause: { region: 'eu' } },
      channels: ['pager', 'team'],
      continue: true,
    };
    expect(checkRoutesForm([routeForm(route, 'k')]).value).toEqual([route]);
  });
});

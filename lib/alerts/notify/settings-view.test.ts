import { describe, expect, it } from 'vitest';
import {
  channelTarget,
  describeMatch,
  sampleIncident,
  silenceState,
  testMessage,
  testSendSentence,
} from './settings-view';
import { WebhookPayload, webhookPayload } from './webhook';

describe('channelTarget', () => {
  it('shows a URL by its origin, never its path, query or user info', () => {
    expect(
      channelTarget({
        id: 'p',
        type: 'webhook',
        url: 'https://user:pw@pager.example.com:8443/hook/abc?token=1',
        secret: 's'.repeat(16),
      }),
    ).toBe('https://pager.example.com:8443');
    expect(
      channelTarget({
        id: 't',
        type: 'slack',
        webhookUrl: 'https://hooks.slack.com/services/T0/B0/xyz',
      }),
    ).toBe('Slack (hooks.slack.com)');
    expect(
      channelTarget({
        id: 'e',
        type: 'email',
        to: ['a@example.com', 'b@example.com'],
        from: 'p@example.com',
        smtp: 'smtp://u:p@mail.example.com',
      }),
    ).toBe('a@example.com, b@example.com');
  });
});

describe('the test message', () => {
  it('is a valid version 1 webhook payload of kind test', () => {
    const now = Date.UTC(2026, 0, 15, 12, 0, 30);
    const payload = webhookPayload(testMessage('pulse-test-1', now, 'http://localhost:3000/'));
    expect(WebhookPayload.parse(payload)).toMatchObject({
      kind: 'test',
      key: 'pulse-test-1',
      link: 'http://localhost:3000/settings/notifications',
    });
    expect(sampleIncident(now, 'http://x').title).toMatch(/^Test from Pulse/);
  });
});

describe('words', () => {
  it('says what a test send did', () => {
    const base = { statusCode: 200, latencyMs: 42, error: null };
    expect(testSendSentence({ ...base, outcome: 'delivered' }, 15_000)).toBe(
      'Delivered in 42 ms (status 200).',
    );
    expect(
      testSendSentence(
        { outcome: 'retry', statusCode: 503, latencyMs: 9, error: 'HTTP 503' },
        15_000,
      ),
    ).toBe('Not delivered (status 503): HTTP 503. The worker will retry it.');
    expect(
      testSendSentence(
        { outcome: 'timeout', statusCode: null, latencyMs: null, error: null },
        15_000,
      ),
    ).toBe('No worker delivered it within 15 s: is the worker running?');
  });

  it('describes a match', () => {
    expect(describeMatch({})).toBe('every incident');
    expect(
      describeMatch({
        minSeverity: 'critical',
        metrics: ['revenue*'],
        cause: { region: 'eu-west' },
      }),
    ).toBe('critical only · metrics revenue* · region=eu-west');
    expect(describeMatch({ severity: ['warn'] })).toBe('severity warn');
  });

  it('tells active, pending and ended silences apart', () => {
    expect(silenceState({ startsAt: 10, endsAt: 20 }, 5)).toBe('pending');
    expect(silenceState({ startsAt: 10, endsAt: 20 }, 10)).toBe('active');
    expect(silenceState({ startsAt: 10, endsAt: 20 }, 20)).toBe('ended');
  });
});

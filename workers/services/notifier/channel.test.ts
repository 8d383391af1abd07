import { describe, expect, it } from 'vitest';
import { channelSettings } from './channel';

const webhook = {
  id: 'pager',
  type: 'webhook',
  url: 'https://pager.example.com/hooks/T0KEN-123?sig=Q-S3CRET',
  secret: 'signing-secret-0123456789',
};

describe('channelSettings', () => {
  it('reads stored settings by the channel type', () => {
    expect(channelSettings('webhook', webhook)).toEqual({
      ok: true,
      settings: { type: 'webhook', url: webhook.url, secret: webhook.secret },
    });
    const email = {
      to: ['a@example.com'],
      from: 'p@example.com',
      smtp: 'smtps://u:p@mail.example.com',
    };
    expect(channelSettings('email', email)).toMatchObject({ ok: true, settings: email });
  });

  it('refuses what a transport cannot use, naming fields and never their values', () => {
    const bad = channelSettings('webhook', { url: 'ftp://x.example.com/T0KEN-123', secret: '' });
    expect(bad).toEqual({
      ok: false,
      reason: "the webhook channel's settings cannot be used (check url, secret)",
    });
    const userInfo = channelSettings('slack', {
      webhookUrl: 'https://user:pa55@hooks.example.com/x',
    });
    expect(userInfo.ok).toBe(false);
    expect(JSON.stringify(userInfo)).not.toContain('pa55');
    expect(channelSettings('email', { smtp: 'http://mail' }).ok).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { channelSettings, credentialsOf, maskCredentials, originOf } from './channel';

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

describe('maskCredentials', () => {
  it('masks the URL whole and its parts, the signing secret and SMTP passwords (encoded too)', () => {
    const settings = channelSettings('webhook', webhook);
    if (!settings.ok) throw new Error(settings.reason);
    const credentials = credentialsOf(settings.settings);
    const text = `POST ${webhook.url} failed; path /hooks/T0KEN-123, query sig=Q-S3CRET, key ${webhook.secret}`;
    const masked = maskCredentials(text, credentials);
    for (const secret of ['T0KEN-123', 'Q-S3CRET', webhook.secret])
      expect(masked).not.toContain(secret);
    expect(masked).toContain('POST … failed');

    const smtp = channelSettings('email', {
      to: ['a@example.com'],
      from: 'p@example.com',
      smtp: 'smtp://pulse:p%40ss-w0rd@mail.example.com:587',
    });
    if (!smtp.ok) throw new Error(smtp.reason);
    const smtpCredentials = credentialsOf(smtp.settings);
    expect(maskCredentials('auth p@ss-w0rd / p%40ss-w0rd refused', smtpCredentials)).toBe(
      'auth … / … refused',
    );
  });

  it('keeps errors to one bounded line', () => {
    expect(maskCredentials('a\nb\r\n\u001bc', [])).toBe('a b c');
    expect(maskCredentials('x'.repeat(2000), [])).toHaveLength(500);
  });

  it('names only the origin of a URL', () => {
    expect(originOf(webhook.url)).toBe('https://pager.example.com');
    expect(originOf('not a url')).toBe('(invalid URL)');
  });
});

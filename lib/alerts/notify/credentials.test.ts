import { describe, expect, it } from 'vitest';
import { credentialsOf, maskCredentials, urlOrigin } from './credentials';

const webhook = {
  type: 'webhook' as const,
  url: 'https://pager.example.com/hooks/T0KEN-123?sig=Q-S3CRET',
  secret: 'k'.repeat(20),
};

describe('maskCredentials', () => {
  it('masks the URL whole and its parts, the signing secret and SMTP passwords (encoded too)', () => {
    const text = `POST ${webhook.url} failed; path /hooks/T0KEN-123, query sig=Q-S3CRET, key ${webhook.secret}`;
    const masked = maskCredentials(text, credentialsOf(webhook));
    for (const secret of ['T0KEN-123', 'Q-S3CRET', webhook.secret])
      expect(masked).not.toContain(secret);
    expect(masked).toContain('POST … failed');

    const smtp = credentialsOf({
      type: 'email',
      smtp: 'smtp://pulse:p%40ss-w0rd@mail.example.com:587',
    });
    expect(maskCredentials('auth p@ss-w0rd / p%40ss-w0rd refused', smtp)).toBe(
      'auth … / … refused',
    );
  });

  it("masks a Slack webhook's path, its token", () => {
    const slack = credentialsOf({
      type: 'slack',
      webhookUrl: 'https://hooks.slack.com/services/T0/B0/xyz',
    });
    expect(maskCredentials('POST https://hooks.slack.com/services/T0/B0/xyz: 404', slack)).toBe(
      'POST …: 404',
    );
    expect(maskCredentials('no route to /services/T0/B0/xyz', slack)).toBe('no route to …');
  });

  it('keeps errors to one bounded line', () => {
    expect(maskCredentials('a\nb\r\n\u001bc', [])).toBe('a b c');
    expect(maskCredentials('x'.repeat(2000), [])).toHaveLength(500);
  });

  it('names only the origin of a URL', () => {
    expect(urlOrigin(webhook.url)).toBe('https://pager.example.com');
    expect(urlOrigin('not a url')).toBe('(invalid URL)');
  });
});

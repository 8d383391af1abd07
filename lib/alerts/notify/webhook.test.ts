import { describe, expect, it } from 'vitest';
import { signBody, verifySignature, webhookHeaders } from './signature';
import { HOSTILE_VALUES, T0, incidentSnapshot } from './testing';
import { WebhookPayload, webhookBody, webhookPayload, type NotificationMessage } from './webhook';

const message = (over: Partial<NotificationMessage> = {}): NotificationMessage => ({
  kind: 'open',
  key: 'pulse-42-1-open',
  createdAt: T0 + 30_000,
  incident: incidentSnapshot(),
  ...over,
});

describe('webhookPayload', () => {
  it('is version 1 with the documented fields, and passes its own schema', () => {
    const payload = webhookPayload(message());
    expect(WebhookPayload.parse(payload)).toEqual(payload);
    expect(payload).toMatchObject({
      version: 1,
      kind: 'open',
      key: 'pulse-42-1-open',
      createdAt: '2026-01-15T12:00:30Z',
      link: 'https://pulse.example.com/incidents/42',
      incident: {
        id: 42,
        status: 'open',
        severity: 'critical',
        cause: [{ dimension: 'region', value: 'eu-west' }],
        openedAt: '2026-01-15T12:00:00Z',
        acknowledgedAt: null,
      },
    });
    expect(payload.anomalies[0]).toEqual({
      id: 101,
      metric: { key: 'purchases', name: 'Purchases', unit: '' },
      severity: 'critical',
      value: 1250,
      expected: 2980,
      change: 1250 / 2980 - 1,
      windowStart: '2026-01-15T11:59:00Z',
      windowEnd: '2026-01-15T12:00:00Z',
    });
  });

  it('carries event data exactly as it is, and stays valid JSON', () => {
    for (const value of HOSTILE_VALUES) {
      const incident = incidentSnapshot({ title: value, cause: [{ dimension: 'region', value }] });
      const body = webhookBody(message({ incident }));
      const parsed = WebhookPayload.parse(JSON.parse(body));
      expect(parsed.incident.cause[0]?.value).toBe(value);
      expect(parsed.incident.title).toBe(value);
    }
  });

  it('turns non-finite numbers into null', () => {
    const incident = incidentSnapshot();
    const a = { ...incident.anomalies[0]!, value: Number.NaN, change: Number.POSITIVE_INFINITY };
    const payload = webhookPayload(message({ incident: { ...incident, anomalies: [a] } }));
    expect(payload.anomalies[0]).toMatchObject({ value: null, change: null, expected: 2980 });
  });

  it('the same notification renders the same bytes (retries sign the same body)', () => {
    expect(webhookBody(message())).toBe(webhookBody(message()));
  });
});

describe('webhookHeaders', () => {
  it('carry the idempotency key and a signature of the exact body', () => {
    const body = webhookBody(message());
    const headers = webhookHeaders(body, 'pulse-42-1-open', 'secret');
    expect(headers).toEqual({
      'Content-Type': 'application/json',
      'User-Agent': 'Pulse-Notifications/1',
      'Idempotency-Key': 'pulse-42-1-open',
      'X-Pulse-Signature': signBody(body, 'secret'),
    });
    expect(verifySignature(body, 'secret', headers['X-Pulse-Signature'])).toBe(true);
  });
});

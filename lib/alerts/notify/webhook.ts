/**
 * The generic webhook's JSON body, version 1: the schema (zod, so the README, the tests and a
 * TypeScript receiver share it) and how a notification becomes one.
 *
 * ```json
 * { "version": 1, "kind": "open", "key": "pulse-42-1-open", "createdAt": "…",
 *   "incident": { "id": 42, "title": "…", "status": "open", "severity": "critical",
 *                 "cause": [{ "dimension": "region", "value": "eu-west" }], "openedAt": "…",
 *                 "acknowledgedAt": null, "acknowledgedBy": null, "resolvedAt": null,
 *                 "snoozedUntil": null, "link": "https://…/incidents/42" },
 *   "anomalies": [{ "id": 101, "metric": { "key": "purchases", "name": "Purchases", "unit": "" },
 *                   "severity": "critical", "value": 1250, "expected": 2980, "change": -0.58,
 *                   "windowStart": "…", "windowEnd": "…" }],
 *   "link": "https://…/incidents/42" }
 * ```
 *
 * Contract: times are ISO 8601 UTC; `key` equals the `Idempotency-Key` header and is the same
 * on every retry (dedupe on it); `kind: "test"` is a test send (a sample incident). Text fields
 * (`title`, cause values, metric names) are event data sent **as they are** (JSON-escaped, not
 * HTML-escaped or cleaned): a receiver that shows them must escape them itself. Within version
 * 1 fields are only ever added; a change that removes or retypes one is version 2. Receivers
 * should therefore ignore fields they do not know (`WebhookPayload.loose()`).
 */
import { z } from 'zod';
import { isoTime } from './format';
import { NOTIFICATION_KINDS } from './schedule';
import { INCIDENT_STATUSES, SEVERITIES, type IncidentSnapshot } from './types';

export const WEBHOOK_VERSION = 1;
export const PAYLOAD_KINDS = [...NOTIFICATION_KINDS, 'test'] as const;
export type PayloadKind = (typeof PAYLOAD_KINDS)[number];

const time = z.iso.datetime();
const number = z.number().nullable();

export const WebhookAnomaly = z.strictObject({
  id: z.number().int(),
  metric: z.strictObject({ key: z.string(), name: z.string(), unit: z.string() }),
  severity: z.enum(SEVERITIES),
  value: number,
  expected: number,
  /** value / expected − 1; null when not defined. */
  change: number,
  windowStart: time,
  windowEnd: time,
});

export const WebhookIncident = z.strictObject({
  id: z.number().int(),
  title: z.string(),
  status: z.enum(INCIDENT_STATUSES),
  severity: z.enum(SEVERITIES),
  cause: z.array(z.strictObject({ dimension: z.string(), value: z.string() })),
  openedAt: time,
  acknowledgedAt: time.nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: time.nullable(),
  snoozedUntil: time.nullable(),
  link: z.url(),
});

export const WebhookPayload = z.strictObject({
  version: z.literal(WEBHOOK_VERSION),
  kind: z.enum(PAYLOAD_KINDS),
  /** The notification's idempotency key, as in the `Idempotency-Key` header. */
  key: z.string().min(1),
  /** When the notification was written: the same on every retry. */
  createdAt: time,
  incident: WebhookIncident,
  anomalies: z.array(WebhookAnomaly),
  link: z.url(),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** What the outbox holds for a notification: enough to render it for any channel, any time. */
export interface NotificationMessage {
  kind: PayloadKind;
  key: string;
  /** When it was written (epoch ms). */
  createdAt: number;
  incident: IncidentSnapshot;
}

const finite = (n: number | null) => (n !== null && Number.isFinite(n) ? n : null);
const maybeTime = (ms: number | null) => (ms === null ? null : isoTime(ms));

/** The version 1 body of a notification. */
export function webhookPayload(message: NotificationMessage): WebhookPayload {
  const { incident } = message;
  return {
    version: WEBHOOK_VERSION,
    kind: message.kind,
    key: message.key,
    createdAt: isoTime(message.createdAt),
    incident: {
      id: incident.id,
      title: incident.title,
      status: incident.status,
      severity: incident.severity,
      cause: incident.cause.map(({ dimension, value }) => ({ dimension, value })),
      openedAt: isoTime(incident.openedAt),
      acknowledgedAt: maybeTime(incident.acknowledgedAt),
      acknowledgedBy: incident.acknowledgedBy,
      resolvedAt: maybeTime(incident.resolvedAt),
      snoozedUntil: maybeTime(incident.snoozedUntil),
      link: incident.link,
    },
    anomalies: incident.anomalies.map((a) => ({
      id: a.id,
      metric: { key: a.metric.key, name: a.metric.name, unit: a.metric.unit },
      severity: a.severity,
      value: finite(a.value),
      expected: finite(a.expected),
      change: finite(a.change),
      windowStart: isoTime(a.windowStart),
      windowEnd: isoTime(a.windowEnd),
    })),
    link: incident.link,
  };
}

/**
 * The exact body bytes to sign and send. Render it once, when the notification is written, and
 * keep it: every retry then sends (and signs) the same bytes.
 */
export function webhookBody(message: NotificationMessage): string {
  return JSON.stringify(webhookPayload(message));
}

/**
 * The JSON shapes of the notification settings as the API answers and the settings page shows
 * them, and the words for them. A channel is shown by its `target` (a URL's origin, the
 * recipients), never its credentials: no shape here has a field that could hold one.
 */
import type { ChannelConfig } from './config-file';
import { urlOrigin } from './credentials';
import type { RouteMatch } from './routing';
import type { ChannelType } from './settings-input';
import type { SilenceMatchers } from './silences';
import type { IncidentSnapshot } from './types';
import type { NotificationMessage } from './webhook';

export interface ChannelView {
  id: string;
  type: ChannelType;
  /** What people see of the destination: a URL's origin, or the recipients. */
  target: string;
  isDefault: boolean;
  enabled: boolean;
  /** Declared in PULSE_NOTIFY_CONFIG or PULSE_WEBHOOK_URL: read-only here. */
  provisioned: boolean;
  /** Its credentials are stored (always, once created); they are never returned. */
  hasSecret: true;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
  /** The latest delivery to it (of any notification), if any. */
  lastDelivery: { status: 'pending' | 'sending' | 'delivered' | 'failed'; at: number } | null;
}

export interface RouteView {
  id: number;
  name: string | null;
  match: RouteMatch;
  channels: string[];
  continue: boolean;
  provisioned: boolean;
}

export type SilenceState = 'active' | 'pending' | 'ended';

export interface SilenceView {
  id: number;
  matchers: SilenceMatchers;
  comment: string;
  createdBy: string;
  startsAt: number;
  endsAt: number;
  provisioned: boolean;
  incidentId: number | null;
  state: SilenceState;
}

export interface NotificationSettingsView {
  channels: ChannelView[];
  routes: RouteView[];
  silences: SilenceView[];
}

/** What became of a test send: the dispatcher's first attempt, or nobody took it. */
export interface TestSendResult {
  outcome: 'delivered' | 'retry' | 'failed' | 'timeout';
  /** The HTTP status (or SMTP reply code) of the attempt, when there was one. */
  statusCode: number | null;
  latencyMs: number | null;
  /** What went wrong, as the dispatcher recorded it (credentials masked). */
  error: string | null;
  /** One sentence for the page. */
  message: string;
}

/**
 * What people see of a channel's destination: a webhook's origin, `Slack (hooks.slack.com)`, the
 * recipients. Never a credential (a Slack webhook's path is one).
 */
export function channelTarget(config: ChannelConfig): string {
  switch (config.type) {
    case 'webhook':
      return urlOrigin(config.url);
    case 'slack':
      try {
        return `Slack (${new URL(config.webhookUrl).host})`;
      } catch {
        return 'Slack';
      }
    case 'email':
      return config.to.join(', ');
  }
}

/**
 * The incident a test send carries: a realistic one, marked as a test in its title, linking to
 * the settings page.
 */
export function sampleIncident(now: number, publicUrl: string): IncidentSnapshot {
  const minute = 60_000;
  const start = now - (now % minute) - minute;
  const anomaly = (
    id: number,
    key: string,
    name: string,
    value: number,
    expected: number,
  ): IncidentSnapshot['anomalies'][number] => ({
    id,
    metric: { key, name, unit: '' },
    severity: 'critical',
    value,
    expected,
    change: value / expected - 1,
    windowStart: start,
    windowEnd: start + minute,
  });
  return {
    id: 0,
    title: 'Test from Pulse — region=eu-west: Purchases −58%, Revenue −62%',
    status: 'open',
    severity: 'critical',
    cause: [{ dimension: 'region', value: 'eu-west' }],
    anomalies: [
      anomaly(1, 'purchases', 'Purchases', 1250, 2980),
      anomaly(2, 'revenue', 'Revenue', 41_000, 108_000),
    ],
    openedAt: start,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    snoozedUntil: null,
    link: `${publicUrl.replace(/\/+$/, '')}/settings/notifications`,
  };
}

/** The message of a test send (kind `test`, its own idempotency key). */
export function testMessage(key: string, now: number, publicUrl: string): NotificationMessage {
  return { kind: 'test', key, createdAt: now, incident: sampleIncident(now, publicUrl) };
}

/** The sentence the page shows for a test send. */
export function testSendSentence(
  result: Omit<TestSendResult, 'message'>,
  waitedMs: number,
): string {
  const status = result.statusCode !== null ? ` (status ${result.statusCode})` : '';
  const took = result.latencyMs !== null ? ` in ${result.latencyMs} ms` : '';
  const why = result.error ? `: ${result.error}` : '';
  switch (result.outcome) {
    case 'delivered':
      return `Delivered${took}${status}.`;
    case 'retry':
      return `Not delivered${status}${why}. The worker will retry it.`;
    case 'failed':
      return `Failed${status}${why}. It will not be retried.`;
    case 'timeout':
      return `No worker delivered it within ${Math.ceil(waitedMs / 1000)} s: is the worker running?`;
  }
}

const SEVERITY_WORDS = { warn: 'warn and critical', critical: 'critical only' } as const;

/** A route's or silence's conditions in words: `critical only · metrics revenue* · region=eu-west`. */
export function describeMatch(match: {
  minSeverity?: 'warn' | 'critical' | undefined;
  severity?: readonly ('warn' | 'critical')[] | undefined;
  metrics?: readonly string[] | undefined;
  cause?: Record<string, string> | undefined;
}): string {
  const parts: string[] = [];
  if (match.minSeverity) parts.push(SEVERITY_WORDS[match.minSeverity]);
  if (match.severity) parts.push(`severity ${match.severity.join(' or ')}`);
  if (match.metrics) parts.push(`metrics ${match.metrics.join(', ')}`);
  if (match.cause) {
    parts.push(
      Object.entries(match.cause)
        .map(([d, v]) => `${d}=${v}`)
        .join(', '),
    );
  }
  return parts.length > 0 ? parts.join(' · ') : 'every incident';
}

/** Whether a silence is in force at `now`, yet to start, or over. */
export function silenceState(s: { startsAt: number; endsAt: number }, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  return now < s.endsAt ? 'active' : 'ended';
}

/** Where a provisioned setting is changed: the message of a refused change. */
export const PROVISIONED_MESSAGE = (what: string) =>
  `${what} is set in PULSE_NOTIFY_CONFIG (or by PULSE_WEBHOOK_URL): change it there and restart Pulse.`;

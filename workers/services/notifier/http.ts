/**
 * The HTTP channels: the generic webhook (the version 1 JSON body, signed) and Slack's incoming
 * webhook (the Block Kit message). One POST per attempt with Node's fetch; redirects are not
 * followed (retry.ts: a 3xx is permanent — following one would hand the signed body to wherever
 * a receiver points); the response body is not read, only its status and `Retry-After`.
 */
import { IDEMPOTENCY_HEADER, webhookHeaders } from '@/lib/alerts/notify/signature';
import { slackMessage } from '@/lib/alerts/notify/slack';
import { webhookBody, type NotificationMessage } from '@/lib/alerts/notify/webhook';
import { abortedResult, type AttemptBounds, type SendOutcome } from './attempt';
import { maskCredentials, urlOrigin } from '@/lib/alerts/notify/credentials';
import type { SlackSettings, WebhookSettings } from './channel';

/** One POST; what it came to. Errors name the URL's origin only. */
async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  bounds: AttemptBounds,
  credentials: readonly string[],
): Promise<SendOutcome> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: bounds.signal,
    });
    // The status is the answer; the body is not read (and must be released for the socket).
    await response.body?.cancel().catch(() => undefined);
    return {
      result: {
        kind: 'response',
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
      },
      statusCode: response.status,
    };
  } catch (error) {
    if (bounds.signal.aborted) return { result: abortedResult(bounds), statusCode: null };
    return {
      result: {
        kind: 'network',
        error: maskCredentials(`${urlOrigin(url)}: ${describeFetchError(error)}`, credentials),
      },
      statusCode: null,
    };
  }
}

/**
 * What went wrong with a fetch, from its cause (undici wraps socket errors in "fetch failed"):
 * `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8080`. The caller masks credentials: a message
 * may quote the URL.
 */
function describeFetchError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as NodeJS.ErrnoException).code;
  return code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
}

/**
 * A webhook attempt: the exact body bytes signed with the channel's secret
 * (`X-Pulse-Signature`), the notification's `Idempotency-Key`, JSON, `User-Agent` Pulse.
 */
export function sendWebhook(
  settings: WebhookSettings,
  key: string,
  message: NotificationMessage,
  bounds: AttemptBounds,
  credentials: readonly string[],
): Promise<SendOutcome> {
  const body = webhookBody(message);
  return post(settings.url, body, webhookHeaders(body, key, settings.secret), bounds, credentials);
}

/**
 * A Slack attempt: the Block Kit message to the incoming webhook. Not signed (the URL is the
 * credential); the Idempotency-Key goes along for proxies that dedupe (Slack ignores it).
 */
export function sendSlack(
  settings: SlackSettings,
  key: string,
  message: NotificationMessage,
  bounds: AttemptBounds,
  credentials: readonly string[],
): Promise<SendOutcome> {
  const body = JSON.stringify(slackMessage(message));
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': 'Pulse-Notifications/1',
    [IDEMPOTENCY_HEADER]: key,
  };
  return post(settings.webhookUrl, body, headers, bounds, credentials);
}

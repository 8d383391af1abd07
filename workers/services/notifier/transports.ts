/**
 * One attempt at a claimed delivery, whatever its channel: the settings read and checked, the
 * transport of its type called within the attempt's bounds. Never throws: every failure is an
 * outcome retry.ts judges, its texts free of credentials.
 */
import type { ClaimedDelivery } from '@/db/queries/deliveries';
import { attemptBounds, type SendOutcome } from './attempt';
import { credentialsOf, maskCredentials } from '@/lib/alerts/notify/credentials';
import { channelSettings } from './channel';
import { sendEmail } from './email';
import { sendSlack, sendWebhook } from './http';

export type { SendOutcome } from './attempt';

export interface SendOptions {
  /** The attempt's timeout. */
  timeoutMs: number;
  /** Aborted when the dispatcher stops: the attempt ends at once. */
  stop: AbortSignal;
}

/** Makes one attempt at `delivery`. */
export async function sendDelivery(
  delivery: ClaimedDelivery,
  options: SendOptions,
): Promise<SendOutcome> {
  const read = channelSettings(delivery.channelType, delivery.channelConfig);
  if (!read.ok) return { result: { kind: 'invalid', reason: read.reason }, statusCode: null };
  const { settings } = read;
  const credentials = credentialsOf(settings);
  const bounds = attemptBounds(options.timeoutMs, options.stop);
  const { key, message } = delivery;
  try {
    switch (settings.type) {
      case 'webhook':
        return await sendWebhook(settings, key, message, bounds, credentials);
      case 'slack':
        return await sendSlack(settings, key, message, bounds, credentials);
      case 'email':
        return await sendEmail(settings, key, message, bounds, credentials);
    }
  } catch (error) {
    // A bug or an unexpected library error: retried like a network failure, recorded masked.
    const text = error instanceof Error ? error.message : String(error);
    return {
      result: { kind: 'network', error: maskCredentials(`unexpected: ${text}`, credentials) },
      statusCode: null,
    };
  }
}

/**
 * Test helper: outbox rows for the dispatcher's tests — a channel with its settings (credentials
 * in `secret`, as provisioning stores them) and a test notification to it, due now.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { incidentSnapshot } from '@/lib/alerts/notify/testing';
import type { NotificationMessage } from '@/lib/alerts/notify/webhook';
import type { Db } from '@/db/client';
import { writeTestNotification } from '@/db/queries/outbox';
import { notificationChannels, notificationDeliveries } from '@/db/schema';

export type StoredChannel =
  | { type: 'webhook'; url: string; secret: string }
  | { type: 'slack'; webhookUrl: string }
  | { type: 'email'; to: string[]; from: string; smtp: string };

/** Inserts (or replaces) channel `id` with `settings`. */
export async function putChannel(
  db: Db,
  id: string,
  settings: StoredChannel,
  options: { enabled?: boolean; isDefault?: boolean } = {},
): Promise<void> {
  const values = {
    type: settings.type,
    target: settings.type === 'email' ? settings.to.join(', ') : settings.type,
    secret: { id, ...settings } as Record<string, unknown>,
    enabled: options.enabled ?? true,
    isDefault: options.isDefault ?? false,
  };
  await db
    .insert(notificationChannels)
    .values({ id, ...values })
    .onConflictDoUpdate({ target: notificationChannels.id, set: values });
}

/** A test notification's message, as the settings page's test send writes it. */
export function testMessage(key: string, createdAt: number): NotificationMessage {
  return { kind: 'test', key, createdAt, incident: incidentSnapshot() };
}

/**
 * A test notification to `channelId`, due at `now` (its delivery's next attempt at `dueAt`,
 * `now` by default). Returns its ids, key and message.
 */
export async function queueNotification(
  db: Db,
  channelId: string,
  options: { now?: Date; dueAt?: Date; key?: string } = {},
): Promise<{
  notificationId: number;
  deliveryId: number;
  key: string;
  message: NotificationMessage;
}> {
  const now = options.now ?? new Date();
  const key = options.key ?? `pulse-test-${randomUUID()}`;
  const message = testMessage(key, now.getTime());
  const ids = await writeTestNotification(db, { key, channelId, message, now });
  if (options.dueAt) {
    await db
      .update(notificationDeliveries)
      .set({ nextAttemptAt: options.dueAt })
      .where(eq(notificationDeliveries.id, ids.deliveryId));
  }
  return { ...ids, key, message };
}

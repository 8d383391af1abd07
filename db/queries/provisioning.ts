/**
 * Provisioning as code: the channels, routes and silences of `PULSE_NOTIFY_CONFIG` and the
 * `PULSE_WEBHOOK_URL` shortcut, applied at start in one transaction. Provisioned rows are marked
 * as such (read-only in the browser) and replaced wholesale on every start, so the file is the
 * truth for what it declares: a channel removed from the file is removed, a changed secret is
 * taken. Rows made in the browser are left alone. Workers starting together take turns (a
 * transaction-scoped advisory lock), so two of them never interleave.
 */
import { and, eq, inArray, notInArray, sql as dsql } from 'drizzle-orm';
import {
  SHORTCUT_CHANNEL_ID,
  webhookShortcut,
  type NotifyConfig,
} from '@/lib/alerts/notify/config-file';
import { channelTarget } from '@/lib/alerts/notify/settings-view';
import { incidents, notificationChannels, notificationRoutes, silences } from '../schema';
import type { Executor } from './executor';

/** Arbitrary constant naming the provisioning lock ("pnfy"). */
const PROVISIONING_LOCK = 0x706e6679;

/**
 * The file and the shortcut as one configuration: the shortcut's channel and its route come
 * first. Throws when both declare the channel id `webhook`.
 */
export function mergeProvisioning(
  file: NotifyConfig | null,
  webhook: { url: string; secret: string } | null,
): NotifyConfig | null {
  const shortcut = webhook ? webhookShortcut(webhook.url, webhook.secret) : null;
  if (!shortcut) return file;
  if (!file) return shortcut;
  if (file.channels.some((c) => c.id === SHORTCUT_CHANNEL_ID)) {
    throw new Error(
      `PULSE_NOTIFY_CONFIG declares a channel "${SHORTCUT_CHANNEL_ID}", the id PULSE_WEBHOOK_URL ` +
        'uses: rename the channel in the file, or declare the webhook there instead of the variables',
    );
  }
  return {
    channels: [...shortcut.channels, ...file.channels],
    routes: [...shortcut.routes, ...file.routes],
    defaultChannels: file.defaultChannels,
    silences: file.silences,
    schedule: file.schedule,
  };
}

export interface ProvisioningResult {
  channels: number;
  routes: number;
  silences: number;
  /** Ids of channels made in the browser that the file took over. */
  tookOver: string[];
}

/**
 * Replaces every provisioned channel, route and silence with `config`'s (none: removes them).
 * Open incidents are asked to look at their notifications again, under the new routing.
 */
export async function applyProvisioning(
  tx: Executor,
  config: NotifyConfig | null,
  now: Date,
): Promise<ProvisioningResult> {
  await tx.execute(dsql`select pg_advisory_xact_lock(${PROVISIONING_LOCK})`);
  const channels = config?.channels ?? [];
  const ids = channels.map((c) => c.id);
  const taken =
    ids.length === 0
      ? []
      : await tx
          .select({ id: notificationChannels.id })
          .from(notificationChannels)
          .where(
            and(inArray(notificationChannels.id, ids), eq(notificationChannels.provisioned, false)),
          );

  await tx
    .delete(notificationChannels)
    .where(
      ids.length === 0
        ? eq(notificationChannels.provisioned, true)
        : and(eq(notificationChannels.provisioned, true), notInArray(notificationChannels.id, ids)),
    );
  const defaults = new Set(config?.defaultChannels ?? []);
  for (const channel of channels) {
    const values = {
      type: channel.type,
      target: channelTarget(channel),
      secret: { ...channel } as Record<string, unknown>,
      isDefault: defaults.has(channel.id),
      enabled: true,
      provisioned: true,
      updatedAt: now,
    };
    await tx
      .insert(notificationChannels)
      .values({ id: channel.id, ...values, createdAt: now })
      .onConflictDoUpdate({ target: notificationChannels.id, set: values });
  }

  await tx.delete(notificationRoutes).where(eq(notificationRoutes.provisioned, true));
  const routes = config?.routes ?? [];
  if (routes.length > 0) {
    await tx.insert(notificationRoutes).values(
      routes.map((r, position) => ({
        position,
        name: r.name ?? null,
        match: r.match,
        channels: r.channels,
        continue: r.continue,
        provisioned: true,
        updatedAt: now,
      })),
    );
  }

  await tx.delete(silences).where(eq(silences.provisioned, true));
  const declared = config?.silences ?? [];
  if (declared.length > 0) {
    await tx.insert(silences).values(
      declared.map((s) => ({
        matchers: s.matchers,
        comment: s.comment,
        createdBy: s.createdBy,
        startsAt: new Date(s.startsAt),
        endsAt: new Date(s.endsAt),
        provisioned: true,
        createdAt: now,
      })),
    );
  }

  await tx.update(incidents).set({ nextCheckAt: now }).where(eq(incidents.status, 'open'));
  return {
    channels: channels.length,
    routes: routes.length,
    silences: declared.length,
    tookOver: taken.map((t) => t.id),
  };
}

/**
 * Reading the notification provisioning file (`PULSE_NOTIFY_CONFIG`, YAML or JSON) and applying
 * it with the `PULSE_WEBHOOK_URL` shortcut (db/queries/provisioning.ts). `npm start` reads it
 * before anything starts, so a mistake stops start-up with the path of every problem; the stream
 * worker applies it when it starts.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import {
  NotifyConfigError,
  parseNotifyConfig,
  type Env,
  type NotifyConfig,
} from '@/lib/alerts/notify/config-file';
import type { ScheduleSettings } from '@/lib/alerts/notify/schedule';
import type { Config } from '@/lib/config/schema';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { applyProvisioning, mergeProvisioning } from '@/db/queries/provisioning';

/** Reads and validates the file at `path`; a NotifyConfigError names each problem. */
export function loadNotifyConfig(path: string, env: Env): NotifyConfig {
  const source = `PULSE_NOTIFY_CONFIG (${path})`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new NotifyConfigError(source, [
      code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(error)})`,
    ]);
  }
  let parsed: unknown;
  try {
    // YAML 1.2 reads JSON too.
    parsed = parseYaml(text);
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message : String(error);
    throw new NotifyConfigError(source, [`not valid YAML or JSON: ${message}`]);
  }
  return parseNotifyConfig(parsed, env, source);
}

/** The provisioning this process's configuration asks for: file and shortcut, merged. */
export function provisioningOf(cfg: Pick<Config, 'notify'>, env: Env): NotifyConfig | null {
  const file = cfg.notify.configFile ? loadNotifyConfig(cfg.notify.configFile, env) : null;
  return mergeProvisioning(file, cfg.notify.webhook);
}

/** The schedule in force: the variables, overridden field by field by the file's. */
export function scheduleOf(
  cfg: Pick<Config, 'notify'>,
  provisioning: NotifyConfig | null,
): ScheduleSettings {
  return { ...cfg.notify.schedule, ...(provisioning?.schedule ?? {}) };
}

/** Applies `provisioning` in one transaction and logs what it did. */
export async function provisionNotifications(
  deps: { db: Db; log: Logger },
  provisioning: NotifyConfig | null,
): Promise<void> {
  const result = await deps.db.transaction((tx) => applyProvisioning(tx, provisioning, new Date()));
  for (const id of result.tookOver) {
    deps.log.warn(
      { channel: id },
      'a channel made in the browser has the id of a provisioned one: the provisioned one replaced it',
    );
  }
  if (provisioning) {
    deps.log.info(
      { channels: result.channels, routes: result.routes, silences: result.silences },
      'notification provisioning applied',
    );
  }
}

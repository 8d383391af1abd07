/**
 * The provisioning file (`PULSE_NOTIFY_CONFIG=notify.yaml`): channels, routes, the default
 * channels, silences and the schedule, validated with messages that name the path
 * (`channels[1].url: expected an http(s) URL`). Pure: the entry point reads and parses the file
 * (YAML or JSON) and passes the parsed object here with the environment.
 *
 * **Secrets as references.** The fields that carry credentials — a webhook's `url` and
 * `secret`, Slack's `webhookUrl`, email's `smtp` — may hold `${ENV_NAME}` references (whole or
 * inside the text: `https://hooks.slack.com/services/${SLACK_TOKEN}`), replaced by the
 * variable's value; a variable that is unset or empty is an error naming the field and the
 * variable. Other fields are taken literally, so a `$` in a route name is just a `$`. Literal
 * secrets are accepted too (the file is then a secret itself).
 *
 * ```yaml
 * channels:
 *   - { id: pager, type: webhook, url: "https://pager.example.com/hook", secret: "${PAGER_SECRET}" }
 *   - { id: team, type: slack, webhookUrl: "${SLACK_WEBHOOK_URL}" }
 *   - { id: oncall, type: email, to: [oncall@example.com], from: pulse@example.com, smtp: "${SMTP_URL}" }
 * routes:
 *   - { match: { minSeverity: critical, metrics: ["revenue*"] }, channels: [pager], continue: true }
 *   - { match: { minSeverity: warn }, channels: [team] }
 * defaultChannels: [oncall]
 * silences:
 *   - { matchers: { cause: { region: eu-west } }, createdBy: ana, comment: maintenance,
 *       startsAt: "2026-01-15T12:00:00Z", endsAt: "2026-01-15T14:00:00Z" }
 * schedule: { groupWait: 30s, repeatInterval: 4h }
 * ```
 */
import { z } from 'zod';
import { parseDuration } from '@/lib/config/schema';
import {
  emailAddress,
  httpUrlText,
  recipients,
  SECRET_MIN,
  smtpUrlText,
  webhookSecretText,
} from './channel-fields';
import { channelId, oneOrMany } from './fields';
import { Route } from './routing';
import type { ScheduleSettings } from './schedule';
import { Silence } from './silences';

export { SECRET_MIN };
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export type Env = Readonly<Record<string, string | undefined>>;

/** A credential-bearing string: `${NAME}` references replaced from `env`. */
const secretText = (env: Env, what: string) =>
  z.string({ error: `expected ${what} as text` }).transform((text, ctx) => {
    let missing: string | null = null;
    const value = text.replace(REFERENCE, (_, name: string) => {
      const found = env[name];
      if (found === undefined || found === '') missing ??= name;
      return found ?? '';
    });
    if (missing !== null) {
      ctx.addIssue({ code: 'custom', message: `the environment variable ${missing} is not set` });
      return z.NEVER;
    }
    return value;
  });

const httpUrl = (env: Env, https = false) => secretText(env, 'a URL').pipe(httpUrlText(https));

const channel = (env: Env) =>
  z.discriminatedUnion(
    'type',
    [
      z.strictObject({
        id: channelId,
        type: z.literal('webhook'),
        url: httpUrl(env),
        secret: secretText(env, 'a secret').pipe(webhookSecretText),
      }),
      z.strictObject({ id: channelId, type: z.literal('slack'), webhookUrl: httpUrl(env, true) }),
      z.strictObject({
        id: channelId,
        type: z.literal('email'),
        to: recipients,
        from: emailAddress,
        smtp: secretText(env, 'an SMTP URL').pipe(smtpUrlText),
      }),
    ],
    { error: 'expected a channel with type webhook, slack or email' },
  );

const duration = () =>
  z.string({ error: 'expected a duration such as 30s, 5m or 4h' }).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration such as 30s, 5m or 4h, got "${text}"`,
      });
      return z.NEVER;
    }
    return ms;
  });

const fileSchema = (env: Env) =>
  z
    .strictObject({
      channels: z.array(channel(env)).default([]),
      routes: z.array(Route).default([]),
      defaultChannels: oneOrMany(channelId).default([]),
      silences: z.array(Silence).default([]),
      schedule: z
        .strictObject({ groupWait: duration().optional(), repeatInterval: duration().optional() })
        .prefault({}),
    })
    .superRefine((file, ctx) => {
      const seen = new Map<string, number>();
      file.channels.forEach((c, i) => {
        const first = seen.get(c.id);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['channels', i, 'id'],
            message: `channel id "${c.id}" is already used by channels[${first}]`,
          });
        } else seen.set(c.id, i);
      });
      const unknown = (id: string, path: (string | number)[]) => {
        if (!seen.has(id)) {
          ctx.addIssue({ code: 'custom', path, message: `no channel has the id "${id}"` });
        }
      };
      file.routes.forEach((r, i) =>
        r.channels.forEach((id, j) => unknown(id, ['routes', i, 'channels', j])),
      );
      file.defaultChannels.forEach((id, j) => unknown(id, ['defaultChannels', j]));
    });

/**
 * A validated file. `schedule` holds only what the file sets: it overrides the variables
 * PULSE_NOTIFY_GROUP_WAIT and PULSE_NOTIFY_REPEAT_INTERVAL field by field.
 */
export type NotifyConfig = Omit<z.output<ReturnType<typeof fileSchema>>, 'schedule'> & {
  schedule: Partial<ScheduleSettings>;
};
export type ChannelConfig = NotifyConfig['channels'][number];

export class NotifyConfigError extends Error {
  constructor(
    public readonly source: string,
    public readonly problems: string[],
  ) {
    super(
      `Invalid notification settings in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'NotifyConfigError';
  }
}

/** `channels[1].url`, `routes[0].match.cause.region`; `(file)` for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(file)' : out;
}

/**
 * Validates a parsed provisioning file. `env` resolves `${NAME}` references in secrets.
 * Throws NotifyConfigError listing every problem as `path: message`.
 */
export function parseNotifyConfig(
  input: unknown,
  env: Env,
  source = 'PULSE_NOTIFY_CONFIG',
): NotifyConfig {
  const result = fileSchema(env).safeParse(input ?? {});
  if (!result.success) {
    throw new NotifyConfigError(
      source,
      result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
    );
  }
  const { schedule, ...rest } = result.data;
  return {
    ...rest,
    schedule: {
      ...(schedule.groupWait !== undefined ? { groupWaitMs: schedule.groupWait } : {}),
      ...(schedule.repeatInterval !== undefined
        ? { repeatIntervalMs: schedule.repeatInterval }
        : {}),
    },
  };
}

/** The channel id `PULSE_WEBHOOK_URL` and `PULSE_WEBHOOK_SECRET` create. */
export const SHORTCUT_CHANNEL_ID = 'webhook';

/**
 * The common case without a file: `PULSE_WEBHOOK_URL` and `PULSE_WEBHOOK_SECRET` make one
 * webhook channel that receives every incident: a first route that matches everything and
 * continues, so the routes set in the browser still apply after it.
 */
export function webhookShortcut(url: string, secret: string): NotifyConfig {
  return parseNotifyConfig(
    {
      channels: [{ id: SHORTCUT_CHANNEL_ID, type: 'webhook', url, secret }],
      routes: [
        {
          name: 'every incident (PULSE_WEBHOOK_URL)',
          channels: [SHORTCUT_CHANNEL_ID],
          continue: true,
        },
      ],
    },
    {},
    'PULSE_WEBHOOK_URL and PULSE_WEBHOOK_SECRET',
  );
}

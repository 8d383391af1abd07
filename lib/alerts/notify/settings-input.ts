/**
 * What the settings page and the API take to change notification settings (channels, routes,
 * the default channels, silences), validated by the same rules as the provisioning file
 * (./channel-fields.ts, ./routing.ts, ./silences.ts) with the same messages. Pure: the route
 * helper parses request bodies with the schemas, the forms check their values with the `check*`
 * functions, so the browser and the API say the same.
 *
 * **Credentials on update.** Each channel type has settings (CHANNEL_FIELDS); a change names only
 * the settings it changes, and a setting left out keeps its stored value, so a person can turn a
 * channel's recipients over without retyping the SMTP password the page never shows again.
 *
 * Form text is parsed here too: a list of globs is comma-separated (`revenue*, purchases`), a
 * cause matcher is `dimension=value` pairs (`region=eu-west, device=ios`).
 */
import { z } from 'zod';
import type { ChannelConfig } from './config-file';
import {
  emailAddress,
  httpUrlText,
  recipients,
  smtpUrlText,
  webhookSecretText,
} from './channel-fields';
import { CHANNEL_ID, channelId, PATTERN_MAX, safeText } from './fields';
import { Route, type RouteMatch } from './routing';
import { SILENCE_MAX_MS, SilenceMatchers } from './silences';

export const CHANNEL_TYPES = ['webhook', 'slack', 'email'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export type ChannelField = 'url' | 'secret' | 'webhookUrl' | 'to' | 'from' | 'smtp';

/** The settings of each type, in the order a form asks for them. */
export const CHANNEL_FIELDS: Record<ChannelType, readonly ChannelField[]> = {
  webhook: ['url', 'secret'],
  slack: ['webhookUrl'],
  email: ['to', 'from', 'smtp'],
};

/** The settings that are credentials: never shown or returned again once stored. */
export const CREDENTIAL_FIELDS: readonly ChannelField[] = ['url', 'secret', 'webhookUrl', 'smtp'];

export const TYPE_LABEL: Record<ChannelType, string> = {
  webhook: 'Webhook',
  slack: 'Slack',
  email: 'Email',
};

const FIELD_SCHEMA: Record<ChannelField, z.ZodType> = {
  url: httpUrlText(false),
  secret: webhookSecretText,
  webhookUrl: httpUrlText(true),
  to: recipients,
  from: emailAddress,
  smtp: smtpUrlText,
};

const MISSING: Record<ChannelField, string> = {
  url: 'expected the URL to post to',
  secret: 'expected a secret to sign each message with',
  webhookUrl: "expected Slack's incoming webhook URL",
  to: 'expected at least one recipient',
  from: 'expected the address messages come from',
  smtp: 'expected an SMTP URL, such as smtp://user:password@mail.example.com:587',
};

export type ChannelSettings = Partial<Record<ChannelField, unknown>>;
type Errors = Record<string, string>;

const firstMessage = (error: z.ZodError) => error.issues[0]?.message ?? 'expected a valid value';

/**
 * Checks the settings of a channel of `type`: each one given by its rule, none of another
 * type, and (creating) every one of the type present. Values that are `undefined` are not
 * given. Returns the parsed settings and the messages per field.
 */
export function checkChannelSettings(
  type: ChannelType,
  settings: ChannelSettings,
  mode: 'create' | 'update',
): { value: Partial<Record<ChannelField, unknown>>; errors: Errors } {
  const value: Partial<Record<ChannelField, unknown>> = {};
  const errors: Errors = {};
  const own = CHANNEL_FIELDS[type];
  for (const [key, raw] of Object.entries(settings) as [ChannelField, unknown][]) {
    if (raw === undefined) continue;
    if (!own.includes(key)) {
      errors[key] = `a ${TYPE_LABEL[type].toLowerCase()} channel has no ${key}`;
      continue;
    }
    const parsed = FIELD_SCHEMA[key].safeParse(raw);
    if (parsed.success) value[key] = parsed.data;
    else errors[key] = firstMessage(parsed.error);
  }
  if (mode === 'create') {
    for (const key of own) if (settings[key] === undefined) errors[key] ??= MISSING[key];
  }
  return { value, errors };
}

/** A channel as stored: its id, type and every setting (the credentials included). */
export function channelConfig(
  id: string,
  type: ChannelType,
  settings: Partial<Record<ChannelField, unknown>>,
): ChannelConfig {
  const pick = <K extends ChannelField>(key: K) => settings[key] as string;
  switch (type) {
    case 'webhook':
      return { id, type, url: pick('url'), secret: pick('secret') };
    case 'slack':
      return { id, type, webhookUrl: pick('webhookUrl') };
    case 'email':
      return { id, type, to: settings.to as string[], from: pick('from'), smtp: pick('smtp') };
  }
}

/** The settings of a stored channel, to merge a change into. */
export function channelSettings(config: ChannelConfig): Partial<Record<ChannelField, unknown>> {
  const { id: _id, type: _type, ...settings } = config;
  return settings;
}

const loose = z.unknown().optional();
const flag = z.boolean({ error: 'expected true or false' }).optional();
const SETTINGS_SHAPE = {
  url: loose,
  secret: loose,
  webhookUrl: loose,
  to: loose,
  from: loose,
  smtp: loose,
};

/** POST /api/notifications/channels: `{ id, type, …settings, isDefault?, enabled? }`. */
export const ChannelCreateBody = z
  .strictObject({
    id: channelId,
    type: z.enum(CHANNEL_TYPES, { error: 'expected webhook, slack or email' }),
    ...SETTINGS_SHAPE,
    isDefault: flag,
    enabled: flag,
  })
  .transform((body, ctx) => {
    const { id, type, isDefault, enabled, ...settings } = body;
    const checked = checkChannelSettings(type, settings, 'create');
    for (const [path, message] of Object.entries(checked.errors)) {
      ctx.addIssue({ code: 'custom', path: [path], message });
    }
    if (Object.keys(checked.errors).length > 0) return z.NEVER;
    return {
      config: channelConfig(id, type, checked.value),
      isDefault: isDefault ?? false,
      enabled: enabled ?? true,
    };
  });
export type ChannelCreateInput = z.output<typeof ChannelCreateBody>;

/**
 * PATCH /api/notifications/channels/[id]: the settings to change (others keep their stored
 * value; the type's rules are applied by the use case, which knows the type), and the flags.
 */
export const ChannelUpdateBody = z
  .strictObject({ ...SETTINGS_SHAPE, isDefault: flag, enabled: flag })
  .refine((body) => Object.values(body).some((v) => v !== undefined), {
    error: 'expected a setting to change, or enabled or isDefault',
  });
export type ChannelUpdateInput = z.output<typeof ChannelUpdateBody>;

/** Most routes set in the browser. */
export const ROUTES_MAX = 100;

/**
 * PUT /api/notifications/routes: the whole ordered list of the routes set in the browser (the
 * provisioned ones stay), and optionally the default channels (every channel set in the
 * browser is a default exactly when listed).
 */
export const RoutesBody = z.strictObject({
  routes: z
    .array(Route, { error: 'expected a list of routes' })
    .max(ROUTES_MAX, { error: `expected at most ${ROUTES_MAX} routes` }),
  defaultChannels: z
    .array(channelId, { error: 'expected a list of channel ids' })
    .max(ROUTES_MAX, { error: `expected at most ${ROUTES_MAX} channels` })
    .optional(),
});
export type RoutesInput = z.output<typeof RoutesBody>;

const instant = z.iso
  .datetime({ offset: true, error: 'expected an ISO 8601 date and time' })
  .transform((text) => Date.parse(text));

/** Longest comment on a silence. */
export const COMMENT_MAX = 500;

/**
 * POST /api/notifications/silences: what to mute, why, until when (from now, or `startsAt`);
 * `incidentId` when created from an incident. Who set it is the signed-in user.
 */
export const SilenceBody = z.strictObject({
  matchers: SilenceMatchers,
  comment: safeText('a comment saying why', COMMENT_MAX),
  startsAt: instant.optional(),
  endsAt: instant,
  incidentId: z
    .number({ error: 'expected an incident id' })
    .int({ error: 'expected an incident id' })
    .positive({ error: 'expected an incident id' })
    .optional(),
});
export type SilenceInput = z.output<typeof SilenceBody>;

/** How far back a silence may start: a clock a little behind ours is not a mistake. */
const START_SLACK_MS = 60_000;

/**
 * The times of a new silence at `now`: it starts now (or later, when given), ends after it
 * starts and in the future, and lasts at most 90 days. Messages per field.
 */
export function checkSilenceTimes(
  input: { startsAt?: number | undefined; endsAt: number },
  now: number,
): { startsAt: number; endsAt: number; errors: Errors } {
  const errors: Errors = {};
  const startsAt = input.startsAt ?? now;
  if (startsAt < now - START_SLACK_MS) errors.startsAt = 'expected a start now or later';
  if (input.endsAt <= Math.max(startsAt, now)) {
    errors.endsAt = 'expected an end in the future, after the start';
  } else if (input.endsAt - startsAt > SILENCE_MAX_MS) {
    errors.endsAt = 'expected a silence of at most 90 days';
  }
  return { startsAt: Math.max(startsAt, now - START_SLACK_MS), endsAt: input.endsAt, errors };
}

// ---- form text -------------------------------------------------------------------------------

/** `revenue*, purchases` → `['revenue*', 'purchases']`; empty text → no list. */
export function parseGlobList(text: string): { value: string[] | undefined; error?: string } {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) return { value: undefined };
  const long = items.find((item) => item.length > PATTERN_MAX);
  if (long)
    return { value: undefined, error: `expected patterns of at most ${PATTERN_MAX} characters` };
  return { value: [...new Set(items)] };
}

/**
 * `region=eu-west, device=ios` → `{ region: 'eu-west', device: 'ios' }`; empty text → none.
 * Values are globs; a comma separates pairs, so a value cannot hold one.
 */
export function parseCauseText(text: string): {
  value: Record<string, string> | undefined;
  error?: string;
} {
  const pairs = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (pairs.length === 0) return { value: undefined };
  const cause: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const dimension = at < 0 ? '' : pair.slice(0, at).trim();
    const value = at < 0 ? '' : pair.slice(at + 1).trim();
    if (dimension === '' || value === '') {
      return {
        value: undefined,
        error: `expected dimension=value pairs, such as region=eu-west (got "${pair}")`,
      };
    }
    if (Object.hasOwn(cause, dimension)) {
      return { value: undefined, error: `the dimension ${dimension} is given twice` };
    }
    if (dimension.length > PATTERN_MAX || value.length > PATTERN_MAX) {
      return {
        value: undefined,
        error: `expected names and values of at most ${PATTERN_MAX} characters`,
      };
    }
    cause[dimension] = value;
  }
  return { value: cause };
}

/** The text of a cause matcher, as the form shows it. */
export const causeText = (cause: Record<string, string> | undefined) =>
  Object.entries(cause ?? {})
    .map(([dimension, value]) => `${dimension}=${value}`)
    .join(', ');

/** A route as the form edits it: text fields, parsed on submit. */
export interface RouteForm {
  /** Stable key of the row while it is edited (not sent). */
  key: string;
  name: string;
  minSeverity: '' | 'warn' | 'critical';
  metrics: string;
  cause: string;
  channels: string[];
  continue: boolean;
}

export function routeForm(route: Route, key: string): RouteForm {
  return {
    key,
    name: route.name ?? '',
    minSeverity: route.match.minSeverity ?? '',
    metrics: (route.match.metrics ?? []).join(', '),
    cause: causeText(route.match.cause),
    channels: [...route.channels],
    continue: route.continue,
  };
}

/**
 * The routes of the form as the API takes them, with messages keyed as the API keys them
 * (`routes.0.channels`, `routes.1.match.cause`), so a server error lands on the same field.
 */
export function checkRoutesForm(rows: readonly RouteForm[]): {
  value: Route[] | null;
  errors: Errors;
} {
  const errors: Errors = {};
  const routes: Route[] = [];
  rows.forEach((row, i) => {
    const at = `routes.${i}`;
    const metrics = parseGlobList(row.metrics);
    if (metrics.error) errors[`${at}.match.metrics`] = metrics.error;
    const cause = parseCauseText(row.cause);
    if (cause.error) errors[`${at}.match.cause`] = cause.error;
    const match: RouteMatch = {
      ...(row.minSeverity ? { minSeverity: row.minSeverity } : {}),
      ...(metrics.value ? { metrics: metrics.value } : {}),
      ...(cause.value ? { cause: cause.value } : {}),
    };
    const candidate = {
      ...(row.name.trim() ? { name: row.name.trim() } : {}),
      match,
      channels: row.channels,
      continue: row.continue,
    };
    if (row.channels.length === 0) {
      errors[`${at}.channels`] = 'expected at least one channel';
      return;
    }
    const parsed = Route.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = [at, ...issue.path.slice(0, issue.path[0] === 'match' ? 2 : 1)].join('.');
        errors[field] ??= issue.message;
      }
      return;
    }
    routes.push(parsed.data);
  });
  if (rows.length > ROUTES_MAX) errors.routes = `expected at most ${ROUTES_MAX} routes`;
  return { value: Object.keys(errors).length === 0 ? routes : null, errors };
}

/** Whether a channel id is well-formed (the form's check before asking the server). */
export const isChannelId = (id: string) => CHANNEL_ID.test(id);

/** `team@example.com, oncall@example.com` → the list the API takes. */
export const splitRecipients = (text: string) =>
  text
    .split(/[,;\s]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');

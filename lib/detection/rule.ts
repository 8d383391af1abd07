/**
 * Alert rules edited in the browser: their limits, the zod schema whose messages are sentences
 * shown beside the form fields, and validation of user input. Pure; the form and the API use
 * the same rules.
 */
import { z } from 'zod';
import { BASELINE_KINDS, SEASONS, type AlertRule, type Direction } from '@/lib/types';

const MAX_Z = 1000;
const MAX_MIN_VOLUME = 1_000_000_000;
const MAX_SIGMA_FLOOR = 1_000_000_000;
export const MAX_CONSECUTIVE = 60;
export const MAX_RESOLVE_AFTER = 1000;

const warnZSchema = z
  .number({ error: 'Warn z must be a number.' })
  .gt(0, { error: 'Warn z must be greater than 0.' })
  .max(MAX_Z, { error: `Warn z must be at most ${MAX_Z}.` });

const criticalZSchema = z
  .number({ error: 'Critical z must be a number.' })
  .gt(0, { error: 'Critical z must be greater than 0.' })
  .max(MAX_Z, { error: `Critical z must be at most ${MAX_Z}.` });

const DIRECTIONS = ['up', 'down', 'both'] as const satisfies readonly Direction[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The fields of an alert rule and their messages, for composing request bodies (zod cannot
 * extend an object that carries refinements): spread it into a new object and add
 * {@link thresholdOrder}, as {@link alertRuleSchema} does.
 */
export const alertRuleShape = {
  warnZ: warnZSchema,
  criticalZ: criticalZSchema,
  direction: z.enum(DIRECTIONS, { error: 'Direction must be up, down or both.' }),
  minVolume: z
    .int({ error: 'Minimum volume must be a whole number.' })
    .min(0, { error: 'Minimum volume must be between 0 and 1,000,000,000.' })
    .max(MAX_MIN_VOLUME, { error: 'Minimum volume must be between 0 and 1,000,000,000.' }),
  baselineWindows: z
    .int({ error: 'Baseline windows must be a whole number.' })
    .min(3, { error: 'Baseline windows must be between 3 and 1000.' })
    .max(1000, { error: 'Baseline windows must be between 3 and 1000.' }),
  baseline: z.enum(BASELINE_KINDS, {
    error: 'Baseline must be auto, rolling, robust or seasonal.',
  }),
  season: z.enum(SEASONS, { error: 'Season must be day or week.' }),
  sigmaFloor: z
    .number({ error: 'σ floor must be a number.' })
    .min(0, { error: 'σ floor must be 0 or more.' })
    .max(MAX_SIGMA_FLOOR, { error: 'σ floor must be at most 1,000,000,000.' }),
  consecutiveWindows: z
    .int({ error: 'Consecutive windows must be a whole number.' })
    .min(1, { error: `Consecutive windows must be between 1 and ${MAX_CONSECUTIVE}.` })
    .max(MAX_CONSECUTIVE, {
      error: `Consecutive windows must be between 1 and ${MAX_CONSECUTIVE}.`,
    }),
  resolveAfter: z
    .int({ error: 'Resolve after must be a whole number of windows.' })
    .min(1, { error: `Resolve after must be between 1 and ${MAX_RESOLVE_AFTER} windows.` })
    .max(MAX_RESOLVE_AFTER, {
      error: `Resolve after must be between 1 and ${MAX_RESOLVE_AFTER} windows.`,
    }),
};

/** The message of thresholds out of order, or undefined when critical z ≥ warn z. */
function thresholdOrderMessage(warnZ: number, criticalZ: number): string | undefined {
  return criticalZ < warnZ ? `Critical z must be at least the warn z (${warnZ}).` : undefined;
}

/** The check across fields of a rule: the critical threshold is at least the warn threshold. */
export const thresholdOrder = z.superRefine<{ warnZ: number; criticalZ: number }>(
  (rule, ctx) => {
    const message = thresholdOrderMessage(rule.warnZ, rule.criticalZ);
    if (message) ctx.addIssue({ code: 'custom', path: ['criticalZ'], message });
  },
  {
    // Compare as soon as both thresholds are valid, even if another field is not.
    when: ({ value }) =>
      isRecord(value) &&
      warnZSchema.safeParse(value.warnZ).success &&
      criticalZSchema.safeParse(value.criticalZ).success,
  },
);

/** Alert rule as edited in the browser; messages are sentences shown beside the form fields. */
export const alertRuleSchema = z.object(alertRuleShape).check(thresholdOrder);

export type RuleErrors = Partial<Record<keyof AlertRule, string>>;

const RULE_FIELDS = [
  'warnZ',
  'criticalZ',
  'direction',
  'minVolume',
  'baselineWindows',
  'baseline',
  'season',
  'sigmaFloor',
  'consecutiveWindows',
  'resolveAfter',
] as const satisfies readonly (keyof AlertRule)[];

function isRuleField(key: PropertyKey | undefined): key is keyof AlertRule {
  return RULE_FIELDS.some((field) => field === key);
}

/**
 * Validates an alert rule from user input. Returns the first message per field; a
 * non-object input is treated as an empty form (every field reports it is missing).
 */
export function validateRule(
  input: unknown,
): { ok: true; rule: AlertRule } | { ok: false; errors: RuleErrors } {
  const raw = isRecord(input) ? input : {};
  const parsed = alertRuleSchema.safeParse(raw);
  if (parsed.success) return { ok: true, rule: parsed.data };
  const errors: RuleErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    if (isRuleField(field)) errors[field] ??= issue.message;
  }
  // zod skips the check across fields once another field failed in a way it treats as final (a
  // fraction in a whole-number field): judge the two thresholds on their own, so every field's
  // message is there at once, in the API as in the form.
  const warn = warnZSchema.safeParse(raw.warnZ);
  const critical = criticalZSchema.safeParse(raw.criticalZ);
  if (!errors.criticalZ && warn.success && critical.success) {
    const order = thresholdOrderMessage(warn.data, critical.data);
    if (order) errors.criticalZ = order;
  }
  return { ok: false, errors };
}

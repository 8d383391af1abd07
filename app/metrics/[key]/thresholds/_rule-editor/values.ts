/** The rule editor's values as typed (strings) and how they become a rule to validate. Pure. */
import { validateRule } from '@/lib/detection/rule';
import type { AlertRule } from '@/lib/types';
import type { Checked } from '@/app/_lib/form-state';
import type { Form } from '@/app/_lib/use-form';

export type RuleField = keyof AlertRule;
export type RuleValues = Record<RuleField, string>;

/** The form as its panels see it. */
export type RuleFormModel = Form<RuleValues, RuleField, AlertRule>;

/** The fields in the order of the form: a refused submit focuses the first in error. */
export const RULE_FIELDS: RuleField[] = [
  'warnZ',
  'criticalZ',
  'direction',
  'minVolume',
  'baseline',
  'baselineWindows',
  'season',
  'sigmaFloor',
  'consecutiveWindows',
  'resolveAfter',
];

export function toValues(rule: AlertRule): RuleValues {
  return {
    warnZ: String(rule.warnZ),
    criticalZ: String(rule.criticalZ),
    direction: rule.direction,
    minVolume: String(rule.minVolume),
    baselineWindows: String(rule.baselineWindows),
    baseline: rule.baseline,
    season: rule.season,
    sigmaFloor: String(rule.sigmaFloor),
    consecutiveWindows: String(rule.consecutiveWindows),
    resolveAfter: String(rule.resolveAfter),
  };
}

function num(text: string): number | undefined {
  const trimmed = text.trim();
  return trimmed === '' ? undefined : Number(trimmed);
}

/** What the form would submit, before validation. */
function toCandidate(values: RuleValues): Record<RuleField, unknown> {
  return {
    warnZ: num(values.warnZ),
    criticalZ: num(values.criticalZ),
    direction: values.direction,
    minVolume: num(values.minVolume),
    baselineWindows: num(values.baselineWindows),
    baseline: values.baseline,
    season: values.season,
    sigmaFloor: num(values.sigmaFloor),
    consecutiveWindows: num(values.consecutiveWindows),
    resolveAfter: num(values.resolveAfter),
  };
}

/** The client check: lib/detection/rule.ts, as the API checks it, every field's message at once. */
export function checkRule(values: RuleValues): Checked<AlertRule, RuleField> {
  const check = validateRule(toCandidate(values));
  return check.ok ? { value: check.rule, errors: {} } : { value: null, errors: check.errors };
}

export function sameValues(a: RuleValues, b: RuleValues): boolean {
  return RULE_FIELDS.every((f) => a[f].trim() === b[f].trim());
}

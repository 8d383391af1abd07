/**
 * Detection: a baseline from earlier windows, a z-score for the current one, severity from the
 * metric's alert rule, and validation of alert rules edited in the browser.
 */
import { z } from 'zod';
import type { AlertRule, Direction, Score, Severity } from '@/lib/types';

/** Smallest σ ever used, so that z stays finite. */
const ABSOLUTE_SIGMA_FLOOR = 1e-9;
/** σ is at least this fraction of |mean|: a flat series does not turn noise into alerts. */
const RELATIVE_SIGMA_FLOOR = 0.01;
const DEFAULT_MIN_HISTORY = 5;

/**
 * Floors a standard deviation at max(`floor`, 1e-9, 1% of |mean|). A perfectly flat history
 * has σ = 0; without a floor the next tiny wobble would score an absurd z.
 */
export function floorSigma(sigma: number, mean: number, floor = 0): number {
  return Math.max(sigma, floor, ABSOLUTE_SIGMA_FLOOR, RELATIVE_SIGMA_FLOOR * Math.abs(mean));
}

/**
 * Poisson noise of a count with the given mean, √mean, taken at mean ≥ 1 so that a metric
 * that was always 0 scores a single event as z = 1 rather than z = 10⁹. Pass it as
 * `sigmaFloor` for count-like metrics.
 */
export function poissonFloor(mean: number): number {
  return Math.sqrt(Math.max(mean, 1));
}

export interface Baseline {
  mean: number;
  /** Sample standard deviation (n − 1), floored by {@link floorSigma}. */
  sigma: number;
  n: number;
}

/** Mean and floored sample standard deviation of `history`. Empty history: mean 0, n 0. */
export function baseline(history: readonly number[], opts?: { sigmaFloor?: number }): Baseline {
  const n = history.length;
  const mean = n === 0 ? 0 : history.reduce((s, x) => s + x, 0) / n;
  const squares = history.reduce((s, x) => s + (x - mean) ** 2, 0);
  const sigma = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  return { mean, sigma: floorSigma(sigma, mean, opts?.sigmaFloor), n };
}

/** Severity of `z` under `rule`, or null; a one-sided rule ignores the other side. */
function severityOf(z: number, rule: AlertRule): Severity | null {
  if ((rule.direction === 'up' && z <= 0) || (rule.direction === 'down' && z >= 0)) return null;
  const size = Math.abs(z);
  if (size >= rule.criticalZ) return 'critical';
  if (size >= rule.warnZ) return 'warn';
  return null;
}

export interface ScoreOptions {
  /** Finite history values needed before scoring (capped at rule.baselineWindows). Default 5. */
  minHistory?: number;
  /** Lower bound for σ in the metric's units, e.g. {@link poissonFloor} for counts. */
  sigmaFloor?: number;
}

/**
 * Scores a window's value against its history (oldest first; the last `rule.baselineWindows`
 * finite values are used, windows without a value are skipped).
 * - 'learning' while the history is shorter than minHistory (z = 0);
 * - 'low_volume' when the value is null (value NaN, z = 0) or volume < rule.minVolume
 *   (z is computed but there is no severity);
 * - otherwise z = (value − mean) / σ and the status is the severity, or 'ok'.
 */
export function score(
  value: number | null,
  volume: number,
  history: readonly number[],
  rule: AlertRule,
  opts?: ScoreOptions,
): Score {
  const recent = history.filter(Number.isFinite).slice(-rule.baselineWindows);
  const minHistory = Math.min(opts?.minHistory ?? DEFAULT_MIN_HISTORY, rule.baselineWindows);
  const { mean, sigma } = baseline(recent, { sigmaFloor: opts?.sigmaFloor });
  const unscored = {
    value: value ?? Number.NaN,
    expected: mean,
    sigma,
    z: 0,
    severity: null,
    direction: null,
  };
  if (recent.length < minHistory) return { ...unscored, status: 'learning' };
  if (value === null) return { ...unscored, status: 'low_volume' };

  const z = (value - mean) / sigma;
  const direction = z > 0 ? 'up' : z < 0 ? 'down' : null;
  const scored = { value, expected: mean, sigma, z, direction } as const;
  if (volume < rule.minVolume) return { ...scored, status: 'low_volume', severity: null };
  const severity = severityOf(z, rule);
  return { ...scored, status: severity ?? 'ok', severity };
}

const MAX_Z = 1000;
const MAX_MIN_VOLUME = 1_000_000_000;

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

/** Alert rule as edited in the browser; messages are sentences shown beside the form fields. */
export const alertRuleSchema = z
  .object({
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
  })
  .superRefine(
    (rule, ctx) => {
      if (rule.criticalZ < rule.warnZ) {
        ctx.addIssue({
          code: 'custom',
          path: ['criticalZ'],
          message: `Critical z must be at least the warn z (${rule.warnZ}).`,
        });
      }
    },
    {
      // Compare as soon as both thresholds are valid, even if another field is not.
      when: ({ value }) =>
        isRecord(value) &&
        warnZSchema.safeParse(value.warnZ).success &&
        criticalZSchema.safeParse(value.criticalZ).success,
    },
  );

export type RuleErrors = Partial<Record<keyof AlertRule, string>>;

const RULE_FIELDS = [
  'warnZ',
  'criticalZ',
  'direction',
  'minVolume',
  'baselineWindows',
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
  const parsed = alertRuleSchema.safeParse(isRecord(input) ? input : {});
  if (parsed.success) return { ok: true, rule: parsed.data };
  const errors: RuleErrors = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0];
    if (isRuleField(field)) errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}

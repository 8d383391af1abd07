/**
 * The silence form, pure: its values (text fields, as a person edits them), the check that
 * turns them into the body of `POST /api/notifications/silences` with the lib validators (so
 * the browser and the API say the same), and the values a silence created from an incident
 * starts from — its cause and its metrics. Used by the settings page and the drill-down's
 * incident (app/_components/silence-form.tsx). Unit-tested.
 */
import {
  causeText,
  checkSilenceTimes,
  parseCauseText,
  parseGlobList,
  SilenceBody,
} from '@/lib/alerts/notify/settings-input';
import { SilenceMatchers } from '@/lib/alerts/notify/silences';
import type { IncidentSummary } from '@/lib/views';
import type { Checked } from './form-state';

const HOUR = 3_600_000;

export const SILENCE_PRESETS = [
  { value: '1h', label: '1 hour', ms: HOUR },
  { value: '4h', label: '4 hours', ms: 4 * HOUR },
  { value: '24h', label: '24 hours', ms: 24 * HOUR },
  { value: 'until', label: 'Until…', ms: 0 },
] as const;
export type SilencePreset = (typeof SILENCE_PRESETS)[number]['value'];

export interface SilenceValues {
  metrics: string;
  severity: '' | 'warn' | 'critical';
  cause: string;
  comment: string;
  duration: SilencePreset;
  /** A `datetime-local` value, when the duration is `until`. */
  until: string;
}

export type SilenceField =
  | 'matchers'
  | 'matchers.metrics'
  | 'matchers.severity'
  | 'matchers.cause'
  | 'comment'
  | 'endsAt'
  | 'incidentId';

/** What the form sends. */
export interface SilenceRequest {
  matchers: SilenceMatchers;
  comment: string;
  endsAt: string;
  incidentId?: number;
}

export const EMPTY_SILENCE: SilenceValues = {
  metrics: '',
  severity: '',
  cause: '',
  comment: '',
  duration: '1h',
  until: '',
};

/** Checks the values at `now`: the request to send (with `incidentId` when given), or why not. */
export function checkSilence(
  values: SilenceValues,
  now: number,
  incidentId?: number,
): Checked<SilenceRequest, SilenceField> {
  const errors: Partial<Record<SilenceField, string>> = {};
  const metrics = parseGlobList(values.metrics);
  if (metrics.error) errors['matchers.metrics'] = metrics.error;
  const cause = parseCauseText(values.cause);
  if (cause.error) errors['matchers.cause'] = cause.error;
  const matchers = SilenceMatchers.safeParse({
    ...(metrics.value ? { metrics: metrics.value } : {}),
    ...(values.severity ? { severity: [values.severity] } : {}),
    ...(cause.value ? { cause: cause.value } : {}),
  });
  if (!matchers.success && !metrics.error && !cause.error) {
    errors.matchers = matchers.error.issues[0]?.message ?? 'expected a matcher';
  }
  const comment = SilenceBody.shape.comment.safeParse(values.comment.trim());
  if (!comment.success) errors.comment = comment.error.issues[0]?.message ?? 'expected why';
  const preset = SILENCE_PRESETS.find((p) => p.value === values.duration)!;
  const endsAt = values.duration === 'until' ? new Date(values.until).getTime() : now + preset.ms;
  if (Number.isNaN(endsAt)) errors.endsAt = 'expected a date and time';
  else {
    const times = checkSilenceTimes({ endsAt }, now);
    if (times.errors.endsAt) errors.endsAt = times.errors.endsAt;
  }
  const ok = matchers.success && comment.success && Object.keys(errors).length === 0;
  return {
    value: ok
      ? {
          matchers: matchers.data,
          comment: comment.data,
          endsAt: new Date(endsAt).toISOString(),
          ...(incidentId !== undefined ? { incidentId } : {}),
        }
      : null,
    errors,
  };
}

/**
 * The form's values for a silence of this incident: its metrics (the keys of its anomalies that
 * were not withdrawn; all of them when every one was — as silences judge it) and its shared
 * cause as `dimension=value` pairs. Either is left empty when the form's text could not say it
 * exactly (a value holding a comma, text the validators refuse), so a prefilled silence is
 * never wider or narrower than the incident; the person fills in why and for how long.
 */
export function incidentSilenceValues(
  incident: Pick<IncidentSummary, 'cause' | 'anomalies'>,
): SilenceValues {
  const live = incident.anomalies.filter((a) => a.status !== 'withdrawn');
  const keys = [...new Set((live.length > 0 ? live : incident.anomalies).map((a) => a.metricKey))];
  const metricsText = keys.join(', ');
  const parsedMetrics = parseGlobList(metricsText);
  const metricsOk =
    !parsedMetrics.error &&
    sameList(parsedMetrics.value ?? [], keys) &&
    SilenceMatchers.safeParse({ metrics: keys }).success;

  const cause = incident.cause ?? {};
  const causeString = causeText(cause);
  const parsedCause = parseCauseText(causeString);
  const causeOk =
    Object.keys(cause).length > 0 &&
    !parsedCause.error &&
    sameCause(parsedCause.value ?? {}, cause) &&
    SilenceMatchers.safeParse({ cause }).success;

  return {
    ...EMPTY_SILENCE,
    metrics: metricsOk ? metricsText : '',
    cause: causeOk ? causeString : '',
  };
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((item, i) => item === b[i]);

function sameCause(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(b);
  return (
    Object.keys(a).length === keys.length && keys.every((k) => Object.hasOwn(a, k) && a[k] === b[k])
  );
}

/**
 * The snooze menu, pure: its presets (the keys of lib/alerts/workflow.ts `SNOOZE_PRESETS`,
 * labelled) and the check of its custom "until" value (a `datetime-local` value, read as local
 * time) that turns it into the `until` of an action's body. Used by the menu of an anomaly and of
 * an incident (app/_components/snooze-menu.tsx); the server judges the time itself (not past,
 * not too far). Unit-tested.
 */
import type { SnoozePreset } from '@/lib/alerts/workflow';

export const SNOOZE_MENU_PRESETS: readonly { preset: SnoozePreset; label: string }[] = [
  { preset: '30m', label: '30 min' },
  { preset: '2h', label: '2 h' },
  { preset: '24h', label: '24 h' },
];

/** What a choice in the menu adds to a `snooze` action's body. */
export type SnoozeChoice = { preset: SnoozePreset } | { until: string };

export const PICK_UNTIL = 'Pick a date and time to snooze until.';

/** The custom time as an ISO instant, or the message when it is empty or not a time. */
export function snoozeUntil(value: string): { until: string } | { error: string } {
  const at = value ? new Date(value) : null;
  if (!at || Number.isNaN(at.getTime())) return { error: PICK_UNTIL };
  return { until: at.toISOString() };
}

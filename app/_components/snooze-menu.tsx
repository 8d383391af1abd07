'use client';
/**
 * The menu a "Snooze…" button opens, for an anomaly (the drill-down's triage) or a whole incident
 * (app/_components/incident-actions.tsx): the presets, a custom "until" time (checked here with
 * app/_lib/snooze.ts; the server's objection to it arrives as `untilError`), Cancel. Rendered only
 * while open: it takes the focus (its first preset) when it appears, and Escape closes it.
 */
import { useEffect, useRef, useState } from 'react';
import { SNOOZE_MENU_PRESETS, snoozeUntil, type SnoozeChoice } from '../_lib/snooze';
import styles from './lifecycle.module.css';

export function SnoozeMenu({
  ids,
  testId,
  legend,
  presetLabel,
  custom = true,
  busy,
  untilError,
  onSnooze,
  onClose,
}: {
  /**
   * The prefix of the menu's ids, from the bar's `useId`: the menu is `<ids>-snooze` (what the
   * Snooze… button controls), its time field `<ids>-until` and that field's error `<ids>-until-error`.
   */
  ids: string;
  testId: string;
  legend: string;
  /** A preset button's accessible name, from its label ("30 min"). */
  presetLabel: (label: string) => string;
  /** Offer a custom "until" time besides the presets (the board's compact bar does not). */
  custom?: boolean;
  busy: boolean;
  /** The server's objection to the last `until` sent, if any. */
  untilError?: string | null;
  onSnooze: (choice: SnoozeChoice) => void;
  /** Escape or Cancel: the caller closes the menu and gives the focus back to its button. */
  onClose: () => void;
}) {
  const [value, setValue] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const firstPreset = useRef<HTMLButtonElement>(null);
  const error = invalid ?? untilError ?? null;

  useEffect(() => {
    firstPreset.current?.focus();
  }, []);

  function snooze(choice: SnoozeChoice) {
    setInvalid(null);
    onSnooze(choice);
  }

  function snoozeCustom() {
    const checked = snoozeUntil(value);
    if ('error' in checked) setInvalid(checked.error);
    else snooze(checked);
  }

  return (
    <fieldset
      id={`${ids}-snooze`}
      className={styles.snoozeMenu}
      data-testid={testId}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <legend>{legend}</legend>
      {SNOOZE_MENU_PRESETS.map(({ preset, label }, i) => (
        <button
          key={preset}
          ref={i === 0 ? firstPreset : undefined}
          type="button"
          className="button button-ghost"
          onClick={() => snooze({ preset })}
          disabled={busy}
          aria-label={presetLabel(label)}
        >
          {label}
        </button>
      ))}
      {custom ? (
        <span className={styles.custom}>
          <label htmlFor={`${ids}-until`}>or until</label>
          <input
            id={`${ids}-until`}
            type="datetime-local"
            value={value}
            onChange={(event) => setValue(event.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? `${ids}-until-error` : undefined}
          />
          <button
            type="button"
            className="button button-ghost"
            onClick={snoozeCustom}
            disabled={busy}
          >
            Snooze until then
          </button>
        </span>
      ) : null}
      <button type="button" className="button-link" onClick={onClose}>
        Cancel
      </button>
      {error ? (
        <p id={`${ids}-until-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

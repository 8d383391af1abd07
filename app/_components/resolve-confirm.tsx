'use client';
/**
 * The confirmation a "Resolve…" button opens, for an anomaly (the drill-down's triage) or a whole
 * incident (app/_components/incident-actions.tsx): what resolving does, the confirm button, Cancel.
 * Rendered only while open: it takes the focus (the confirm button) when it appears, and Escape
 * cancels.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import styles from './lifecycle.module.css';

export function ResolveConfirm({
  id,
  label,
  testId,
  confirmLabel,
  cancelClassName = 'button-link',
  pending,
  busy,
  onConfirm,
  onCancel,
  children,
}: {
  /** Its id, when a button controls it (`aria-controls`). */
  id?: string;
  /** The group's accessible name (the question). */
  label: string;
  testId: string;
  /** The confirm button's text ("Resolve anomaly"); "Resolving…" while `pending`. */
  confirmLabel: string;
  cancelClassName?: string;
  /** The resolve is on its way. */
  pending: boolean;
  /** Some action is on its way: the buttons wait. */
  busy: boolean;
  onConfirm: () => void;
  /** Escape or Cancel: the caller closes it and gives the focus back to its button. */
  onCancel: () => void;
  /** What resolving does, in words. */
  children: ReactNode;
}) {
  const confirmButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    confirmButton.current?.focus();
  }, []);

  return (
    <div
      id={id}
      className={styles.confirm}
      role="group"
      aria-label={label}
      data-testid={testId}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onCancel();
      }}
    >
      <span>{children}</span>
      <button
        ref={confirmButton}
        type="button"
        className="button button-primary"
        onClick={onConfirm}
        disabled={busy}
      >
        {pending ? 'Resolving…' : confirmLabel}
      </button>
      <button type="button" className={cancelClassName} onClick={onCancel} disabled={busy}>
        Cancel
      </button>
    </div>
  );
}

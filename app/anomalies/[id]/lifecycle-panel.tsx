'use client';
/**
 * The drill-down's triage: the actions bar (editors and admins) and the audit trail (everyone).
 * The server decides what is allowed (lib/alerts/workflow.ts on both sides); the bar only
 * offers what the anomaly's current state permits.
 */
import { useId, useRef, useState } from 'react';
import {
  ACTION_PAST,
  NOTE_MAX,
  availableActions,
  type LifecycleAction,
  type SnoozePreset,
} from '@/lib/alerts/workflow';
import type { AnomalyEventView, AnomalySummary } from '@/lib/views';
import styles from '../../_components/lifecycle.module.css';
import { EventText } from '../../_components/event-text';
import { ResolveConfirm } from '../../_components/resolve-confirm';
import { SnoozeMenu } from '../../_components/snooze-menu';
import { TimeAgo } from '../../_components/time-ago';
import { ZonedTime } from '../../_components/zoned-time';
import { apiFetch } from '../../_lib/api';
import { useNow } from '../../_lib/use-now';

const BUTTON_LABEL: Record<Exclude<LifecycleAction, 'resolve' | 'snooze'>, string> = {
  acknowledge: 'Acknowledge',
  unacknowledge: 'Unacknowledge',
  reopen: 'Reopen',
  unsnooze: 'Unsnooze',
  mark_true_positive: 'Mark true positive',
  mark_false_positive: 'Mark false positive',
  clear_verdict: 'Clear verdict',
};

const DONE: Record<LifecycleAction, string> = {
  acknowledge: 'Acknowledged.',
  unacknowledge: 'Acknowledgement withdrawn.',
  resolve: 'Resolved.',
  reopen: 'Reopened.',
  snooze: 'Snoozed.',
  unsnooze: 'Snooze ended.',
  mark_true_positive: 'Marked true positive.',
  mark_false_positive: 'Marked false positive.',
  clear_verdict: 'Verdict cleared.',
};

type Body = { action: LifecycleAction; note?: string; preset?: SnoozePreset; until?: string };

export function LifecyclePanel({
  anomaly,
  canAct,
  history,
  onChanged,
}: {
  anomaly: AnomalySummary;
  canAct: boolean;
  history: AnomalyEventView[];
  /** After a successful action: the updated summary (the history is refetched by the page). */
  onChanged: (summary: AnomalySummary) => void;
}) {
  return (
    <section className="card" aria-labelledby="triage-heading" data-testid="triage">
      <div className={styles.panel}>
        <h2 id="triage-heading">Triage</h2>
        {canAct ? (
          <ActionsBar anomaly={anomaly} onChanged={onChanged} />
        ) : (
          <p className="muted" data-testid="read-only-note">
            Editors and admins can acknowledge, resolve, snooze and judge anomalies.
          </p>
        )}
        <div>
          <h3 id="trail-heading">Activity</h3>
          <AuditTrail history={history} />
        </div>
      </div>
    </section>
  );
}

function ActionsBar({
  anomaly,
  onChanged,
}: {
  anomaly: AnomalySummary;
  onChanged: (summary: AnomalySummary) => void;
}) {
  const ids = useId();
  const now = useNow();
  const [note, setNote] = useState('');
  const [pending, setPending] = useState<LifecycleAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [status, setStatus] = useState('');
  const [confirmingResolve, setConfirmingResolve] = useState(false);
  const [snoozeOpen, setSnoozeOpen] = useState(false);
  const snoozeButton = useRef<HTMLButtonElement>(null);
  const resolveButton = useRef<HTMLButtonElement>(null);

  // Until hydrated there is no clock: judge a stored snooze as in force (the server agrees).
  const clock = now ?? 0;
  const allowed = new Set(
    availableActions(
      {
        status: anomaly.status,
        acknowledgedAt: anomaly.acknowledged?.at ?? null,
        snoozedUntil: anomaly.snoozedUntil,
        verdict: anomaly.verdict?.value ?? null,
      },
      clock,
    ),
  );

  async function send(body: Body) {
    setPending(body.action);
    setError(null);
    setFields({});
    setStatus('');
    const trimmed = note.trim();
    const result = await apiFetch<AnomalySummary>(`/api/anomalies/${anomaly.id}/actions`, {
      method: 'POST',
      body: JSON.stringify(trimmed ? { ...body, note: trimmed } : body),
    });
    setPending(null);
    if (!result.ok) {
      setError(
        result.status === 403 ? 'Only editors and admins can act on anomalies.' : result.error,
      );
      setFields(result.fields ?? {});
      return;
    }
    setNote('');
    setConfirmingResolve(false);
    setSnoozeOpen(false);
    setStatus(DONE[body.action]);
    onChanged(result.data);
  }

  function closeSnooze() {
    setSnoozeOpen(false);
    snoozeButton.current?.focus();
  }

  function closeResolve() {
    setConfirmingResolve(false);
    resolveButton.current?.focus();
  }

  const busy = pending !== null;
  const noteError = fields.note;
  const untilError = fields.until;
  const simple = (action: keyof typeof BUTTON_LABEL, extra = '') =>
    allowed.has(action) ? (
      <button
        type="button"
        className={`button button-ghost${extra}`}
        onClick={() => void send({ action })}
        disabled={busy}
      >
        {pending === action ? `${BUTTON_LABEL[action]}…` : BUTTON_LABEL[action]}
      </button>
    ) : null;

  return (
    <div className={styles.panel} aria-busy={busy}>
      <div className={styles.bar} role="group" aria-label="Actions" data-testid="actions-bar">
        {simple('acknowledge')}
        {simple('unacknowledge')}
        {allowed.has('resolve') ? (
          <button
            ref={resolveButton}
            type="button"
            className="button button-ghost"
            onClick={() => {
              setConfirmingResolve(true);
              setSnoozeOpen(false);
            }}
            disabled={busy || confirmingResolve}
          >
            Resolve…
          </button>
        ) : null}
        {simple('reopen')}
        {allowed.has('snooze') ? (
          <button
            ref={snoozeButton}
            type="button"
            className="button button-ghost"
            aria-expanded={snoozeOpen}
            aria-controls={`${ids}-snooze`}
            onClick={() => {
              setSnoozeOpen((open) => !open);
              setConfirmingResolve(false);
            }}
            disabled={busy}
          >
            {anomaly.snoozedUntil !== null && allowed.has('unsnooze') ? 'Snooze again…' : 'Snooze…'}
          </button>
        ) : null}
        {simple('unsnooze')}
        {simple('mark_true_positive')}
        {simple('mark_false_positive')}
        {simple('clear_verdict')}
      </div>

      {confirmingResolve ? (
        <ResolveConfirm
          label="Resolve this anomaly?"
          testId="confirm-resolve"
          confirmLabel="Resolve anomaly"
          cancelClassName="button button-ghost"
          pending={pending === 'resolve'}
          busy={busy}
          onConfirm={() => void send({ action: 'resolve' })}
          onCancel={closeResolve}
        >
          Resolve it now? It stays resolved: if the detector sees the incident again, it opens a new
          anomaly.
        </ResolveConfirm>
      ) : null}

      {snoozeOpen ? (
        <SnoozeMenu
          ids={ids}
          testId="snooze-menu"
          legend="Snooze: alerts for it stay quiet until then"
          presetLabel={(label) => `Snooze for ${label}`}
          busy={busy}
          untilError={untilError}
          onSnooze={(choice) => void send({ action: 'snooze', ...choice })}
          onClose={closeSnooze}
        />
      ) : null}

      <div className={styles.noteField}>
        <label htmlFor={`${ids}-note`}>Note (optional), kept with the next action</label>
        <textarea
          id={`${ids}-note`}
          value={note}
          maxLength={NOTE_MAX}
          onChange={(event) => setNote(event.target.value)}
          aria-describedby={`${ids}-note-hint${noteError ? ` ${ids}-note-error` : ''}`}
          aria-invalid={noteError ? true : undefined}
          rows={2}
        />
        <span id={`${ids}-note-hint`} className="hint">
          {note.length}/{NOTE_MAX} characters
        </span>
        {noteError ? (
          <p id={`${ids}-note-error`} className="field-error">
            {noteError}
          </p>
        ) : null}
      </div>

      {error ? (
        <p className="form-error" role="alert" data-testid="action-error">
          {error}
        </p>
      ) : null}
      <p className="form-success" role="status" data-testid="action-status">
        {status}
      </p>
    </div>
  );
}

function AuditTrail({ history }: { history: AnomalyEventView[] }) {
  if (history.length === 0) {
    return <p className="muted">Nobody has acted on this anomaly yet.</p>;
  }
  return (
    <ol className={styles.trail} aria-labelledby="trail-heading" data-testid="audit-trail">
      {history.map((event) => (
        <li key={event.id} data-action={event.action}>
          <strong>{event.by === null ? 'A deleted user' : <EventText value={event.by} />}</strong>{' '}
          {ACTION_PAST[event.action]}
          {event.until !== null ? (
            <>
              {' '}
              until <ZonedTime ms={event.until} />
            </>
          ) : null}{' '}
          · <TimeAgo ms={event.at} />
          {event.note !== null ? (
            <q className={styles.trailNote}>
              <EventText value={event.note} />
            </q>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

'use client';
/**
 * Actions on a whole incident (editors and admins): each acts on every anomaly of the incident
 * that allows it, on the server, in one transaction. The buttons offered are those some anomaly
 * allows now (app/_lib/incident-feed.ts `incidentActions`, from lib/alerts/workflow.ts); the
 * board shows the common three (acknowledge, snooze, resolve), the drill-down all six.
 */
import { useId, useRef, useState, type ReactNode } from 'react';
import type { IncidentAction, SnoozePreset } from '@/lib/alerts/workflow';
import type { AnomalySummary, IncidentSummary } from '@/lib/views';
import { apiFetch } from '../_lib/api';
import { incidentActions } from '../_lib/incident-feed';
import { useNow } from '../_lib/use-now';
import styles from './lifecycle.module.css';
import { ResolveConfirm } from './resolve-confirm';
import { SnoozeMenu } from './snooze-menu';

const LABEL: Record<Exclude<IncidentAction, 'resolve' | 'snooze'>, string> = {
  acknowledge: 'Acknowledge',
  unacknowledge: 'Unacknowledge',
  reopen: 'Reopen',
  unsnooze: 'Unsnooze',
};

/**
 * Beside an anomaly's own buttons (the drill-down) the incident's say "all": acting on the
 * incident acts on each of its anomalies.
 */
const ALL = ' all';

const DONE: Record<IncidentAction, string> = {
  acknowledge: 'Incident acknowledged.',
  unacknowledge: 'Acknowledgement withdrawn.',
  resolve: 'Incident resolved.',
  reopen: 'Incident reopened.',
  snooze: 'Incident snoozed.',
  unsnooze: 'Snooze ended.',
};

const COMPACT: readonly IncidentAction[] = ['acknowledge', 'snooze', 'resolve'];

type Body = { action: IncidentAction; preset?: SnoozePreset; until?: string };

export function IncidentActions({
  incident,
  anomalies,
  compact = false,
  labelledBy,
  extra,
  onChanged,
}: {
  incident: Pick<IncidentSummary, 'id'>;
  /** The incident's anomalies as the page knows them now (what the buttons are judged on). */
  anomalies: readonly AnomalySummary[];
  /**
   * The board's three actions, smaller; else all six, with a custom snooze time, labelled
   * "… all" (beside the anomaly's own buttons).
   */
  compact?: boolean;
  /** The id of the element that names the incident (its title), for the group's label. */
  labelledBy?: string;
  /** More buttons at the end of the bar (the drill-down's "Silence…"). */
  extra?: ReactNode;
  onChanged: (summary: IncidentSummary) => void;
}) {
  const ids = useId();
  const now = useNow();
  const [pending, setPending] = useState<IncidentAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [open, setOpen] = useState<'snooze' | 'resolve' | null>(null);
  const [untilError, setUntilError] = useState<string | null>(null);
  const snoozeButton = useRef<HTMLButtonElement>(null);
  const resolveButton = useRef<HTMLButtonElement>(null);

  // Until hydrated there is no clock: judge a stored snooze as in force (the server agrees).
  const allowed = new Set(incidentActions(anomalies, now ?? 0));
  const shown = (action: IncidentAction) =>
    allowed.has(action) && (!compact || COMPACT.includes(action));
  const openCount = anomalies.filter((a) => a.status === 'open').length;

  async function send(body: Body) {
    setPending(body.action);
    setError(null);
    setUntilError(null);
    setStatus('');
    const result = await apiFetch<IncidentSummary>(`/api/incidents/${incident.id}/actions`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    setPending(null);
    if (!result.ok) {
      setError(
        result.status === 403 ? 'Only editors and admins can act on incidents.' : result.error,
      );
      if (result.fields?.until) setUntilError(result.fields.until);
      return;
    }
    setOpen(null);
    setStatus(DONE[body.action]);
    onChanged(result.data);
  }

  function close() {
    const was = open;
    setOpen(null);
    (was === 'snooze' ? snoozeButton : resolveButton).current?.focus();
  }

  const busy = pending !== null;
  const any = [...allowed].some((action) => shown(action)) || Boolean(extra);
  const all = compact ? '' : ALL;
  const simple = (action: keyof typeof LABEL) =>
    shown(action) ? (
      <button
        type="button"
        className="button button-ghost"
        onClick={() => void send({ action })}
        disabled={busy}
      >
        {LABEL[action]}
        {all}
        {pending === action ? '…' : ''}
      </button>
    ) : null;

  return (
    <div className={`${styles.incidentActions}${compact ? ` ${styles.compact}` : ''}`}>
      {any ? (
        <div
          className={styles.bar}
          role="group"
          aria-label={labelledBy ? undefined : 'Actions on the incident'}
          aria-labelledby={labelledBy}
          data-testid="incident-actions"
          aria-busy={busy}
        >
          {simple('acknowledge')}
          {simple('unacknowledge')}
          {shown('snooze') ? (
            <button
              ref={snoozeButton}
              type="button"
              className="button button-ghost"
              aria-expanded={open === 'snooze'}
              aria-controls={`${ids}-snooze`}
              onClick={() => setOpen((was) => (was === 'snooze' ? null : 'snooze'))}
              disabled={busy}
            >
              Snooze{all}…
            </button>
          ) : null}
          {simple('unsnooze')}
          {shown('resolve') ? (
            <button
              ref={resolveButton}
              type="button"
              className="button button-ghost"
              aria-expanded={open === 'resolve'}
              aria-controls={`${ids}-resolve`}
              onClick={() => setOpen((was) => (was === 'resolve' ? null : 'resolve'))}
              disabled={busy}
            >
              Resolve{all}…
            </button>
          ) : null}
          {simple('reopen')}
          {extra}
        </div>
      ) : null}

      {open === 'resolve' ? (
        <ResolveConfirm
          id={`${ids}-resolve`}
          label="Resolve the incident?"
          testId="confirm-resolve-incident"
          confirmLabel="Resolve incident"
          pending={pending === 'resolve'}
          busy={busy}
          onConfirm={() => void send({ action: 'resolve' })}
          onCancel={close}
        >
          Resolve {openCount === 1 ? 'its open anomaly' : `all ${openCount} open anomalies`}?
          {compact
            ? null
            : ' They stay resolved: if the detector sees it again, it opens new ones.'}
        </ResolveConfirm>
      ) : null}

      {open === 'snooze' ? (
        <SnoozeMenu
          ids={ids}
          testId="incident-snooze-menu"
          legend="Snooze: its notifications stay quiet until then"
          presetLabel={(label) => `Snooze the incident for ${label}`}
          custom={!compact}
          busy={busy}
          untilError={untilError}
          onSnooze={(choice) => void send({ action: 'snooze', ...choice })}
          onClose={close}
        />
      ) : null}

      {error ? (
        <p className="form-error" role="alert" data-testid="incident-action-error">
          {error}
        </p>
      ) : null}
      <p className="form-success" role="status" data-testid="incident-action-status">
        {status}
      </p>
    </div>
  );
}

'use client';
/**
 * The board's alert feed: incidents (the anomalies that are one event, lib/alerts/incidents.ts),
 * newest first, each with its title, severity, status, people's and silences' marks, age and —
 * for editors and admins — actions on the whole incident; expandable to its anomalies, each a
 * link to its drill-down. Anomalies no incident holds yet (older data; the detector places them
 * within a poll) are listed on their own, as before incidents.
 */
import Link from 'next/link';
import { useRef, useState, type KeyboardEvent } from 'react';
import type { AnomalySummary, IncidentSummary } from '@/lib/views';
import { EventText } from './_components/event-text';
import { IncidentActions } from './_components/incident-actions';
import { IncidentMarks, useIncidentSnoozed } from './_components/incident-marks';
import { useShortcuts } from './_components/shortcuts';
import { LifecycleMarks, SNOOZED_CLASS, useSnoozed } from './_components/lifecycle-badges';
import {
  InterimBadge,
  LifecycleBadge,
  RevisedBadge,
  SeverityBadge,
} from './_components/status-badge';
import { TimeAgo } from './_components/time-ago';
import type { FeedItem } from './_lib/incident-feed';
import { leadAnomaly } from './_lib/incident-feed';
import { formatZ } from './_lib/format';
import { isModifiedPress, stepIndex } from './_lib/shortcut-keys';
import type { DesktopAlertState } from './_lib/use-incident-alerts';

/** The link that stands for an alert in the feed, where j/k and the arrows move focus. */
const FEED_TARGET = '[data-feed-target]';

export function AlertFeed({
  items,
  metricCount,
  firstLive,
  canAct,
  onIncident,
}: {
  items: FeedItem[];
  metricCount: number;
  /** Ids at or below these were on the page when it loaded (others arrived live). */
  firstLive: { incident: number; anomaly: number };
  canAct: boolean;
  onIncident: (summary: IncidentSummary) => void;
}) {
  const feed = useRef<HTMLElement>(null);

  /** Focus the next (or previous) alert: the link of an incident or of an anomaly on its own. */
  const move = (step: 1 | -1) => {
    const targets = [...(feed.current?.querySelectorAll<HTMLElement>(FEED_TARGET) ?? [])];
    const active = document.activeElement;
    // Focus anywhere in an alert (its actions, say) counts as being on that alert.
    const current = targets.findIndex((t) => t.closest('li')?.contains(active));
    targets[stepIndex(current, targets.length, step)]?.focus();
  };
  useShortcuts(
    [
      { keys: 'j', description: 'Next alert', run: () => move(1) },
      { keys: 'k', description: 'Previous alert', run: () => move(-1) },
    ],
    { group: 'Live board' },
  );
  /** ↓ and ↑ do the same while an alert's link has focus. */
  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (isModifiedPress(event) || event.shiftKey) return;
    if (!(event.target instanceof HTMLElement) || !event.target.matches(FEED_TARGET)) return;
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    move(event.key === 'ArrowDown' ? 1 : -1);
  };

  return (
    <section
      ref={feed}
      data-testid="alert-feed"
      className="alert-feed"
      aria-live="polite"
      onKeyDown={onKeyDown}
    >
      {items.length === 0 ? (
        <p className="empty">
          No incidents yet — Pulse is watching {metricCount}{' '}
          {metricCount === 1 ? 'metric' : 'metrics'}.
        </p>
      ) : (
        <ol className="alert-list">
          {items.map((item) =>
            item.kind === 'incident' ? (
              <IncidentItem
                key={`i${item.incident.id}`}
                incident={item.incident}
                anomalies={item.anomalies}
                isNew={item.incident.id > firstLive.incident}
                canAct={canAct}
                onChanged={onIncident}
              />
            ) : (
              <li key={`a${item.anomaly.id}`}>
                <AlertItem
                  anomaly={item.anomaly}
                  isNew={item.anomaly.id > firstLive.anomaly}
                  feedTarget
                />
              </li>
            ),
          )}
        </ol>
      )}
    </section>
  );
}

function IncidentItem({
  incident,
  anomalies,
  isNew,
  canAct,
  onChanged,
}: {
  incident: IncidentSummary;
  anomalies: AnomalySummary[];
  isNew: boolean;
  canAct: boolean;
  onChanged: (summary: IncidentSummary) => void;
}) {
  const [expanded, setExpanded] = useState(false);
  const snoozed = useIncidentSnoozed(incident);
  const titleId = `incident-${incident.id}-title`;
  const listId = `incident-${incident.id}-anomalies`;
  const lead = leadAnomaly({ anomalies });
  const single = anomalies.length === 1;
  const classes = [
    'incident-item',
    `alert-${incident.severity}`,
    `alert-${incident.status}`,
    isNew ? 'alert-new' : '',
    snoozed ? SNOOZED_CLASS : '',
    incident.silenced ? 'incident-silenced' : '',
  ].filter(Boolean);
  return (
    <li>
      <article
        className={classes.join(' ')}
        data-testid={`incident-${incident.id}`}
        data-severity={incident.severity}
        data-lifecycle={incident.status}
        data-snoozed={snoozed ? 'true' : undefined}
        data-silenced={incident.silenced ? 'true' : undefined}
        data-acknowledged={incident.acknowledged ? 'true' : undefined}
        aria-labelledby={titleId}
      >
        <span className="alert-top">
          <SeverityBadge severity={incident.severity} />
          <LifecycleBadge status={incident.status} />
          <span className="incident-age muted">
            <TimeAgo ms={incident.openedAt} />
          </span>
        </span>
        <h3 id={titleId} className="incident-title">
          <Link
            href={lead ? `/anomalies/${lead.id}` : `/incidents/${incident.id}`}
            data-feed-target
          >
            <EventText value={incident.title} ltr testId="incident-title" />
          </Link>
        </h3>
        <IncidentMarks incident={incident} />
        {canAct && incident.status !== 'withdrawn' ? (
          <IncidentActions
            incident={incident}
            anomalies={anomalies}
            compact
            labelledBy={titleId}
            onChanged={onChanged}
          />
        ) : null}
        {anomalies.length === 0 ? null : single ? (
          <ol className="incident-anomalies" aria-label="Its anomaly">
            <li>
              <AlertItem anomaly={anomalies[0]!} isNew={false} nested />
            </li>
          </ol>
        ) : (
          <>
            <button
              type="button"
              className="incident-toggle"
              aria-expanded={expanded}
              aria-controls={listId}
              onClick={() => setExpanded((open) => !open)}
              data-testid="incident-toggle"
            >
              <span aria-hidden="true" className="incident-chevron">
                {expanded ? '▾' : '▸'}
              </span>
              {expanded ? 'Hide' : 'Show'} its {anomalies.length} anomalies
            </button>
            <ol
              id={listId}
              className="incident-anomalies"
              hidden={!expanded}
              aria-label="Its anomalies"
            >
              {anomalies.map((anomaly) => (
                <li key={anomaly.id}>
                  <AlertItem anomaly={anomaly} isNew={false} nested />
                </li>
              ))}
            </ol>
          </>
        )}
      </article>
    </li>
  );
}

/** One anomaly: a link to its drill-down (on its own in the feed, or in its incident). */
export function AlertItem({
  anomaly,
  isNew,
  nested = false,
  feedTarget = false,
}: {
  anomaly: AnomalySummary;
  isNew: boolean;
  nested?: boolean;
  /** An alert of the board's feed on its own (not in an incident): j/k stop here. */
  feedTarget?: boolean;
}) {
  const snoozed = useSnoozed(anomaly);
  return (
    <Link
      href={`/anomalies/${anomaly.id}`}
      className={`alert-item alert-${anomaly.severity} alert-${anomaly.status}${isNew ? ' alert-new' : ''}${snoozed ? ` ${SNOOZED_CLASS}` : ''}${nested ? ' alert-nested' : ''}`}
      data-testid={`alert-${anomaly.id}`}
      data-severity={anomaly.severity}
      data-lifecycle={anomaly.status}
      data-snoozed={snoozed ? 'true' : undefined}
      data-feed-target={feedTarget || undefined}
    >
      <span className="alert-top">
        <SeverityBadge severity={anomaly.severity} />
        <EventText className="alert-metric" value={anomaly.metricName} />
        <LifecycleBadge status={anomaly.status} />
        <RevisedBadge revisions={anomaly.revisions} />
        <InterimBadge interim={anomaly.interim} />
      </span>
      <EventText className="alert-sentence" value={anomaly.sentence} ltr />
      <LifecycleMarks anomaly={anomaly} />
      <span className="alert-meta muted">
        <TimeAgo ms={anomaly.firstWindow} /> ·{' '}
        <span aria-hidden="true">{anomaly.direction === 'up' ? '▲' : '▼'}</span>
        <span className="sr-only">{anomaly.direction === 'up' ? 'up' : 'down'}</span> z{' '}
        {formatZ(anomaly.z)}
      </span>
    </Link>
  );
}

const DESKTOP_LABEL: Record<Exclude<DesktopAlertState, 'unsupported'>, string> = {
  off: 'Desktop alerts: off',
  on: 'Desktop alerts: on',
  blocked: 'Desktop alerts blocked',
};

/**
 * The switch for desktop notifications of new critical incidents. Asking the browser happens on
 * the click; a browser that denied it can only be changed in its settings (said in the title).
 */
export function DesktopAlertsToggle({
  state,
  onToggle,
}: {
  state: DesktopAlertState;
  onToggle: () => void;
}) {
  if (state === 'unsupported') return null;
  return (
    <button
      type="button"
      className="button-link desktop-alerts"
      aria-pressed={state === 'on'}
      disabled={state === 'blocked'}
      onClick={onToggle}
      data-testid="desktop-alerts"
      title={
        state === 'blocked'
          ? "This browser blocks Pulse's notifications: allow them in its site settings."
          : 'A desktop notification when a new critical incident opens while this tab is hidden.'
      }
    >
      {DESKTOP_LABEL[state]}
    </button>
  );
}

'use client';
/**
 * The drill-down's incident: the incident the anomaly belongs to (title, status, marks, actions
 * on the whole incident for editors and admins — when it has more anomalies than this one: else
 * the anomaly's own buttons do the same — and, while it is open, "Silence…"), its sibling
 * anomalies as links, and its delivery log —
 * every notification written for it, and per channel the delivery's status, attempts, last
 * error and when it was delivered.
 */
import Link from 'next/link';
import { useEffect, useEffectEvent, useState } from 'react';
import type {
  AnomalySummary,
  DeliveryView,
  IncidentDetail,
  IncidentSummary,
  NotificationLogEntry,
} from '@/lib/views';
import { EventText } from '../../_components/event-text';
import { IncidentActions } from '../../_components/incident-actions';
import { IncidentMarks } from '../../_components/incident-marks';
import { useIncidentSilence } from '../../_components/incident-silence';
import { LifecycleBadge, SeverityBadge } from '../../_components/status-badge';
import { TimeAgo } from '../../_components/time-ago';
import { ZonedTime } from '../../_components/zoned-time';
import { apiFetch } from '../../_lib/api';
import { TableWrap } from '@/app/_components/table-wrap';

/** While a delivery is still pending, the log is read again this often. */
const LOG_POLL_MS = 10_000;

/**
 * The incident as the drill-down holds it: the REST detail, updated by the socket's summaries
 * (which carry no log: the log is read again after each) and read again while deliveries wait.
 */
export function useIncidentDetail(initial: IncidentDetail | null) {
  const [incident, setIncident] = useState(initial);

  async function refresh(id: number) {
    const result = await apiFetch<IncidentDetail>(`/api/incidents/${id}`);
    if (!result.ok) return;
    const fresh = result.data;
    setIncident((current) =>
      !current || current.id !== fresh.id || fresh.updatedAt >= current.updatedAt
        ? fresh
        : { ...current, notifications: fresh.notifications },
    );
  }

  function apply(summary: IncidentSummary) {
    setIncident((current) =>
      current && current.id === summary.id && summary.updatedAt >= current.updatedAt
        ? { ...current, ...summary }
        : current,
    );
  }

  const waiting =
    incident?.notifications.some((n) =>
      n.deliveries.some((d) => d.status === 'pending' || d.status === 'sending'),
    ) ?? false;
  const poll = useEffectEvent(() => {
    if (incident && document.visibilityState === 'visible') void refresh(incident.id);
  });
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(poll, LOG_POLL_MS);
    return () => clearInterval(timer);
  }, [waiting]);

  return { incident, refresh, apply };
}

export function IncidentCard({
  incident,
  anomalyId,
  canAct,
  onChanged,
  onSilenced,
}: {
  incident: IncidentSummary;
  /** The anomaly of this drill-down (marked among the siblings). */
  anomalyId: number;
  canAct: boolean;
  onChanged: (summary: IncidentSummary) => void;
  /** A silence was created from it: read it again (it shows as silenced). */
  onSilenced: () => void;
}) {
  const siblings = incident.anomalies.length;
  const actions = canAct && incident.status !== 'withdrawn' && siblings > 1;
  const silenceable = canAct && incident.status === 'open';
  const silence = useIncidentSilence({ incident, idPrefix: 'incident-silence', onSilenced });
  return (
    <section
      className="card incident-card"
      aria-labelledby="incident-heading"
      data-testid="incident"
      data-incident={incident.id}
      data-lifecycle={incident.status}
    >
      <div className="card-head">
        <h2 id="incident-heading">
          Incident <span className="muted">#{incident.id}</span>
        </h2>
        <span className="muted">
          {siblings} {siblings === 1 ? 'anomaly' : 'anomalies'} · opened{' '}
          <TimeAgo ms={incident.openedAt} />
        </span>
      </div>
      <div className="incident-card-body">
        <div className="detail-badges">
          <SeverityBadge severity={incident.severity} />
          <LifecycleBadge status={incident.status} />
          <IncidentMarks incident={incident} />
        </div>
        <p className="incident-card-title" id="incident-title">
          <EventText value={incident.title} ltr testId="incident-title" />
        </p>
        {actions ? (
          <div className="incident-card-actions">
            <p className="hint" id="incident-actions-hint">
              Acknowledge, snooze and resolve act on each of its {siblings} anomalies that allows
              it.
            </p>
            <IncidentActions
              incident={incident}
              anomalies={incident.anomalies}
              labelledBy="incident-heading"
              extra={silenceable ? silence.button : null}
              onChanged={onChanged}
            />
            {silenceable ? silence.panel : null}
          </div>
        ) : silenceable ? (
          <div className="incident-card-actions">
            <div
              className="incident-silence"
              role="group"
              aria-labelledby="incident-heading"
              data-testid="incident-silence"
            >
              {silence.button}
            </div>
            {silence.panel}
          </div>
        ) : null}
        <Siblings anomalies={incident.anomalies} current={anomalyId} />
      </div>
    </section>
  );
}

function Siblings({ anomalies, current }: { anomalies: AnomalySummary[]; current: number }) {
  return (
    <div>
      <h3 id="siblings-heading" className="incident-subhead">
        Its anomalies
      </h3>
      <ul className="sibling-list" aria-labelledby="siblings-heading" data-testid="siblings">
        {anomalies.map((a) => (
          <li key={a.id} data-testid={`sibling-${a.id}`}>
            {a.id === current ? (
              <span className="sibling sibling-current" aria-current="page">
                <SiblingBody anomaly={a} />
                <span className="muted">(this anomaly)</span>
              </span>
            ) : (
              <Link href={`/anomalies/${a.id}`} className="sibling">
                <SiblingBody anomaly={a} />
              </Link>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function SiblingBody({ anomaly }: { anomaly: AnomalySummary }) {
  return (
    <>
      <SeverityBadge severity={anomaly.severity} />
      <EventText className="sibling-metric" value={anomaly.metricName} />
      <LifecycleBadge status={anomaly.status} />
      {anomaly.acknowledged ? <span className="sibling-note muted">acknowledged</span> : null}
    </>
  );
}

const KIND_LABEL: Record<NotificationLogEntry['kind'], string> = {
  open: 'Opened',
  escalate: 'Escalated',
  remind: 'Reminder',
  acknowledge: 'Acknowledged',
  resolve: 'Resolved',
  test: 'Test',
};

const DELIVERY_LABEL: Record<DeliveryView['status'], string> = {
  pending: 'Pending',
  sending: 'Sending',
  delivered: 'Delivered',
  failed: 'Failed',
};

/** The incident's delivery log, newest notification first. */
export function DeliveryLog({ incident }: { incident: IncidentDetail }) {
  const log = incident.notifications;
  return (
    <section className="card" aria-labelledby="deliveries-heading" data-testid="delivery-log">
      <h2 id="deliveries-heading">Notifications</h2>
      {log.length === 0 ? (
        <p className="empty">
          {incident.silenced
            ? 'None sent: a silence matches this incident.'
            : incident.snoozedUntil !== null && incident.status === 'open'
              ? 'None sent while it is snoozed.'
              : 'No notification has been written for this incident yet (a new incident waits a little, so that its siblings arrive in one message).'}
        </p>
      ) : (
        <ol className="delivery-log">
          {log.map((n) => (
            <li key={n.id} data-testid={`notification-${n.kind}`} data-key={n.key}>
              <div className="delivery-head">
                <span className={`delivery-kind delivery-kind-${n.kind}`}>
                  {KIND_LABEL[n.kind]}
                </span>
                <span className="muted">
                  <ZonedTime ms={n.createdAt} seconds /> (<TimeAgo ms={n.createdAt} />)
                </span>
                <code className="delivery-key" title="Idempotency-Key of every attempt">
                  {n.key}
                </code>
              </div>
              {n.deliveries.length === 0 ? (
                <p className="muted delivery-none">
                  No channel took it: no route or default channel matched.
                </p>
              ) : (
                <TableWrap label="Delivery log">
                  <table className="table delivery-table">
                    <thead>
                      <tr>
                        <th scope="col">Channel</th>
                        <th scope="col">Status</th>
                        <th scope="col" className="num">
                          Attempts
                        </th>
                        <th scope="col">Last error</th>
                        <th scope="col">Delivered</th>
                      </tr>
                    </thead>
                    <tbody>
                      {n.deliveries.map((d) => (
                        <tr key={d.channelId} data-status={d.status}>
                          <td data-label="Channel">
                            <EventText value={d.channelId} />
                            {d.channelType ? (
                              <span className="muted delivery-channel">
                                {' '}
                                · {d.channelType}
                                {d.target ? (
                                  <>
                                    {' '}
                                    <EventText value={d.target} />
                                  </>
                                ) : null}
                              </span>
                            ) : (
                              <span className="muted delivery-channel"> · deleted</span>
                            )}
                          </td>
                          <td data-label="Status">
                            <span className={`delivery-status delivery-${d.status}`}>
                              {DELIVERY_LABEL[d.status]}
                            </span>
                            {d.status === 'pending' &&
                            d.attempts > 0 &&
                            d.nextAttemptAt !== null ? (
                              <span className="muted delivery-next">
                                {' '}
                                · retry <TimeAgo ms={d.nextAttemptAt} />
                              </span>
                            ) : null}
                          </td>
                          <td className="num" data-label="Attempts">
                            {d.attempts}
                          </td>
                          <td className="delivery-error" data-label="Last error">
                            {d.lastError ? (
                              <>
                                {d.lastStatusCode !== null ? `${d.lastStatusCode} · ` : null}
                                <EventText value={d.lastError} />
                              </>
                            ) : (
                              <span className="muted">—</span>
                            )}
                          </td>
                          <td data-label="Delivered">
                            {d.deliveredAt !== null ? (
                              <ZonedTime ms={d.deliveredAt} seconds />
                            ) : (
                              <span className="muted">—</span>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

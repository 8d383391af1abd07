'use client';
import { describeMatch, type SilenceView } from '@/lib/alerts/notify/settings-view';
import { EventText } from '../../../_components/event-text';
import { SilenceForm } from '../../../_components/silence-form';
import { ClockTime, TimeAgo } from '../../../_components/time-ago';
import { apiFetch } from '../../../_lib/api';
import { revealControls } from '../../../_lib/format';
import { useAction } from '../../../_lib/use-action';

/** Silences in force and to come, with their end button; a form for a new one; the ended. */
export function SilencesPanel({
  silences,
  onCreated,
  onChanged,
}: {
  silences: SilenceView[];
  onCreated: (silence: SilenceView) => void;
  onChanged: (silence: SilenceView) => void;
}) {
  const current = silences.filter((s) => s.state !== 'ended').sort((a, b) => a.endsAt - b.endsAt);
  const ended = silences.filter((s) => s.state === 'ended').sort((a, b) => b.endsAt - a.endsAt);
  return (
    <div className="notify-grid">
      <section className="card" aria-labelledby="silences-heading">
        <div className="card-head">
          <h2 id="silences-heading">Silences</h2>
          <span className="muted small">{current.length} in force or to come</span>
        </div>
        {current.length === 0 ? (
          <p className="empty" data-testid="silences-empty">
            Nothing is silenced: every incident notifies as routed. Silence one for a while with the
            form beside this list, e.g. during maintenance.
          </p>
        ) : (
          <ul className="silence-list" data-testid="silences">
            {current.map((s) => (
              <SilenceItem key={s.id} silence={s} onChanged={onChanged} />
            ))}
          </ul>
        )}
        {ended.length > 0 ? (
          <details className="ended-silences">
            <summary>Ended in the last week ({ended.length})</summary>
            <ul className="silence-list">
              {ended.map((s) => (
                <SilenceItem key={s.id} silence={s} onChanged={onChanged} />
              ))}
            </ul>
          </details>
        ) : null}
      </section>
      <section className="card" aria-labelledby="new-silence-heading">
        <h2 id="new-silence-heading">New silence</h2>
        <NewSilenceForm onCreated={onCreated} />
      </section>
    </div>
  );
}

function SilenceItem({
  silence,
  onChanged,
}: {
  silence: SilenceView;
  onChanged: (silence: SilenceView) => void;
}) {
  const action = useAction();
  const what = describeMatch(silence.matchers);

  async function expire() {
    const answer = await action.run('expire', () =>
      apiFetch<{ silence: SilenceView }>(`/api/notifications/silences/${silence.id}`, {
        method: 'DELETE',
      }),
    );
    if (answer) onChanged(answer.silence);
  }

  return (
    <li className="silence-item" data-testid="silence-row" data-state={silence.state}>
      <div className="silence-main">
        {silence.state === 'active' ? (
          <span className="badge status-warn">Silenced</span>
        ) : silence.state === 'pending' ? (
          <span className="badge status-learning">Starts</span>
        ) : (
          <span className="badge status-learning">Ended</span>
        )}
        <span className="silence-what">
          <EventText value={what} ltr />
        </span>
        {silence.provisioned ? (
          <span className="notify-tag notify-tag-provisioned">Provisioned</span>
        ) : null}
      </div>
      <p className="silence-comment">
        “<EventText value={silence.comment} />”
      </p>
      <p className="muted small silence-meta">
        by <EventText value={silence.createdBy} />
        {silence.state === 'pending' ? (
          <>
            {' '}
            · starts <ClockTime ms={silence.startsAt} />
          </>
        ) : null}
        {silence.state === 'ended' ? (
          <>
            {' '}
            · ended <TimeAgo ms={silence.endsAt} />
          </>
        ) : (
          <>
            {' '}
            · until <ClockTime ms={silence.endsAt} /> (<TimeAgo ms={silence.endsAt} />)
          </>
        )}
        {silence.incidentId !== null ? <> · from incident #{silence.incidentId}</> : null}
      </p>
      {silence.state !== 'ended' && !silence.provisioned ? (
        <div className="silence-actions">
          <button
            type="button"
            className="button button-ghost"
            onClick={() => void expire()}
            disabled={action.pending !== null}
            aria-label={revealControls(`Expire the silence of ${what}`)}
          >
            {action.pending ? 'Ending…' : 'Expire now'}
          </button>
        </div>
      ) : null}
      {action.error ? (
        <p role="alert" className="form-error">
          {action.error}
        </p>
      ) : null}
    </li>
  );
}

function NewSilenceForm({ onCreated }: { onCreated: (silence: SilenceView) => void }) {
  return (
    <SilenceForm
      intro="Mutes the incidents that match every condition given (at least one). They still show on the board."
      createdMessage="Silence created: matching incidents send nothing until it ends."
      onCreated={onCreated}
    />
  );
}

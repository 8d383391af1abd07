'use client';
/**
 * "Silence…" on an open incident (editors and admins): a small form, prefilled from the
 * incident — its metrics and its shared cause as matchers — that asks why and for how long,
 * and creates the silence with the incident's id (`POST /api/notifications/silences`). The
 * incident then shows as silenced: the caller reads it again, and the board and other
 * drill-downs hear of it live (creating a silence re-checks every open incident, each with its
 * NOTIFY).
 */
import { useId, useRef, useState, type ReactNode } from 'react';
import type { SilenceView } from '@/lib/alerts/notify/settings-view';
import type { IncidentSummary } from '@/lib/views';
import { incidentSilenceValues } from '../_lib/silence-form';
import { SilenceForm } from './silence-form';
import { ClockTime } from './time-ago';

/**
 * The "Silence…" button and what it opens — the form, then the word that it was created — for
 * a caller that places the button in its own bar of actions and the panel below it.
 */
export function useIncidentSilence({
  incident,
  idPrefix,
  onSilenced,
}: {
  incident: Pick<IncidentSummary, 'id' | 'cause' | 'anomalies'>;
  /** Keeps the form's field ids apart from another silence form on the page. */
  idPrefix: string;
  onSilenced: (silence: SilenceView) => void;
}): { button: ReactNode; panel: ReactNode } {
  const formId = useId();
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<SilenceView | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  function close() {
    setOpen(false);
    buttonRef.current?.focus();
  }

  const button = (
    <button
      ref={buttonRef}
      type="button"
      className="button button-ghost"
      aria-expanded={open}
      aria-controls={formId}
      onClick={() => {
        setCreated(null);
        setOpen((was) => !was);
      }}
    >
      Silence…
    </button>
  );

  const panel = (
    <>
      {open ? (
        <section id={formId} className="incident-silence-form" aria-labelledby={`${formId}-title`}>
          <h3 id={`${formId}-title`} className="incident-subhead">
            Silence incidents like this one
          </h3>
          <SilenceForm
            idPrefix={idPrefix}
            initial={incidentSilenceValues(incident)}
            incidentId={incident.id}
            intro="Its notifications stop while the silence lasts, and so do those of any incident matching every condition given. It still shows here and on the board."
            submitLabel="Silence"
            focusComment
            testId="incident-silence-form"
            onCreated={(silence) => {
              setCreated(silence);
              close();
              onSilenced(silence);
            }}
            onCancel={close}
          />
        </section>
      ) : null}
      <p className="form-success" role="status" data-testid="incident-silence-status">
        {created ? (
          <>
            Silenced until <ClockTime ms={created.endsAt} />: no notification is sent meanwhile.
          </>
        ) : null}
      </p>
    </>
  );

  return { button, panel };
}

/** The button with its panel below it, where there is no bar to put the button in. */
export function IncidentSilence(props: Parameters<typeof useIncidentSilence>[0]) {
  const { button, panel } = useIncidentSilence(props);
  return (
    <div className="incident-silence" data-testid="incident-silence">
      {button}
      {panel}
    </div>
  );
}

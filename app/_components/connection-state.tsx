'use client';
import { useState } from 'react';
import type { ConnectionState } from '../_lib/use-pulse-socket';

/**
 * What the indicator says. The socket hook reports 'reconnecting' from the start (it is trying);
 * until the page's first connect that is only "Connecting…" — "Reconnecting…" is for a
 * connection that was live and was lost.
 */
export type ShownConnection = ConnectionState | 'connecting';

const LABEL: Record<ShownConnection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

const HINT: Record<ShownConnection, string> = {
  connecting: 'Connecting for live updates.',
  live: 'Receiving updates as windows are scored.',
  reconnecting: 'Connection lost; retrying. Missed updates are fetched on reconnect.',
  offline: 'Not receiving updates. Reload the page to try again.',
};

/** The state to show, given the socket's state and whether this page was ever live. */
export function shownConnection(state: ConnectionState, wasLive: boolean): ShownConnection {
  return state === 'reconnecting' && !wasLive ? 'connecting' : state;
}

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  // Remembered from earlier renders (React's "adjust state while rendering" pattern).
  const [wasLive, setWasLive] = useState(false);
  if (state === 'live' && !wasLive) setWasLive(true);
  const shown = shownConnection(state, wasLive || state === 'live');
  return (
    <span className={`connection connection-${shown}`} title={HINT[shown]}>
      <span className="connection-dot" aria-hidden="true" />
      <span data-testid="connection-state" role="status" aria-live="polite">
        {LABEL[shown]}
      </span>
    </span>
  );
}

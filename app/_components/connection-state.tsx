import type { ConnectionState } from '../_lib/use-pulse-socket';

const LABEL: Record<ConnectionState, string> = {
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

const HINT: Record<ConnectionState, string> = {
  live: 'Receiving updates as windows are scored.',
  reconnecting: 'Connection lost; retrying. Missed updates are fetched on reconnect.',
  offline: 'Not receiving updates. Reload the page to try again.',
};

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <span className={`connection connection-${state}`} title={HINT[state]}>
      <span className="connection-dot" aria-hidden="true" />
      <span data-testid="connection-state" role="status" aria-live="polite">
        {LABEL[state]}
      </span>
    </span>
  );
}

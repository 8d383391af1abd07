'use client';
/**
 * One socket.io connection per page, joined to one room. The server authenticates it from the
 * httpOnly session cookie; the room is (re)joined on every connect, and `onConnect` runs on
 * every connect too so the page can catch up over REST on what it missed while away.
 *
 * The server follows the session: when it ends (signed out here or elsewhere, expired, revoked,
 * the account disabled) the server says `session-ended` and disconnects; the hook then stops
 * reconnecting and sends the person to sign in, coming back here. When the role changed, it
 * reconnects at once (the new handshake carries the new role). A network drop reconnects as
 * always.
 */
import { useRouter } from 'next/navigation';
import { useEffect, useEffectEvent, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, SessionEndReason } from '@/lib/views';
import { loginHref } from './api';
import { afterDisconnect, afterRefusal, claimSignIn, type SocketNext } from './socket-session';

export type ConnectionState = 'live' | 'reconnecting' | 'offline';

type Events = Partial<ServerToClientEvents>;

export interface PulseSocketHandlers extends Events {
  /** Runs after every successful (re)connect; `first` is true for the page's first one. */
  onConnect?: (first: boolean) => void;
}

export function usePulseSocket(room: string, handlers: PulseSocketHandlers): ConnectionState {
  const [state, setState] = useState<ConnectionState>('reconnecting');
  const router = useRouter();

  const onPoints = useEffectEvent((...args: Parameters<ServerToClientEvents['points']>) =>
    handlers.points?.(...args),
  );
  const onAnomaly = useEffectEvent((...args: Parameters<ServerToClientEvents['anomaly']>) =>
    handlers.anomaly?.(...args),
  );
  const onIncident = useEffectEvent((...args: Parameters<ServerToClientEvents['incident']>) =>
    handlers.incident?.(...args),
  );
  const onRule = useEffectEvent((...args: Parameters<ServerToClientEvents['rule']>) =>
    handlers.rule?.(...args),
  );
  const onMetric = useEffectEvent((...args: Parameters<ServerToClientEvents['metric']>) =>
    handlers.metric?.(...args),
  );
  const onMetricRemoved = useEffectEvent(
    (...args: Parameters<ServerToClientEvents['metric-removed']>) =>
      handlers['metric-removed']?.(...args),
  );
  const onConnect = useEffectEvent((first: boolean) => handlers.onConnect?.(first));
  /** The session ended (signed out, expired, revoked): sign in again, then come back here. */
  const onSignedOut = useEffectEvent(() => {
    let storage: Storage | undefined;
    try {
      storage = window.sessionStorage;
    } catch {
      storage = undefined; // blocked by the browser's settings
    }
    if (claimSignIn(storage, Date.now())) {
      router.replace(loginHref(`${window.location.pathname}${window.location.search}`));
    }
  });

  useEffect(() => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
      withCredentials: true,
    });
    let connects = 0;
    let retries = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    /** The session ended: no more connecting from this page. */
    let signedOut = false;
    /** What the server said before its last disconnect. */
    let ended: SessionEndReason | undefined;

    const settle = () => {
      if (socket.connected) setState('live');
      else if (typeof navigator !== 'undefined' && !navigator.onLine) setState('offline');
      // `active` is false once socket.io gave up (or the server refused us): no more retries.
      else setState(socket.active ? 'reconnecting' : 'offline');
    };

    socket.on('connect', () => {
      socket.emit('subscribe', room);
      connects += 1;
      retries = 0;
      settle();
      onConnect(connects === 1);
    });
    /** Connects again after `delayMs` (socket.io does not after a refusal or a server close). */
    const retry = (delayMs: number) => {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        if (!signedOut) socket.connect();
      }, delayMs);
      setState('reconnecting');
    };
    const backoff = () => {
      retries += 1;
      retry(Math.min(30_000, 1000 * 2 ** retries));
    };
    const endSession = () => {
      signedOut = true;
      clearTimeout(retryTimer);
      socket.disconnect();
      setState('offline');
      onSignedOut();
    };

    const act = (next: SocketNext) => {
      if (next === 'sign-in') endSession();
      else if (next === 'reconnect') retry(0);
      else if (next === 'backoff') backoff();
      else settle();
    };

    socket.on('session-ended', ({ reason }) => {
      ended = reason;
    });
    socket.on('disconnect', (reason) => {
      const said = ended;
      ended = undefined;
      act(afterDisconnect(reason, said));
    });
    socket.on('connect_error', (error) => {
      // Refused by the server's middleware (socket.io will not retry itself): signed out, or
      // e.g. the database briefly unavailable (retry with backoff).
      if (!socket.active) act(afterRefusal(error.message));
      else settle();
    });
    socket.io.on('reconnect_failed', settle);
    socket.on('points', (update) => onPoints(update));
    socket.on('anomaly', (anomaly) => onAnomaly(anomaly));
    socket.on('incident', (incident) => onIncident(incident));
    socket.on('rule', (update) => onRule(update));
    socket.on('metric', (metric) => onMetric(metric));
    socket.on('metric-removed', (update) => onMetricRemoved(update));

    const online = () => {
      if (signedOut) return;
      if (!socket.connected) socket.connect();
      settle();
    };
    window.addEventListener('online', online);
    const offline = () => {
      if (!signedOut) settle();
    };
    window.addEventListener('offline', offline);

    return () => {
      clearTimeout(retryTimer);
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      socket.removeAllListeners();
      socket.io.removeAllListeners();
      socket.disconnect();
    };
  }, [room]);

  return state;
}

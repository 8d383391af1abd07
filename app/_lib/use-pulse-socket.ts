'use client';
/**
 * One socket.io connection per page, joined to one room. The server authenticates it from the
 * httpOnly session cookie; the room is (re)joined on every connect, and `onConnect` runs on
 * every connect too so the page can catch up over REST on what it missed while away.
 */
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, useEffectEvent, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@/lib/views';
import { loginHref } from './api';

export type ConnectionState = 'live' | 'reconnecting' | 'offline';

type Events = Partial<ServerToClientEvents>;

export interface PulseSocketHandlers extends Events {
  /** Runs after every successful (re)connect; `first` is true for the page's first one. */
  onConnect?: (first: boolean) => void;
}

export function usePulseSocket(room: string, handlers: PulseSocketHandlers): ConnectionState {
  const [state, setState] = useState<ConnectionState>('reconnecting');
  const router = useRouter();
  const pathname = usePathname();

  const onPoints = useEffectEvent((...args: Parameters<ServerToClientEvents['points']>) =>
    handlers.points?.(...args),
  );
  const onAnomaly = useEffectEvent((...args: Parameters<ServerToClientEvents['anomaly']>) =>
    handlers.anomaly?.(...args),
  );
  const onRule = useEffectEvent((...args: Parameters<ServerToClientEvents['rule']>) =>
    handlers.rule?.(...args),
  );
  const onMetric = useEffectEvent((...args: Parameters<ServerToClientEvents['metric']>) =>
    handlers.metric?.(...args),
  );
  const onConnect = useEffectEvent((first: boolean) => handlers.onConnect?.(first));
  /** The server refused the session (expired or signed out elsewhere): sign in again. */
  const onUnauthorized = useEffectEvent(() => router.replace(loginHref(pathname)));

  useEffect(() => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
      withCredentials: true,
    });
    let connects = 0;
    let retries = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

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
    socket.on('disconnect', settle);
    socket.on('connect_error', (error) => {
      if (!socket.active) {
        // The server's middleware refused the connection, so socket.io will not retry itself.
        if (error.message === 'unauthorized') {
          setState('offline');
          onUnauthorized();
          return;
        }
        // Anything else (e.g. the database is briefly unavailable): retry with backoff.
        clearTimeout(retryTimer);
        retries += 1;
        retryTimer = setTimeout(() => socket.connect(), Math.min(30_000, 1000 * 2 ** retries));
        setState('reconnecting');
        return;
      }
      settle();
    });
    socket.io.on('reconnect_failed', settle);
    socket.on('points', (update) => onPoints(update));
    socket.on('anomaly', (anomaly) => onAnomaly(anomaly));
    socket.on('rule', (update) => onRule(update));
    socket.on('metric', (metric) => onMetric(metric));

    const online = () => {
      if (!socket.connected) socket.connect();
      settle();
    };
    window.addEventListener('online', online);
    window.addEventListener('offline', settle);

    return () => {
      clearTimeout(retryTimer);
      window.removeEventListener('online', online);
      window.removeEventListener('offline', settle);
      socket.removeAllListeners();
      socket.io.removeAllListeners();
      socket.disconnect();
    };
  }, [room]);

  return state;
}

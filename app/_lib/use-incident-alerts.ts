'use client';
/**
 * The browser's side of incident alerts on the board: the tab's title carries the count of open
 * critical incidents ("(2) Live board · Pulse"), and an optional desktop notification
 * (Notification API) fires when a new critical incident opens while the tab is hidden. The
 * browser is asked for permission only when a person clicks to turn them on, never on load;
 * the choice is kept in localStorage (per browser, per origin).
 */
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { IncidentSummary } from '@/lib/views';
import { newCriticalIncidents, openCriticalCount, titleWithCount } from './incident-feed';
import { revealControls } from './format';

/** Where the choice is kept. */
export const DESKTOP_ALERTS_KEY = 'pulse.desktop-alerts';

/**
 * `unsupported`: no Notification API (or not hydrated yet); `blocked`: the browser denies it
 * (only its settings can change that); `off` / `on`: the person's choice.
 */
export type DesktopAlertState = 'unsupported' | 'blocked' | 'off' | 'on';

const listeners = new Set<() => void>();
const changed = () => {
  for (const listener of listeners) listener();
};

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('storage', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', listener);
  };
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // blocked by the browser's settings
  }
}

function readState(): DesktopAlertState {
  if (typeof window === 'undefined' || !('Notification' in window)) return 'unsupported';
  if (Notification.permission === 'denied') return 'blocked';
  const on = storage()?.getItem(DESKTOP_ALERTS_KEY) === 'on';
  return on && Notification.permission === 'granted' ? 'on' : 'off';
}

const serverState = (): DesktopAlertState => 'unsupported';

/** The desktop-notification preference, and a toggle to run on a click. */
export function useDesktopAlerts(incidents: readonly IncidentSummary[]): {
  state: DesktopAlertState;
  toggle: () => Promise<void>;
} {
  const state = useSyncExternalStore(subscribe, readState, serverState);
  const router = useRouter();
  /** Critical incidents already seen (announced or there when the page loaded). */
  const seen = useRef<Set<number> | null>(null);

  useEffect(() => {
    if (seen.current === null) {
      // The page's first incidents are not news.
      seen.current = new Set();
      newCriticalIncidents(incidents, seen.current);
      return;
    }
    const fresh = newCriticalIncidents(incidents, seen.current);
    if (fresh.length === 0 || readState() !== 'on' || document.visibilityState !== 'hidden') return;
    for (const incident of fresh) {
      try {
        const notification = new Notification('Critical incident · Pulse', {
          body: revealControls(incident.title),
          tag: `pulse-incident-${incident.id}`,
        });
        notification.onclick = () => {
          window.focus();
          router.push(`/incidents/${incident.id}`);
          notification.close();
        };
      } catch {
        // A browser that only notifies from a service worker (Chrome on Android): skip.
      }
    }
  }, [incidents, router]);

  async function toggle() {
    if (!('Notification' in window)) return;
    const store = storage();
    if (readState() === 'on') {
      store?.setItem(DESKTOP_ALERTS_KEY, 'off');
    } else {
      if (Notification.permission === 'default') await Notification.requestPermission();
      if (Notification.permission === 'granted') store?.setItem(DESKTOP_ALERTS_KEY, 'on');
    }
    changed();
  }

  return { state, toggle };
}

/** Keeps the count of open critical incidents in front of the tab's title. */
export function useTitleCount(incidents: readonly IncidentSummary[]): void {
  const count = openCriticalCount(incidents);
  useEffect(() => {
    const apply = () => {
      const wanted = titleWithCount(document.title, count);
      if (document.title !== wanted) document.title = wanted;
    };
    apply();
    // Next sets the page's metadata title after hydration and on navigation, which can land
    // after this effect: put the count back whenever the title changes.
    const observer = new MutationObserver(apply);
    observer.observe(document.head, { subtree: true, childList: true, characterData: true });
    return () => observer.disconnect();
  }, [count]);
  useEffect(
    () => () => {
      document.title = titleWithCount(document.title, 0);
    },
    [],
  );
}

'use client';
/**
 * Times with their zone, in the zone the page shows: "14:03 CET" in the browser's zone (or
 * "14:03 UTC" when the page's URL says tz=utc), and "14:03 UTC" while rendering on the server
 * and hydrating (the server cannot know the viewer's zone, and both renders must write the same
 * text). The full date and time is the tooltip. A page with a zone switch wraps itself in
 * {@link PageZone}; without one, times are local.
 */
import { createContext, useContext, type ReactNode } from 'react';
import { formatInZone, zoneLabel, type TimeZoneMode } from '@/lib/explore/time-range';
import { useIsClient } from '../_lib/use-now';

const PageZoneContext = createContext<TimeZoneMode>('local');

/** The zone every time inside it is shown in (the page's `tz`). */
export function PageZone({ tz, children }: { tz: TimeZoneMode; children: ReactNode }) {
  return <PageZoneContext value={tz}>{children}</PageZoneContext>;
}

/** The zone to write times in now: the page's, or UTC until hydrated. */
export function useZone(): TimeZoneMode {
  const chosen = useContext(PageZoneContext);
  return useIsClient() ? chosen : 'utc';
}

export function ZonedTime({
  ms,
  seconds = false,
  zone = true,
}: {
  ms: number;
  seconds?: boolean;
  /** Append the zone's name; off for the start of a range whose end carries it. */
  zone?: boolean;
}) {
  const tz = useZone();
  return (
    <time
      dateTime={new Date(ms).toISOString()}
      title={formatInZone(ms, tz, 'datetime', { seconds, year: true, zoneName: true })}
    >
      {formatInZone(ms, tz, 'time', { seconds, zoneName: zone })}
    </time>
  );
}

/** The zone the page's times are in at `ms`: the zone's short name, "UTC" until hydrated. */
export function ZoneName({ ms }: { ms: number }) {
  return <>{zoneLabel(useZone(), ms)}</>;
}

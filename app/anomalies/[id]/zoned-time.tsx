'use client';
/**
 * Times on the drill-down with their zone: "14:03 CET" in the browser's zone, "14:03 UTC" while
 * rendering on the server and hydrating (the server cannot know the viewer's zone, and both
 * renders must write the same text). The full date and time is the tooltip.
 */
import { formatInZone, zoneLabel } from '@/lib/explore/time-range';
import { useIsClient } from '../../_lib/use-now';

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
  const tz = useIsClient() ? 'local' : 'utc';
  return (
    <time
      dateTime={new Date(ms).toISOString()}
      title={formatInZone(ms, tz, 'datetime', { seconds, year: true, zoneName: true })}
    >
      {formatInZone(ms, tz, 'time', { seconds, zoneName: zone })}
    </time>
  );
}

/** The zone the page's times are in at `ms`: the local zone's short name, "UTC" until hydrated. */
export function ZoneName({ ms }: { ms: number }) {
  return <>{zoneLabel(useIsClient() ? 'local' : 'utc', ms)}</>;
}

'use client';
import { formatDateTime, formatRelative, formatUtcClock } from '../_lib/format';
import { useNow } from '../_lib/use-now';
import { useZone } from './zoned-time';

/** "5 min ago" with the local date and time as tooltip; a UTC clock until hydrated. */
export function TimeAgo({ ms, prefix }: { ms: number; prefix?: string }) {
  const now = useNow();
  const iso = new Date(ms).toISOString();
  if (now === null) {
    return (
      <time dateTime={iso}>
        {prefix}
        {formatUtcClock(ms)}
      </time>
    );
  }
  return (
    <time dateTime={iso} title={formatDateTime(ms)}>
      {prefix}
      {formatRelative(ms, now)}
    </time>
  );
}

/** A clock time ("14:05") in the page's zone (local unless it says UTC), UTC until hydrated. */
export function ClockTime({ ms, seconds = false }: { ms: number; seconds?: boolean }) {
  const now = useNow();
  const zone = useZone();
  const iso = new Date(ms).toISOString();
  if (now === null || zone === 'utc')
    return <time dateTime={iso}>{formatUtcClock(ms, seconds)}</time>;
  return (
    <time dateTime={iso} title={formatDateTime(ms)}>
      {new Date(ms).toLocaleTimeString(undefined, {
        hour: '2-digit',
        minute: '2-digit',
        ...(seconds ? { second: '2-digit' } : {}),
      })}
    </time>
  );
}

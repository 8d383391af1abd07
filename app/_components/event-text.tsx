/**
 * Text that came from outside — event data (dimension names and values, event types,
 * quarantined payloads), names people typed (metrics, API keys, users), notes — shown so it
 * cannot disguise itself or what surrounds it: isolated in a `<bdi>` (its direction is its own
 * and ends at its edge, so a right-to-left value cannot reorder the text around it), with its
 * bidi overrides, isolates and control characters made visible as `⟨U+202E⟩`
 * (revealControls, lib/text/output.ts). React writes it as text, never markup. What is stored
 * does not change: only its display. In an attribute (a title, an aria-label), where nothing
 * can be isolated, use `revealControls` from app/_lib/format.ts.
 */
import { revealControls } from '@/lib/text/output';

export function EventText({
  value,
  ltr = false,
  className,
  testId,
}: {
  value: string;
  /**
   * Laid out left to right whatever its first letter, still isolated: one of our English
   * sentences with values in it (an anomaly's explanation, a definition in words), or code (a
   * quarantined payload).
   */
  ltr?: boolean;
  className?: string;
  testId?: string;
}) {
  return (
    <bdi dir={ltr ? 'ltr' : undefined} className={className} data-testid={testId}>
      {revealControls(value)}
    </bdi>
  );
}

/**
 * Event-time windows and watermarks. Pure state and arithmetic: no timers, no clocks.
 * Windows are tumbling, aligned to the epoch, half-open: [start, start + windowMs).
 */

/** Start of the window containing `ts` (epoch ms). */
export function windowStart(ts: number, windowMs: number): number {
  return Math.floor(ts / windowMs) * windowMs;
}

/** Exclusive end of the window containing `ts`. */
export function windowEnd(ts: number, windowMs: number): number {
  return windowStart(ts, windowMs) + windowMs;
}

/** True when the window starting at `start` is final: its end plus allowed lateness ≤ watermark. */
export function isWindowFinal(
  start: number,
  windowMs: number,
  allowedLatenessMs: number,
  watermark: number,
): boolean {
  return start + windowMs + allowedLatenessMs <= watermark;
}

/** Start of the latest final window under `watermark`, or null when no window is final yet. */
export function lastFinalWindowStart(
  watermark: number,
  windowMs: number,
  allowedLatenessMs: number,
): number | null {
  if (!Number.isFinite(watermark)) return null;
  return windowStart(watermark - windowMs - allowedLatenessMs, windowMs);
}

/**
 * Watermark of one partition (or source): the maximum event time seen minus the allowed
 * out-of-orderness. It never decreases.
 */
export class WatermarkTracker {
  readonly #outOfOrderMs: number;
  #maxSeen = -Infinity;

  constructor(options: { outOfOrderMs: number }) {
    this.#outOfOrderMs = options.outOfOrderMs;
  }

  /** Records an event time. Older times and NaN leave the state unchanged. */
  observe(ts: number): void {
    if (ts > this.#maxSeen) this.#maxSeen = ts;
  }

  /** Largest event time observed, or −Infinity before any event. */
  maxSeen(): number {
    return this.#maxSeen;
  }

  /** maxSeen − outOfOrderMs; −Infinity before any event. */
  watermark(): number {
    return this.#maxSeen - this.#outOfOrderMs;
  }

  /** True when the window of `ts` is already final, so an event at `ts` arrives too late. */
  isLate(ts: number, windowMs: number, allowedLatenessMs: number): boolean {
    return isWindowFinal(windowStart(ts, windowMs), windowMs, allowedLatenessMs, this.watermark());
  }

  /** Start of the latest final window, or null when none is final yet. */
  finalWindowsUpTo(windowMs: number, allowedLatenessMs: number): number | null {
    return lastFinalWindowStart(this.watermark(), windowMs, allowedLatenessMs);
  }
}

/** What {@link globalWatermark} needs to know about one partition. */
export interface PartitionWatermark {
  watermark: number;
  /** Wall-clock time (epoch ms) the partition last delivered an event. */
  lastSeenAt: number;
}

/**
 * Watermark across partitions: the minimum over active ones, so that no partition's window
 * is closed early. A partition is idle when `now − lastSeenAt > idleTimeoutMs` and is then
 * ignored; when every partition is idle, the maximum of them (time still advances as far as
 * anything has seen). −Infinity when there are no partitions.
 */
export function globalWatermark(
  partitions: readonly PartitionWatermark[],
  now: number,
  idleTimeoutMs: number,
): number {
  let hasActive = false;
  let activeMin = Infinity;
  let idleMax = -Infinity;
  for (const { watermark, lastSeenAt } of partitions) {
    if (now - lastSeenAt > idleTimeoutMs) {
      idleMax = Math.max(idleMax, watermark);
    } else {
      hasActive = true;
      activeMin = Math.min(activeMin, watermark);
    }
  }
  return hasActive ? activeMin : idleMax;
}

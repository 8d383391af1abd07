/**
 * The words the explanations are made of, shared by the per-dimension breakdown
 * (lib/detection/breakdown.ts) and the root cause (./explain.ts, ./ratio.ts): how a slice moved
 * ("fell 58%, 421 instead of about 1,000") and how much of the change it carries ("95% of the
 * drop"). Plain text, no markup; values are formatted by the caller's `format` (the metric's
 * unit, lib/metrics/units.ts), so a sentence never drops a unit.
 */

/** U+2212, the minus sign: a hyphen reads as a dash in running text. */
export const MINUS = '−';

/** "fell" or "rose", for a change of this sign (0 counts as a rise: nothing fell). */
export const moved = (change: number) => (change < 0 ? 'fell' : 'rose');

/** The sentence with its first letter upper-cased (metric names are typed in either case). */
export function capitalize(text: string): string {
  return text.length > 0 ? `${text[0]!.toUpperCase()}${text.slice(1)}` : text;
}

/** A fraction as a percent for prose: whole from 10% on, one decimal below ("2.5%", "0.4%"). */
export function percentWords(fraction: number): string {
  const pct = Math.abs(fraction * 100);
  const digits = pct >= 9.95 ? 0 : 1;
  return `${roundedText(pct, digits)}%`;
}

/**
 * x ≥ 0 as `x.toLocaleString('en-US', { maximumFractionDigits: digits })` writes it (its
 * shortest decimal form rounded half away from zero, thousands grouped), without Intl: the first
 * Intl call loads locale data, about 45 ms of a command-line run that writes a few sentences.
 */
function roundedText(x: number, digits: number): string {
  const shortest = String(x);
  if (!Number.isFinite(x) || shortest.includes('e')) {
    return x.toLocaleString('en-US', { maximumFractionDigits: digits });
  }
  // Rounded in the decimal text, as Intl does (0.44999999999999996 is 0.4, not 0.5).
  const [whole, fraction = ''] = shortest.split('.') as [string, string?];
  let kept = whole + fraction.slice(0, digits).padEnd(digits, '0');
  if (fraction.length > digits && fraction[digits]! >= '5') {
    const up = [...kept];
    let at = up.length - 1;
    while (at >= 0 && up[at] === '9') up[at--] = '0';
    if (at >= 0) up[at] = String(Number(up[at]) + 1);
    else up.unshift('1');
    kept = up.join('');
  }
  const head = kept.slice(0, kept.length - digits);
  const tail = kept.slice(kept.length - digits).replace(/0+$/, '');
  const grouped = head.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return tail === '' ? grouped : `${grouped}.${tail}`;
}

/**
 * How a value moved from its expected value, in words, with both values in the metric's unit:
 * "fell 58%, 421 instead of about 1,000", "rose 12%, 136 ms instead of about 121 ms",
 * "fell to 0 from about 120", "appeared: 300 where none was expected", "held at about 120".
 * "About": the expected value is a baseline's average, never exact.
 */
export function changeWords(
  actual: number,
  expected: number,
  format: (value: number) => string,
): string {
  if (expected === 0) {
    return actual === 0 ? 'stayed at 0' : `appeared: ${format(actual)} where none was expected`;
  }
  if (actual === 0 && expected > 0) return `fell to 0 from about ${format(expected)}`;
  const change = actual / expected - 1;
  if (Math.abs(change) < 0.0005) return `held at about ${format(expected)}`;
  return `${moved(change)} ${percentWords(change)}, ${format(actual)} instead of about ${format(expected)}`;
}

/** The short form for a list: "fell 58%", "appeared", "rose 12%". */
export function changeBrief(actual: number, expected: number): string {
  if (expected === 0) return actual === 0 ? 'stayed at 0' : 'appeared';
  const change = actual / expected - 1;
  if (Math.abs(change) < 0.0005) return 'held';
  return `${moved(change)} ${percentWords(change)}`;
}

/**
 * Shares up to this read "all of the drop": a few points beyond the whole are the noise of the
 * other slices, not a story worth telling.
 */
export const WHOLE = 1.05;

/**
 * A share of the change in words: "all of the drop" (99.5% to 105%), "95% of the drop", and
 * beyond {@link WHOLE} "more than the whole drop" — possible only when other slices moved the
 * other way, which the caller then says.
 */
export function portionWords(share: number, change: 'drop' | 'rise'): string {
  if (share > WHOLE) return `more than the whole ${change}`;
  if (share >= 0.995) return `all of the ${change}`;
  return `${percentWords(Math.max(0, share))} of the ${change}`;
}

/** "a, b and c". */
export function listWords(items: readonly string[]): string {
  return items.length <= 1
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

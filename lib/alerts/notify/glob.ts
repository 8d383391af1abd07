/**
 * The one pattern language of routes and silences: `*` matches any run of characters (none
 * included), `?` exactly one; everything else matches itself, case-sensitively. No regular
 * expressions are built, so a pattern cannot be made to backtrack: matching is O(pattern ×
 * text) at worst.
 */

/** Whether `text` matches the glob `pattern` as a whole. */
export function globMatch(pattern: string, text: string): boolean {
  const p = Array.from(pattern);
  const t = Array.from(text);
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === t[ti]))) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

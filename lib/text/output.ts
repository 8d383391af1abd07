/**
 * Showing text that may hold anything: event data (dimension values, quarantined payloads) is
 * legal with characters no input field may hold (./input.ts), and text stored before that rule
 * may too. Two renderings, neither of which changes what is stored. Pure.
 */
import { codePointLabel } from './input';

/**
 * What the log renderer escapes: every control character (C0, DEL, C1: line feed, carriage
 * return, ESC and CSI among them), every format character (the bidirectional controls and
 * marks, zero-width characters, …), the line and paragraph separators, and unpaired surrogates.
 */
const LOG_ESCAPED = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` for one line of a terminal: the characters above written as JSON writes them
 * (`\n`, `\r`, `\t`, `\u001b`, `\u202e`), so no input can start a line, move the cursor or
 * recolour the terminal, nor reorder what follows. Backslashes stay as they are: the pretty
 * rendering is for reading; the JSON lines are the exact record.
 */
export function escapeControls(text: string): string {
  return text.replace(
    LOG_ESCAPED,
    (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * What a page reveals: what no input field may hold, except tab, line feed and carriage return
 * (a note or a payload keeps its lines): C0 and C1 controls, DEL, the line and paragraph
 * separators, the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069), and unpaired surrogates. The marks (LRM, RLM, ALM) stay: see ./input.ts.
 */
const REVEALED =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `text` for a page: each character above replaced by a visible `⟨U+202E⟩`, so an override
 * cannot reorder what is shown and an invisible character is seen. Render the result isolated
 * (`<bdi>`, see app/_components/event-text.tsx).
 */
export function revealControls(text: string): string {
  return text.replace(REVEALED, (c) => `⟨${codePointLabel(c.charCodeAt(0))}⟩`);
}

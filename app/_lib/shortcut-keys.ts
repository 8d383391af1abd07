/**
 * Keyboard shortcuts, the pure part: which key presses count, and which shortcut a press
 * completes. The registry, the listener and the help dialog are in
 * app/_components/shortcuts.tsx.
 *
 * A shortcut's `keys` is one key as `KeyboardEvent.key` names it ("j", "?", "ArrowDown") or a
 * sequence of them separated by spaces ("t h": t, then h). Shift is part of the key ("?" is
 * shift+/ on most layouts, "J" is not "j"); a press with Ctrl, Alt or Meta is never a shortcut,
 * so the browser's and the system's own stay theirs.
 */

/** How long the next key of a sequence may take. */
export const SEQUENCE_TIMEOUT_MS = 1500;

/** The keys of a sequence: "t h" → ["t", "h"]; a lone space names the space bar. */
export function parseKeys(keys: string): string[] {
  if (keys === ' ') return [' '];
  return keys.split(/\s+/).filter((key) => key.length > 0);
}

/** The parts of a keydown event that decide whether it may be a shortcut at all. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  isComposing?: boolean;
}

/** A press with a modifier (bar Shift), or one composing text (an IME), is never a shortcut. */
export function isModifiedPress(press: KeyPress): boolean {
  return press.ctrlKey || press.altKey || press.metaKey || press.isComposing === true;
}

/** What a keydown's target is, for deciding whether the person is typing there. */
export interface KeyTarget {
  tagName?: string;
  isContentEditable?: boolean;
}

const TYPING_TAGS = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

/** Keys typed into a field (or an editable element) belong to it, never to a shortcut. */
export function isTypingTarget(target: KeyTarget | null | undefined): boolean {
  if (!target) return false;
  return TYPING_TAGS.has((target.tagName ?? '').toUpperCase()) || target.isContentEditable === true;
}

export type KeyMatch =
  /** The press completes the sequence at this index of the list. */
  | { run: number }
  /** The press starts (or continues) a sequence: wait for the next key. */
  | { pending: string[] }
  | null;

/**
 * The shortcut that `key`, pressed after `pending`, completes; or the longer sequence it is on
 * the way to. A complete match wins over a longer one it begins (so "t" alone and "t h" should
 * not both be registered); the first complete match in the list wins. When the press breaks a
 * sequence, it is tried again on its own.
 */
export function matchKey(
  pending: readonly string[],
  key: string,
  sequences: readonly (readonly string[])[],
): KeyMatch {
  const typed = [...pending, key];
  const complete = sequences.findIndex(
    (seq) => seq.length === typed.length && seq.every((k, i) => k === typed[i]),
  );
  if (complete >= 0) return { run: complete };
  const begins = sequences.some(
    (seq) => seq.length > typed.length && typed.every((k, i) => k === seq[i]),
  );
  if (begins) return { pending: typed };
  return pending.length > 0 ? matchKey([], key, sequences) : null;
}

/**
 * The index to move to in a list of `count` items, a `step` away from `current` (-1: none has
 * focus yet, so the first forward or the last backward); it stops at the ends.
 */
export function stepIndex(current: number, count: number, step: number): number {
  if (count === 0) return -1;
  if (current < 0 || current >= count) return step >= 0 ? 0 : count - 1;
  return Math.min(count - 1, Math.max(0, current + step));
}

const KEY_NAMES: Record<string, string> = {
  ' ': 'Space',
  ArrowUp: '↑',
  ArrowDown: '↓',
  ArrowLeft: '←',
  ArrowRight: '→',
  Escape: 'Esc',
};

/** The keys of a sequence as a help list shows them: "t h" → ["t", "h"], "ArrowDown" → ["↓"]. */
export function keyNames(keys: string): string[] {
  return parseKeys(keys).map((key) => KEY_NAMES[key] ?? key);
}

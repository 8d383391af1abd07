/**
 * What user-supplied text may hold: every text field a person or client sends us (a request
 * body at any depth, its field names, a query value, a path segment) is checked against one rule
 * before anything else reads it. Pure.
 *
 * Refused:
 *
 * - **Control characters**: C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F).
 *   PostgreSQL refuses NUL in `text` and `jsonb` (a 500, before this rule); a line feed or
 *   carriage return forges a line in a terminal or log; ESC (U+001B) and CSI (U+009B) start the
 *   escape sequences that rewrite a terminal. Tab, line feed and carriage return are allowed in
 *   the fields a caller names as multi-line (an action's note), nowhere else.
 * - **Line and paragraph separators** (U+2028, U+2029): line breaks by another name; allowed
 *   where line feeds are.
 * - **Bidirectional formatting characters**: the embeddings and overrides (LRE, RLE, PDF, LRO,
 *   RLO: U+202A–U+202E) and the isolates (LRI, RLI, FSI, PDI: U+2066–U+2069). They reorder the
 *   text around them until their scope ends, so RLO followed by `gnp.exe` is shown as `exe.png`:
 *   a name can be made to read as another ("Trojan Source", CVE-2021-42574).
 * - **Unpaired surrogates** (U+D800–U+DFFF alone), which only a JSON escape such as `"\ud800"`
 *   can produce: they have no UTF-8 form, so the database would store U+FFFD instead of what
 *   was sent.
 *
 * Allowed: the bidirectional *marks* LRM (U+200E), RLM (U+200F) and ALM (U+061C). They are the
 * Unicode-recommended way to get mixed Hebrew or Arabic and Latin text (a name that ends in
 * punctuation or digits) to display right, so names in those scripts legitimately carry them;
 * unlike the controls above they open no scope: a mark behaves as one invisible strong letter,
 * and can reorder no more than a visible Hebrew or Arabic letter in its place would. Every
 * value is shown isolated (`<bdi>`, app/_components/event-text.tsx), so its effect ends at the
 * value's edge. The log renderer escapes them anyway (./output.ts), since a terminal shows
 * no isolation.
 */

/** The options of a check over a JSON value; field names are dotted paths, as reported. */
export interface TextRules {
  /** Fields where tab, line feed, carriage return, U+2028 and U+2029 are allowed (`note`). */
  multiline?: readonly string[];
  /**
   * Fields not looked at (dotted paths, as reported): a password, which is never stored as
   * text, shown or logged, and which a sign-in must take exactly as it was set.
   */
  exempt?: readonly string[];
  /** The name of the whole value, where a path is empty: `body` (default), `query`, … */
  root?: string;
}

/** A field whose text (or one of whose field names) holds a refused character. */
export interface UnsafeText {
  /** Dotted path (`filters.region`, `items.0`), or the root's name for the value itself. */
  path: string;
  /** For the person: what is wrong, with the first refused character's code point. */
  message: string;
}

/** Where the exact scan below has something to look at: the regex engine scans faster. */
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

/** What a refused character is, as a message says it. */
export type RefusedKind = 'control' | 'line break' | 'bidi' | 'surrogate';

/** The first refused character of a text: its code point (the lone surrogate's) and kind. */
export interface Refused {
  codePoint: number;
  kind: RefusedKind;
  /** Its UTF-16 index in the text. */
  index: number;
}

const isLineBreak = (code: number) =>
  code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029;

/**
 * The first character of `text` a field may not hold, or null. With `multiline`, tab, line
 * feed, carriage return, U+2028 and U+2029 are allowed.
 */
export function firstRefused(text: string, multiline = false): Refused | null {
  if (!SUSPECT.test(text)) return null;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      if (multiline && (code === 0x09 || code === 0x0a || code === 0x0d)) continue;
      return { codePoint: code, kind: isLineBreak(code) ? 'line break' : 'control', index: i };
    }
    if (code === 0x2028 || code === 0x2029) {
      if (multiline) continue;
      return { codePoint: code, kind: 'line break', index: i };
    }
    if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) {
      return { codePoint: code, kind: 'bidi', index: i };
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      // A high surrogate followed by a low one is one character above U+FFFF.
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return { codePoint: code, kind: 'surrogate', index: i };
    }
  }
  return null;
}

/** `U+001B`: a code point as the messages write it. */
export const codePointLabel = (code: number) =>
  `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

const WHAT: Record<RefusedKind, string> = {
  control: 'control characters',
  'line break': 'line breaks',
  bidi: 'bidirectional formatting characters',
  surrogate: 'unpaired surrogates',
};

/** "Must not contain control characters (U+0000).", or "<subject> must not contain …". */
function refusedMessage(refused: Refused, subject?: string): string {
  const must = subject ? `${subject} must` : 'Must';
  return `${must} not contain ${WHAT[refused.kind]} (${codePointLabel(refused.codePoint)}).`;
}

/**
 * Why one piece of text (a query value, a decoded path segment, a form field) may not be
 * accepted, or null when it may. `multiline` allows tab and line breaks (a note); `subject`
 * starts the message ("Values of region must not contain …").
 */
export function unsafeTextMessage(
  text: string,
  options: { multiline?: boolean; subject?: string } = {},
): string | null {
  const refused = firstRefused(text, options.multiline ?? false);
  return refused ? refusedMessage(refused, options.subject) : null;
}

/** True when `text` holds nothing {@link unsafeTextMessage} refuses. */
export function isSafeText(text: string, options: { multiline?: boolean } = {}): boolean {
  return firstRefused(text, options.multiline ?? false) === null;
}

/**
 * The first field of `value` (a parsed JSON value: objects and arrays at any depth, field names
 * included) whose text holds a refused character, in document order; null when there is none.
 * A refused field name is reported at the object that holds it ("Field names must not …"), so
 * a reported path never holds a refused character itself.
 */
export function findUnsafeText(value: unknown, rules: TextRules = {}): UnsafeText | null {
  return walk(value, rules, 1)[0] ?? null;
}

/**
 * The fields {@link findUnsafeText} would refuse, one entry per path, in document order, at
 * most `limit` of them (a hostile body could name thousands).
 */
export function findAllUnsafeText(value: unknown, rules: TextRules = {}, limit = 20): UnsafeText[] {
  return walk(value, rules, limit);
}

/** A path as a linked list, so a step deeper costs nothing however deep the value nests. */
interface Path {
  parent: Path | null;
  key: string | number;
}

function pathName(path: Path | null, root: string): string {
  const keys: (string | number)[] = [];
  for (let step = path; step; step = step.parent) keys.push(step.key);
  return keys.reverse().map(String).join('.') || root;
}

/** A field name found refused, waiting on the walk's stack for its turn. */
class RefusedName {
  constructor(readonly message: string) {}
}

/**
 * Depth first, by an explicit stack (a 16 KB body can nest 8,000 deep: no recursion). A path is
 * spelled out only for a refused text.
 */
function walk(value: unknown, rules: TextRules, limit: number): UnsafeText[] {
  const multiline = new Set(rules.multiline ?? []);
  const exempt = new Set(rules.exempt ?? []);
  const root = rules.root ?? 'body';
  const found: UnsafeText[] = [];
  const reported = new Set<string>();
  const report = (name: string, message: string) => {
    if (reported.has(name)) return;
    reported.add(name);
    found.push({ path: name, message });
  };
  const seen = new Set<object>();
  const stack: { value: unknown; path: Path | null }[] = [{ value, path: null }];
  while (stack.length > 0 && found.length < limit) {
    const { value: current, path } = stack.pop()!;
    if (current instanceof RefusedName) {
      report(pathName(path, root), current.message);
      continue;
    }
    if (typeof current === 'string') {
      let refused = firstRefused(current);
      if (!refused) continue;
      const name = pathName(path, root);
      if (exempt.has(name)) continue;
      if (multiline.has(name)) refused = firstRefused(current, true);
      if (refused) report(name, refusedMessage(refused));
      continue;
    }
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    // Children pushed last first, so they come off in document order.
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) {
        stack.push({ value: current[i], path: { parent: path, key: i } });
      }
      continue;
    }
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const refused = firstRefused(key);
      // A refused name is reported at its object, in its turn; its value is not looked at (its
      // path would hold the refused name).
      stack.push(
        refused
          ? { value: new RefusedName(refusedMessage(refused, 'Field names')), path }
          : { value: (current as Record<string, unknown>)[key], path: { parent: path, key } },
      );
    }
  }
  return found;
}

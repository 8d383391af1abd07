'use client';
/**
 * Keyboard shortcuts: a tiny registry, one keydown listener for the page, and the `?` dialog
 * that lists them.
 *
 * A page (or any component) registers its own with `useShortcuts` while it is mounted:
 *
 *   useShortcuts(
 *     [
 *       { keys: 't h', description: 'Time range: last hour', run: () => setRange('1h') },
 *       { keys: 'z', description: 'Zoom out', run: zoomOut },
 *     ],
 *     { group: 'Explore' },
 *   );
 *
 * `keys` is one key as `KeyboardEvent.key` names it ("j", "?", "ArrowDown") or a sequence
 * separated by spaces ("t h"); the rules are in app/_lib/shortcut-keys.ts. Shortcuts never fire
 * while typing in a field, with Ctrl/Alt/Meta held, or from inside a dialog or menu. When two
 * registrations claim the same keys, the one registered last wins.
 * `<ShortcutsHelp>` — in the app header on every signed-in page — adds the global `?` and shows
 * what is registered on the current page.
 */
import { useEffect, useId, useRef, useSyncExternalStore } from 'react';
import {
  SEQUENCE_TIMEOUT_MS,
  isModifiedPress,
  isTypingTarget,
  keyNames,
  matchKey,
  parseKeys,
} from '../_lib/shortcut-keys';

export interface Shortcut {
  /** One key, or a sequence separated by spaces ("t h"). */
  keys: string;
  /** What it does, for the `?` dialog. */
  description: string;
  run: () => void;
}

interface Registration {
  group: string;
  shortcuts: readonly Shortcut[];
}

const GLOBAL_GROUP = 'Everywhere';

/** What is registered now, by the registering component's id, in the order of registration. */
const live = new Map<string, Registration>();
/** The same for the dialog: a new array only when keys, descriptions or groups changed. */
let listed: readonly Registration[] = [];
const EMPTY: readonly Registration[] = [];
const listeners = new Set<() => void>();

function signature(registration: Registration | undefined): string {
  if (!registration) return '';
  const { group, shortcuts } = registration;
  return JSON.stringify([group, shortcuts.map((s) => [s.keys, s.description])]);
}

function publish() {
  listed = [...live.values()];
  for (const listener of listeners) listener();
}

function register(id: string, registration: Registration) {
  const changed = signature(live.get(id)) !== signature(registration);
  // The callers' run functions change on every render: the newest is always the one used.
  live.set(id, registration);
  startListening();
  if (changed) publish();
}

function unregister(id: string) {
  if (!live.delete(id)) return;
  if (live.size === 0) stopListening();
  publish();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Keys pressed so far of a sequence, and when it lapses. */
let pending: string[] = [];
let pendingTimer: ReturnType<typeof setTimeout> | undefined;

function clearPending() {
  pending = [];
  clearTimeout(pendingTimer);
}

/** Dialogs and menus handle their own keys (and a modal dialog makes the page inert). */
const OWN_KEYS = 'dialog, [role="dialog"], [role="alertdialog"], [role="menu"], [role="listbox"]';

function onKeyDown(event: KeyboardEvent) {
  if (event.defaultPrevented || isModifiedPress(event)) return clearPending();
  const target = event.target instanceof Element ? event.target : null;
  if (isTypingTarget(target as HTMLElement | null) || target?.closest(OWN_KEYS)) {
    return clearPending();
  }
  // The later registration wins: search the newest first.
  const shortcuts = [...live.values()].flatMap((r) => r.shortcuts).reverse();
  const match = matchKey(
    pending,
    event.key,
    shortcuts.map((s) => parseKeys(s.keys)),
  );
  clearPending();
  if (!match) return;
  event.preventDefault();
  if ('run' in match) {
    shortcuts[match.run]!.run();
  } else {
    pending = match.pending;
    pendingTimer = setTimeout(clearPending, SEQUENCE_TIMEOUT_MS);
  }
}

let listening = false;

function startListening() {
  if (listening || typeof document === 'undefined') return;
  document.addEventListener('keydown', onKeyDown);
  listening = true;
}

function stopListening() {
  if (!listening) return;
  document.removeEventListener('keydown', onKeyDown);
  clearPending();
  listening = false;
}

/**
 * Registers `shortcuts` while the calling component is mounted, listed under `group` in the
 * `?` dialog. The list may be a new array on every render (the latest `run` is always used).
 */
export function useShortcuts(
  shortcuts: readonly Shortcut[],
  { group = 'This page', enabled = true }: { group?: string; enabled?: boolean } = {},
): void {
  const id = useId();
  useEffect(() => {
    if (enabled) register(id, { group, shortcuts });
    else unregister(id);
  }, [id, group, shortcuts, enabled]);
  useEffect(() => () => unregister(id), [id]);
}

/** The groups of the shortcuts registered now, the global ones last. */
function useRegisteredGroups(): { group: string; shortcuts: readonly Shortcut[] }[] {
  const current = useSyncExternalStore(
    subscribe,
    () => listed,
    () => EMPTY,
  );
  const groups = new Map<string, Shortcut[]>();
  for (const r of current) groups.set(r.group, [...(groups.get(r.group) ?? []), ...r.shortcuts]);
  return [...groups]
    .map(([group, shortcuts]) => ({ group, shortcuts }))
    .sort((a, b) => Number(a.group === GLOBAL_GROUP) - Number(b.group === GLOBAL_GROUP));
}

function Keys({ keys }: { keys: string }) {
  const names = keyNames(keys);
  return (
    <>
      {names.map((name, i) => (
        <span key={i}>
          {i > 0 ? <span className="shortcut-then"> then </span> : null}
          <kbd>{name}</kbd>
        </span>
      ))}
    </>
  );
}

/**
 * The `?` shortcut and the dialog it opens (a native modal <dialog>: focus moves into it and
 * back, Escape closes it, the page behind is inert), with a header button that opens it too.
 */
export function ShortcutsHelp() {
  const dialog = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const open = () => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  };
  useShortcuts([{ keys: '?', description: 'Show keyboard shortcuts', run: open }], {
    group: GLOBAL_GROUP,
  });
  const groups = useRegisteredGroups();
  return (
    <>
      <button
        type="button"
        className="shortcuts-button"
        onClick={open}
        aria-keyshortcuts="?"
        title="Keyboard shortcuts (?)"
        data-testid="shortcuts-button"
      >
        <span aria-hidden="true">?</span>
        <span className="sr-only">Keyboard shortcuts</span>
      </button>
      <dialog
        ref={dialog}
        className="shortcuts-dialog"
        aria-labelledby={headingId}
        data-testid="shortcuts-dialog"
        // A click on the backdrop (outside the dialog's box) closes it.
        onClick={(event) => {
          if (event.target === event.currentTarget) {
            const box = event.currentTarget.getBoundingClientRect();
            const inside =
              event.clientX >= box.left &&
              event.clientX <= box.right &&
              event.clientY >= box.top &&
              event.clientY <= box.bottom;
            if (!inside) event.currentTarget.close();
          }
        }}
      >
        <div className="shortcuts-head">
          <h2 id={headingId}>Keyboard shortcuts</h2>
          <form method="dialog">
            <button type="submit" className="button-link">
              Close
            </button>
          </form>
        </div>
        {groups.map(({ group, shortcuts }) => (
          <section key={group} className="shortcuts-group">
            <h3>{group}</h3>
            <dl>
              {shortcuts.map((s) => (
                <div key={`${s.keys}-${s.description}`} className="shortcut-row">
                  <dt>
                    <Keys keys={s.keys} />
                  </dt>
                  <dd>{s.description}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
        <p className="muted small">
          Shortcuts pause while you type in a field. Esc closes this dialog.
        </p>
      </dialog>
    </>
  );
}

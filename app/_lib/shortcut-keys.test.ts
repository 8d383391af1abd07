import { describe, expect, it } from 'vitest';
import {
  isModifiedPress,
  isTypingTarget,
  keyNames,
  matchKey,
  parseKeys,
  stepIndex,
} from './shortcut-keys';

const press = (
  key: string,
  mods: Partial<Record<'ctrlKey' | 'altKey' | 'metaKey', boolean>> = {},
) => ({
  key,
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  ...mods,
});

describe('parseKeys', () => {
  it('reads one key or a sequence separated by spaces', () => {
    expect(parseKeys('j')).toEqual(['j']);
    expect(parseKeys('?')).toEqual(['?']);
    expect(parseKeys('t  h')).toEqual(['t', 'h']);
    expect(parseKeys(' g b ')).toEqual(['g', 'b']);
    expect(parseKeys(' ')).toEqual([' ']);
  });
});

describe('isModifiedPress', () => {
  it('refuses Ctrl, Alt and Meta, and text being composed, but not Shift', () => {
    expect(isModifiedPress(press('j'))).toBe(false);
    expect(isModifiedPress(press('?'))).toBe(false); // shift+/ arrives as "?"
    expect(isModifiedPress(press('j', { ctrlKey: true }))).toBe(true);
    expect(isModifiedPress(press('j', { altKey: true }))).toBe(true);
    expect(isModifiedPress(press('k', { metaKey: true }))).toBe(true);
    expect(isModifiedPress({ ...press('j'), isComposing: true })).toBe(true);
  });
});

describe('isTypingTarget', () => {
  it('is true in fields and editable elements, whatever the case of the tag', () => {
    for (const tagName of ['INPUT', 'TEXTAREA', 'SELECT', 'input']) {
      expect(isTypingTarget({ tagName })).toBe(true);
    }
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true);
  });

  it('is false on links, buttons, the page itself, or no target', () => {
    for (const tagName of ['A', 'BUTTON', 'BODY', 'DIV']) {
      expect(isTypingTarget({ tagName, isContentEditable: false })).toBe(false);
    }
    expect(isTypingTarget(null)).toBe(false);
    expect(isTypingTarget(undefined)).toBe(false);
  });
});

describe('matchKey', () => {
  const seqs = [['j'], ['k'], ['?'], ['t', 'h'], ['t', 'd'], ['z']];

  it('runs a one-key shortcut', () => {
    expect(matchKey([], 'j', seqs)).toEqual({ run: 0 });
    expect(matchKey([], '?', seqs)).toEqual({ run: 2 });
  });

  it('waits for the rest of a sequence, then runs it', () => {
    expect(matchKey([], 't', seqs)).toEqual({ pending: ['t'] });
    expect(matchKey(['t'], 'h', seqs)).toEqual({ run: 3 });
    expect(matchKey(['t'], 'd', seqs)).toEqual({ run: 4 });
  });

  it('tries a key that breaks a sequence on its own', () => {
    expect(matchKey(['t'], 'z', seqs)).toEqual({ run: 5 });
    expect(matchKey(['t'], 't', seqs)).toEqual({ pending: ['t'] });
    expect(matchKey(['t'], 'x', seqs)).toBeNull();
  });

  it('matches nothing else, exactly (case and shift count)', () => {
    expect(matchKey([], 'x', seqs)).toBeNull();
    expect(matchKey([], 'J', seqs)).toBeNull();
    expect(matchKey([], 'h', seqs)).toBeNull();
    expect(matchKey([], 'j', [])).toBeNull();
  });

  it('lets the first complete match win, and a complete one win over a longer one', () => {
    expect(matchKey([], 'j', [['k'], ['j'], ['j']])).toEqual({ run: 1 });
    expect(matchKey([], 't', [['t', 'h'], ['t']])).toEqual({ run: 1 });
  });
});

describe('stepIndex', () => {
  it('starts at the first going forward and at the last going back', () => {
    expect(stepIndex(-1, 5, 1)).toBe(0);
    expect(stepIndex(-1, 5, -1)).toBe(4);
  });

  it('moves by the step and stops at the ends', () => {
    expect(stepIndex(0, 5, 1)).toBe(1);
    expect(stepIndex(3, 5, -1)).toBe(2);
    expect(stepIndex(4, 5, 1)).toBe(4);
    expect(stepIndex(0, 5, -1)).toBe(0);
  });

  it('has nowhere to go in an empty list, and restarts from a stale index', () => {
    expect(stepIndex(-1, 0, 1)).toBe(-1);
    expect(stepIndex(7, 3, 1)).toBe(0);
  });
});

describe('keyNames', () => {
  it('names keys as a help list shows them', () => {
    expect(keyNames('t h')).toEqual(['t', 'h']);
    expect(keyNames('ArrowDown')).toEqual(['↓']);
    expect(keyNames(' ')).toEqual(['Space']);
    expect(keyNames('Escape')).toEqual(['Esc']);
  });
});

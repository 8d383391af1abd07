import { describe, expect, it } from 'vitest';
import { formatPoints, formatSliceChange, scoreWords, shareNote } from './format';

describe('shareNote', () => {
  it('says why a share is above the whole: the others moved the other way, by how much', () => {
    expect(shareNote(1.09, 'drop', 'the other region values')).toBe(
      'more than the whole drop: the other region values moved the other way by 9.0% of it',
    );
    expect(shareNote(2.5, 'rise', 'the other slices')).toBe(
      'more than the whole rise: the other slices moved the other way by 150% of it',
    );
  });

  it('says when a value moved against the change, and nothing for an ordinary share', () => {
    expect(shareNote(-0.2, 'drop', 'x')).toBe('moved the other way: it rose');
    expect(shareNote(-0.2, 'rise', 'x')).toBe('moved the other way: it fell');
    expect(shareNote(0.95, 'drop', 'x')).toBeNull();
    expect(shareNote(1.03, 'drop', 'x')).toBeNull(); // within noise of the whole
    expect(shareNote(Number.NaN, 'drop', 'x')).toBeNull();
  });
});

describe('scoreWords', () => {
  it('puts the 0–1 score in words and keeps the number', () => {
    expect(scoreWords(0.82)).toBe('strong (0.82)');
    expect(scoreWords(0.3)).toBe('partial (0.30)');
    expect(scoreWords(0.19)).toBe('weak (0.19)');
    expect(scoreWords(Number.NaN)).toBe('—');
  });
});

describe('formatSliceChange', () => {
  it('shows the direction with an arrow, not by colour alone', () => {
    expect(formatSliceChange(42, 100)).toBe('▼ 58%');
    expect(formatSliceChange(136, 120)).toBe('▲ 13%');
    expect(formatSliceChange(5, 0)).toBe('new');
    expect(formatSliceChange(100, 100)).toBe('0%');
  });
});

describe('formatPoints', () => {
  it('signs a difference of shares in percentage points', () => {
    expect(formatPoints(0.7)).toBe('+70 pts');
    expect(formatPoints(-0.05)).toBe('−5.0 pts');
    expect(formatPoints(0.0001)).toBe('0 pts');
    expect(formatPoints(undefined)).toBe('—');
  });
});

import { describe, expect, it } from 'vitest';
import {
  capitalize,
  changeBrief,
  changeWords,
  listWords,
  percentWords,
  portionWords,
} from './words';

const ms = (v: number) => `${Math.round(v)} ms`;
const count = (v: number) => Math.round(v).toLocaleString('en-US');

describe('explanation words', () => {
  it('says how a value moved, with both values in its unit', () => {
    expect(changeWords(421, 1003.4, count)).toBe('fell 58%, 421 instead of about 1,003');
    expect(changeWords(136, 120, ms)).toBe('rose 13%, 136 ms instead of about 120 ms');
    expect(changeWords(97.5, 100, count)).toBe('fell 2.5%, 98 instead of about 100');
    expect(changeWords(0, 120, count)).toBe('fell to 0 from about 120');
    expect(changeWords(300, 0, count)).toBe('appeared: 300 where none was expected');
    expect(changeWords(0, 0, count)).toBe('stayed at 0');
    expect(changeWords(100.01, 100, count)).toBe('held at about 100');
    expect(changeBrief(40, 100)).toBe('fell 60%');
    expect(changeBrief(5, 0)).toBe('appeared');
  });

  it('says a share of the change, and more than the whole only beyond noise', () => {
    expect(portionWords(0.95, 'drop')).toBe('95% of the drop');
    expect(portionWords(0.999, 'rise')).toBe('all of the rise');
    expect(portionWords(1.03, 'drop')).toBe('all of the drop');
    expect(portionWords(1.09, 'drop')).toBe('more than the whole drop');
    expect(portionWords(-0.2, 'drop')).toBe('0% of the drop');
  });

  it('formats percents, lists and the first letter', () => {
    expect(percentWords(0.581)).toBe('58%');
    expect(percentWords(-0.004)).toBe('0.4%');
    expect(percentWords(12.5)).toBe('1,250%');
    expect(listWords(['a'])).toBe('a');
    expect(listWords(['a', 'b', 'c'])).toBe('a, b and c');
    expect(capitalize('purchases fell')).toBe('Purchases fell');
    expect(capitalize('')).toBe('');
  });
});

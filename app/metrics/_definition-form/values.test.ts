import { describe, expect, it } from 'vitest';
import {
  checkDefinition,
  firstInvalid,
  newRow,
  rowError,
  toCandidate,
  toValues,
  type DefinitionValues,
} from './values';

const base = (over: Partial<DefinitionValues> = {}): DefinitionValues => ({
  ...toValues(null),
  key: 'eu_purchases',
  name: 'Purchases in EU West',
  eventType: 'purchase',
  ...over,
});

describe('toCandidate', () => {
  it('sends only the fields of the kind, and a value typed but not added', () => {
    const values = base({
      kind: 'sum',
      measure: 'revenue',
      extraEventTypes: 'page_view',
      filters: [{ ...newRow(0, 'region', ['eu-west']), draft: ' us-east ' }, newRow(1)],
    });
    expect(toCandidate(values)).toEqual({
      key: 'eu_purchases',
      name: 'Purchases in EU West',
      kind: 'sum',
      eventType: 'purchase',
      measure: 'revenue',
      filters: { region: ['eu-west', 'us-east'] },
      windowMultiple: 1,
      unit: '',
      split: null,
    });
  });

  it('sends a split only with a dimension, its top N as a number', () => {
    expect(toCandidate(base({ splitDim: ' ', splitTopN: '4' })).split).toBeNull();
    expect(toCandidate(base({ splitDim: 'region', splitTopN: '4' })).split).toEqual({
      dim: 'region',
      topN: 4,
    });
    expect(toCandidate(base({ splitDim: 'region', splitTopN: '' })).split).toEqual({
      dim: 'region',
      topN: undefined,
    });
  });
});

describe('checkDefinition', () => {
  it('parses a complete definition', () => {
    const checked = checkDefinition(base({ filters: [newRow(0, 'region', ['eu-west'])] }));
    expect(checked.errors).toEqual({});
    expect(checked.value?.filters).toEqual({ region: ['eu-west'] });
  });

  it('refuses rows the definition cannot express, keeping the parsed value', () => {
    const checked = checkDefinition(
      base({
        filters: [
          newRow(0, 'region', ['eu-west']),
          newRow(1, '', ['android']),
          newRow(2, 'region', ['us-east']),
        ],
      }),
    );
    expect(checked.value).not.toBeNull();
    expect(checked.errors).toEqual({
      'row.1': 'Choose the dimension to filter on.',
      'row.2': 'region is filtered above already; add the values there.',
    });
  });
});

describe('rowError', () => {
  const rows = [newRow(0, 'Region', ['eu-west']), newRow(1, '', ['android'])];
  const client = checkDefinition(base({ filters: rows })).errors;

  it("shows the client's messages only after a submit, the server's at once", () => {
    expect(rowError(rows, rows[0]!, { server: {}, client }, false)).toBeUndefined();
    expect(rowError(rows, rows[0]!, { server: {}, client }, true)).toMatch(/^Dimension names/);
    expect(rowError(rows, rows[1]!, { server: {}, client }, true)).toBe(
      'Choose the dimension to filter on.',
    );
    const server = { 'filters.Region': 'Unknown dimension.' };
    expect(rowError(rows, rows[0]!, { server, client }, false)).toBe('Unknown dimension.');
  });
});

describe('firstInvalid', () => {
  it('focuses the first field in error, then the first row, then the window multiple', () => {
    const noKey = base({ key: '', name: '' });
    expect(firstInvalid(noKey, { server: {}, client: checkDefinition(noKey).errors })).toBe('key');
    const row = base({ filters: [newRow(0, 'region', ['eu-west']), newRow(4, '', ['x'])] });
    expect(firstInvalid(row, { server: {}, client: checkDefinition(row).errors })).toBe(
      'filter-dim-4',
    );
    const unit = base({ unit: 'x'.repeat(40) });
    expect(firstInvalid(unit, { server: {}, client: checkDefinition(unit).errors })).toBe(
      'windowMultiple',
    );
    expect(firstInvalid(base(), { server: {}, client: {} })).toBeNull();
  });
});

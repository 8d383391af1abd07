import { describe, expect, it } from 'vitest';
import { CubeFileError, parseCubeCsv } from './table';

const columns = { actual: 'actual', expected: 'expected' };

describe('parseCubeCsv', () => {
  it('reads leaves: every column but the values is a dimension', () => {
    const text =
      '\uFEFFregion, device ,actual,expected\neu-west,android,120,410.5\n\nus,ios,7,1e2\n';
    expect(parseCubeCsv(text, columns)).toEqual({
      dims: ['region', 'device'],
      leaves: [
        { dims: { region: 'eu-west', device: 'android' }, actual: 120, expected: 410.5 },
        { dims: { region: 'us', device: 'ios' }, actual: 7, expected: 100 },
      ],
    });
  });

  it('leaves a dimension out for an empty cell, and reads named and ratio columns', () => {
    const text = 'conv,base,region,sessions,base_sessions\n3,4,,100,90\n';
    const { dims, leaves } = parseCubeCsv(text, {
      actual: 'conv',
      expected: 'base',
      actualDen: 'sessions',
      expectedDen: 'base_sessions',
    });
    expect(dims).toEqual(['region']);
    expect(leaves).toEqual([{ dims: {}, actual: 3, expected: 4, actualDen: 100, expectedDen: 90 }]);
  });

  it.each([
    ['', columns, /the file is empty/],
    ['region,actual,expected\n', columns, /no rows after the header/],
    [
      'actual,expected\n1,2\n',
      columns,
      /no dimension columns: every column other than actual, expected/,
    ],
    [
      'region,act,expected\neu,1,2\n',
      columns,
      /no column "actual" for the actual values \(columns: region, act, expected\); name it with --actual COL/,
    ],
    [
      'r,actual,expected\neu,1,2\n',
      { ...columns, actualDen: 'n', expectedDen: 'd' },
      /no column "n" .* --actual-den COL/,
    ],
    ['r,r,actual,expected\n', columns, /column "r" appears twice/],
    ['r,,actual,expected\n', columns, /column 2 has no name/],
    [
      'region,actual,expected\neu,1,2\nus,x,3\n',
      columns,
      /^line 3: column "actual": expected a number, got "x"$/,
    ],
    // Empty lines are skipped but still counted: the line is the file's, not the row's.
    [
      'region,actual,expected\n\neu,1,2\n\n"u\ns",x,3\n',
      columns,
      /^line 6: column "actual": expected a number, got "x"$/,
    ],
    [
      'region,actual,expected\neu,1,\n',
      columns,
      /line 2: column "expected": expected a number, got ""/,
    ],
    ['region,actual,expected\neu,1,0x10\n', columns, /got "0x10"/],
    [
      'region,actual,expected\neu,-1,2\n',
      columns,
      /line 2: column "actual": expected a number ≥ 0, got -1/,
    ],
    ['region,actual,expected\neu,1,2\nus,1\n', columns, /not readable as CSV: .*line 3/],
    ['region,actual,expected\n"eu,1,2\n', columns, /not readable as CSV: Quote Not Closed/],
  ])('refuses %j', (text, cols, message) => {
    expect(() => parseCubeCsv(text, cols)).toThrow(CubeFileError);
    expect(() => parseCubeCsv(text, cols)).toThrow(message);
  });
});

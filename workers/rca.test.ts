/**
 * `npm run rca` end to end: the CLI is spawned as the npm script runs it (workers/bundled.mjs:
 * the cached esbuild bundle of workers/rca.ts, rebuilt when a source changed; npm itself would
 * add a second Node start to every run) on CSV files written from generated incidents, and its
 * JSON and exit status are checked.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateIncident, setKey } from '@/lib/rca/generate';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pulse-rca-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rca(...args: string[]) {
  const run = spawnSync(process.execPath, ['workers/bundled.mjs', 'workers/rca.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('npm run rca', () => {
  it('prints the root cause and ranked candidates of a cube as JSON', () => {
    const incident = generateIncident(42, { causeDims: 2, change: -0.6, dims: 4, maxLeaves: 400 });
    const dims = Object.keys(incident.leaves[0]!.dims);
    const rows = incident.leaves.map((l) =>
      [...dims.map((d) => l.dims[d]), l.actual, l.expected].join(','),
    );
    const file = write('cube.csv', [[...dims, 'now', 'baseline'].join(','), ...rows].join('\n'));
    const run = rca(
      '--input',
      file,
      '--actual',
      'now',
      '--expected',
      'baseline',
      '--max-candidates',
      '5',
    );
    expect(run.status).toBe(0);
    const answer = JSON.parse(run.stdout) as {
      rootCause: Record<string, string>[];
      candidates: { elements: Record<string, string>; score: number; explains: number }[];
      sentence: string;
    };
    expect(setKey(answer.rootCause)).toBe(setKey(incident.causes));
    expect(answer.candidates).toHaveLength(5);
    expect(answer.candidates[0]!.elements).toEqual(incident.causes[0]);
    expect(answer.candidates[0]!.score).toBeGreaterThan(0);
    expect(answer.candidates[0]!.explains).toBeGreaterThan(0.5);
    expect(answer.sentence).toMatch(/ in \S+=\S+ AND .* fell \d+%.*: that is .* of the drop/);
  }, 60_000);

  it('explains a ratio metric with the denominator columns', () => {
    const lines = ['region,device,conv,sessions,base_conv,base_sessions'];
    for (const region of ['eu', 'us', 'apac']) {
      for (const device of ['ios', 'android']) {
        const rate = device === 'android' && region === 'eu' ? 0.01 : 0.04;
        lines.push(`${region},${device},${5000 * rate},5000,200,5000`);
      }
    }
    const file = write('funnel.csv', lines.join('\n'));
    const run = rca(
      file,
      '--actual',
      'conv',
      '--expected',
      'base_conv',
      '--actual-den',
      'sessions',
      '--expected-den',
      'base_sessions',
      '--metric',
      'conversion',
    );
    expect(run.status).toBe(0);
    const answer = JSON.parse(run.stdout) as {
      rootCause: unknown;
      dominant: string;
      sentence: string;
    };
    expect(answer).toMatchObject({
      dominant: 'rate',
      rootCause: [{ region: 'eu', device: 'android' }],
    });
    expect(answer.sentence).toMatch(/^Conversion fell from 4\.00% to 3\.50%/);
  }, 60_000);

  it('exits 2 with a clear message for a missing file, a missing column or a bad value', () => {
    const missing = rca('--input', join(dir, 'nope.csv'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.csv: cannot read: no such file/);

    const file = write('bad.csv', 'region,actual,expected\neu,1,2\nus,many,3\n');
    const column = rca('--input', file, '--expected', 'forecast');
    expect(column.status).toBe(2);
    expect(column.stderr).toMatch(/no column "forecast" for the expected values/);
    const value = rca('--input', file);
    expect(value.status).toBe(2);
    expect(value.stderr).toMatch(
      /bad\.csv: line 3: column "actual": expected a number, got "many"/,
    );
    expect(value.stdout).toBe('');

    const usage = rca('--max-depth', '9', file);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(
      /--max-depth: expected a whole number from 1 to 3[\s\S]*Usage: npm run rca/,
    );
  }, 60_000);
});

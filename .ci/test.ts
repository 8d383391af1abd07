/**
 * `npm test`: every suite — lint, typecheck, unit, integration (real PostgreSQL), production
 * build, end-to-end (real browser). Installs missing system packages where it can (Debian, as
 * root) and otherwise fails at once naming what to install. Never skips a suite.
 *
 * Lint and typecheck run at the same time (two single-threaded tools, no tests, on a machine
 * of two or more cores), each reported with its own result and time; lint prints as it runs,
 * typecheck's output is printed whole once both have finished. The other suites run alone:
 * unit and integration use every core themselves (vitest.config.ts) and have tests that keep
 * time, the build must not write .next/types while typecheck reads the project, and e2e drives
 * the real product on a real clock. (The build beside the integration suite was tried: the
 * integration suite took 111 s longer, more than the build's own 61 s.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Step {
  name: string;
  command: string[];
  /** Where the suite writes a JSON report, read for the names of failed tests. */
  report?: 'vitest' | 'playwright';
}

/** JSON reports go here, so that the summary at the end names what failed. */
const REPORTS = mkdtempSync(join(tmpdir(), 'pulse-test-'));
const reportFile = (name: string) => join(REPORTS, `${name}.json`);
const vitest = (project: string): Step => ({
  name: project,
  command: [
    'npx',
    'vitest',
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile=${reportFile(project)}`,
  ],
  report: 'vitest',
});

/** Groups in order; the steps of a group run at the same time. */
const GROUPS: Step[][] = [
  [
    { name: 'lint', command: ['npm', 'run', '--silent', 'lint'] },
    { name: 'typecheck', command: ['npx', 'tsc', '--noEmit'] },
  ],
  [vitest('unit')],
  [vitest('integration')],
  [{ name: 'build', command: ['npx', 'next', 'build'] }],
  [
    {
      name: 'e2e',
      command: ['npx', 'playwright', 'test', '--reporter=list,json'],
      report: 'playwright',
    },
  ],
];

interface VitestReport {
  testResults?: { name: string; assertionResults?: { fullName: string; status: string }[] }[];
}
interface PlaywrightSuite {
  title: string;
  file?: string;
  specs?: { title: string; ok: boolean }[];
  suites?: PlaywrightSuite[];
}

/** The failed tests a suite's JSON report names ([] when it has none or cannot be read). */
function failedTests(step: Step): string[] {
  if (!step.report) return [];
  try {
    const report: unknown = JSON.parse(readFileSync(reportFile(step.name), 'utf8'));
    if (step.report === 'vitest') {
      return ((report as VitestReport).testResults ?? []).flatMap((file) =>
        (file.assertionResults ?? [])
          .filter((a) => a.status === 'failed')
          .map((a) => `${file.name.replace(`${process.cwd()}/`, '')} › ${a.fullName}`),
      );
    }
    const walk = (suite: PlaywrightSuite, file: string): string[] => [
      ...(suite.specs ?? []).filter((s) => !s.ok).map((s) => `${file} › ${s.title}`),
      ...(suite.suites ?? []).flatMap((child) => walk(child, child.file ?? file)),
    ];
    return ((report as { suites?: PlaywrightSuite[] }).suites ?? []).flatMap((suite) =>
      walk(suite, suite.file ?? suite.title),
    );
  } catch {
    return [];
  }
}

/**
 * The e2e suite's browsers (playwright.config.ts): Chromium's headless shell, lighter than the
 * whole browser, and the whole browser for desktop notifications, which the shell lacks.
 */
const CHROMIUM_SHELL = '/usr/bin/chromium-headless-shell';
const CHROMIUM = '/usr/bin/chromium';
const RDKAFKA_MOCK_HEADER = '/usr/include/librdkafka/rdkafka_mock.h';

function run(command: string[], env: NodeJS.ProcessEnv = process.env): number {
  const [bin, ...args] = command;
  const result = spawnSync(bin!, args, { stdio: 'inherit', env });
  return result.status ?? 1;
}

/** Makes sure the system packages the suites need are there, or says what to install. */
function ensureSystemPackages(): void {
  const missing: { pkg: string; why: string }[] = [];
  if (!existsSync(CHROMIUM_SHELL)) {
    missing.push({
      pkg: 'chromium-headless-shell',
      why: "the e2e suite drives Chromium's headless shell",
    });
  }
  if (!existsSync(CHROMIUM)) {
    missing.push({
      pkg: 'chromium',
      why: 'the e2e suite checks desktop notifications in Chromium',
    });
  }
  if (!existsSync(RDKAFKA_MOCK_HEADER)) {
    missing.push({
      pkg: 'librdkafka-dev',
      why: "the Kafka integration tests run librdkafka's mock cluster",
    });
  }
  if (spawnSync('cc', ['--version']).status !== 0) {
    missing.push({ pkg: 'gcc', why: 'the Kafka mock cluster harness is compiled at test time' });
  }
  if (missing.length === 0) return;
  const names = missing.map((m) => m.pkg);
  const isDebian = existsSync('/etc/debian_version');
  const isRoot = process.getuid?.() === 0;
  if (!isDebian || !isRoot) {
    console.error(
      `Missing system packages: ${missing.map((m) => `${m.pkg} (${m.why})`).join(', ')}.\n` +
        `Install them (Debian/Ubuntu: sudo apt-get install -y ${names.join(' ')}) and run npm test again.`,
    );
    process.exit(1);
  }
  console.log(`Installing system packages: ${names.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (
    run(['apt-get', 'update', '-qq'], env) !== 0 ||
    run(['apt-get', 'install', '-y', '-qq', ...names], env) !== 0
  ) {
    console.error(`Could not install ${names.join(' ')} with apt-get.`);
    process.exit(1);
  }
}

interface Result {
  name: string;
  ok: boolean;
  seconds: number;
  /** Failed tests by name, from the suite's report. */
  failures?: string[];
}

/**
 * Runs one suite. `live`: its output goes straight to the terminal; otherwise it is collected
 * and handed back, to be printed once the suites beside it are done.
 */
function runStep(step: Step, live: boolean): Promise<Result & { output: Buffer[] }> {
  const [bin, ...args] = step.command;
  const env = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: '1',
    FORCE_COLOR: process.env.CI ? '0' : '1',
    ...(step.report === 'playwright' ? { PLAYWRIGHT_JSON_OUTPUT_NAME: reportFile(step.name) } : {}),
  };
  const output: Buffer[] = [];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(bin!, args, { stdio: live ? 'inherit' : 'pipe', env });
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    const done = (ok: boolean) =>
      resolve({
        name: step.name,
        ok,
        seconds: Math.round((Date.now() - started) / 1000),
        output,
      });
    child.once('error', (error) => {
      output.push(Buffer.from(`${String(error)}\n`));
      done(false);
    });
    child.once('close', (code) => done(code === 0));
  });
}

const header = (step: Step) => `\n━━━ ${step.name} ━━━ ${step.command.join(' ')}`;

async function main(): Promise<void> {
  ensureSystemPackages();
  const only = process.argv.slice(2);
  const groups = GROUPS.map((group) =>
    only.length > 0 ? group.filter((s) => only.includes(s.name)) : group,
  ).filter((group) => group.length > 0);
  const results: Result[] = [];
  const started = Date.now();
  for (const group of groups) {
    // e2e needs a good build; a failed build fails e2e too rather than skipping it.
    if (group.some((s) => s.name === 'e2e') && results.some((r) => r.name === 'build' && !r.ok)) {
      results.push({ name: 'e2e (not run: build failed)', ok: false, seconds: 0 });
      continue;
    }
    if (group.length > 1) {
      const names = group.map((s) => s.name).join(', ');
      console.log(`\n━━━ ${names}, at the same time (${group[0]!.name} shown as it runs) ━━━`);
    }
    console.log(header(group[0]!));
    const finished = await Promise.all(group.map((step, i) => runStep(step, i === 0)));
    finished.forEach((r, i) => {
      if (i > 0) {
        console.log(header(group[i]!));
        process.stdout.write(Buffer.concat(r.output));
      }
      results.push({
        name: r.name,
        ok: r.ok,
        seconds: r.seconds,
        failures: r.ok ? [] : failedTests(group[i]!),
      });
    });
  }
  console.log('\n━━━ summary ━━━');
  for (const r of results) {
    console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(28)} ${r.seconds}s`);
    // The log's tail is often all a CI page shows: name what failed here too.
    for (const name of r.failures ?? []) console.log(`        ✗ ${name}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`suites: ${results.length - failed} passed, ${failed} failed`);
  console.log(`total: ${Math.round((Date.now() - started) / 1000)}s`);
  process.exit(failed === 0 ? 0 : 1);
}

void main();

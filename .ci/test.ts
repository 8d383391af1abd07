/**
 * `npm test`: every suite, in order — lint, typecheck, unit, integration (real PostgreSQL),
 * production build, end-to-end (real browser). Installs missing system packages where it can
 * (Debian, as root) and otherwise fails at once naming what to install. Never skips a suite.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

interface Step {
  name: string;
  command: string[];
}

const STEPS: Step[] = [
  { name: 'lint', command: ['npm', 'run', '--silent', 'lint'] },
  { name: 'typecheck', command: ['npx', 'tsc', '--noEmit'] },
  { name: 'unit', command: ['npx', 'vitest', 'run', '--project', 'unit'] },
  { name: 'integration', command: ['npx', 'vitest', 'run', '--project', 'integration'] },
  { name: 'build', command: ['npx', 'next', 'build'] },
  { name: 'e2e', command: ['npx', 'playwright', 'test'] },
];

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
  if (!existsSync(CHROMIUM))
    missing.push({ pkg: 'chromium', why: 'the e2e suite drives Chromium' });
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

function main(): void {
  ensureSystemPackages();
  const only = process.argv.slice(2);
  const steps = only.length > 0 ? STEPS.filter((s) => only.includes(s.name)) : STEPS;
  const results: { name: string; ok: boolean; seconds: number }[] = [];
  for (const step of steps) {
    console.log(`\n━━━ ${step.name} ━━━ ${step.command.join(' ')}`);
    const started = Date.now();
    const env = {
      ...process.env,
      NEXT_TELEMETRY_DISABLED: '1',
      FORCE_COLOR: process.env.CI ? '0' : '1',
    };
    const ok = run(step.command, env) === 0;
    results.push({ name: step.name, ok, seconds: Math.round((Date.now() - started) / 1000) });
    // e2e needs a good build; a failed build fails e2e too rather than skipping it.
    if (!ok && step.name === 'build') {
      results.push({ name: 'e2e (not run: build failed)', ok: false, seconds: 0 });
      break;
    }
  }
  console.log('\n━━━ summary ━━━');
  for (const r of results)
    console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(28)} ${r.seconds}s`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`suites: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();

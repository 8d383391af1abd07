import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
/**
 * Vitest's default in `run` mode is one worker fewer than the cores: a single worker on a 2-core
 * CI machine. The test processes are most of the load (the main process only collects
 * results), so use at least two.
 */
const workers = Math.max(2, availableParallelism() - 1);

/**
 * The slowest files of each suite, in the order they should start: the integration suite's
 * (20-60 s each, most of it spent waiting on processes they start) and the unit suite's (CPU-bound
 * property and accuracy tests, 7-20 s each). Vitest runs the longest first by the durations it
 * cached on the last run, but a clean clone (CI) has no cache and ran files in path order, so a
 * file that took 113 s started last and ran alone at the end.
 */
const SLOW_FIRST = [
  'workers/services/kafka-source.int.test.ts',
  'workers/services/kafka-outage.int.test.ts',
  'workers/services/supervisor.int.test.ts',
  'workers/eval.int.test.ts',
  'workers/services/replay.int.test.ts',
  'db/queries/engine-store.int.test.ts',
  'workers/services/detector.int.test.ts',
  'lib/rca/accuracy.test.ts',
  'lib/rca/benchmark.test.ts',
  'lib/eval/split-suite.test.ts',
  'lib/detection/backtest.test.ts',
  'workers/backtest.test.ts',
];

/** Vitest's order, with {@link SLOW_FIRST} moved to the front of its project. */
class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const at = SLOW_FIRST.findIndex((path) => file.moduleId.endsWith(path));
      return at < 0 ? SLOW_FIRST.length : at;
    };
    const position = new Map(sorted.map((file, i) => [file, i]));
    // Only within a project: the projects' own order (groupOrder, then name) stays.
    const project = (file: TestSpecification) =>
      `${file.project.config.sequence.groupOrder}\0${file.project.name}`;
    return [...sorted].sort(
      (a, b) =>
        (project(a) < project(b) ? -1 : project(a) > project(b) ? 1 : 0) ||
        rank(a) - rank(b) ||
        position.get(a)! - position.get(b)!,
    );
  }
}

export default defineConfig({
  resolve: { alias: { '@': root } },
  test: {
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        resolve: { alias: { '@': root } },
        test: {
          name: 'unit',
          include: ['{lib,db,workers,app}/**/*.test.{ts,tsx}', '*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          environment: 'node',
          maxWorkers: workers,
          // One module graph per worker rather than per file: the unit files are pure or render
          // to strings, and re-importing the modules for each of 131 files cost 18 s of a 72 s run
          // (42-48 s without). A file that changes what a module reads when it loads (the
          // runtime's zone: lib/explore/format.test.ts) loads that module afresh itself. The
          // three render tests mock next/navigation alike (a router that does nothing), so it
          // does not matter which of them loads a component first.
          isolate: false,
          // A guard against a hung test, not a speed limit: the CPU-bound property tests take
          // 1-2 s alone but 5-9 s while two workers share two cores with other work.
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias: { '@': root } },
        test: {
          name: 'integration',
          include: ['{lib,db,workers,app}/**/*.int.test.ts', 'server.int.test.ts'],
          environment: 'node',
          globalSetup: ['./db/testing/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two files at a time: each has its own database (db/testing/test-db.ts) on the one
          // cluster, and its own ports, topics, directories and processes. More would crowd the
          // tests that start workers and time them on a 2-core machine. After the unit files
          // when both projects run (different worker counts need their own group).
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
/**
 * Vitest's default in `run` mode is one worker fewer than the cores: a single worker on a 2-core
 * CI machine. The test processes are most of the load (the main process only collects
 * results), so use at least two.
 */
const workers = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  resolve: { alias: { '@': root } },
  test: {
    projects: [
      {
        resolve: { alias: { '@': root } },
        test: {
          name: 'unit',
          include: ['{lib,db,workers,app}/**/*.test.{ts,tsx}', '*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          environment: 'node',
          maxWorkers: workers,
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

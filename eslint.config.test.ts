/**
 * The import boundaries of docs/architecture.md are enforced by eslint.config.js: each case
 * lints a line of code as if it were in a file of that room and checks that the boundary
 * holds — and that what is allowed stays allowed.
 */
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: process.cwd() });
});

/** The boundary rules that fire on `code` placed at `file`. */
async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\n`, { filePath: file });
  return (result?.messages ?? [])
    .filter((m) =>
      [
        '@typescript-eslint/no-restricted-imports',
        'pulse/client-boundary',
        'no-restricted-properties',
      ].includes(m.ruleId ?? ''),
    )
    .map((m) => m.message);
}

const CLIENT = "'use client';\n";

describe('import boundaries', () => {
  it.each([
    ['lib/stream/x.ts', "import { createDb } from '@/db/client';\nvoid createDb;"],
    ['lib/stream/x.ts', "import { readFile } from 'node:fs/promises';\nvoid readFile;"],
    ['lib/stream/x.ts', "import postgres from 'postgres';\nvoid postgres;"],
    ['lib/stream/x.ts', "import { config } from '@/env';\nvoid config;"],
    ['lib/stream/x.ts', "import { webContext } from '@/app/_server/context';\nvoid webContext;"],
    ['db/queries/x.ts', "import { webContext } from '@/app/_server/context';\nvoid webContext;"],
    [
      'db/queries/x.ts',
      "import { startDetector } from '@/workers/services/detector';\nvoid startDetector;",
    ],
    ['db/queries/x.ts', "import { config } from '@/env';\nvoid config;"],
    ['workers/services/x.ts', "import { config } from '@/env';\nvoid config;"],
    ['workers/services/x.ts', "import '@/workers/stream';"],
    ['app/_server/x.ts', "import '@/server';"],
    ['app/_server/x.ts', "import { config } from '@/env';\nvoid config;"],
    [
      'db/sources/x.ts',
      "import { createTestDatabase } from '@/db/testing/test-db';\nvoid createTestDatabase;",
    ],
    ['app/_lib/x.ts', "import { createDb } from '@/db/client';\nvoid createDb;"],
    [
      'app/_components/x.tsx',
      "import { webContext } from '@/app/_server/context';\nvoid webContext;",
    ],
    [
      'app/metrics/x.tsx',
      `${CLIENT}import { getMetricItem } from '@/db/queries/metrics';\nvoid getMetricItem;`,
    ],
    [
      'app/metrics/x.tsx',
      `${CLIENT}import type { MetricRow } from '@/db/queries/metrics';\nexport type T = MetricRow;`,
    ],
    ['app/metrics/x.tsx', `${CLIENT}import { route } from '../_server/api-route';\nvoid route;`],
    [
      'app/health/x.tsx',
      `${CLIENT}import { createLogger } from '@/lib/observability/log';\nvoid createLogger;`,
    ],
    ['app/health/x.tsx', `${CLIENT}import { hostname } from 'node:os';\nvoid hostname;`],
    ['lib/stream/x.ts', 'export const url = process.env.DATABASE_URL;'],
    ['app/_server/live.ts', "import { isSameOrigin } from './api-route';\nvoid isSameOrigin;"],
    ['app/_server/http-ingest.ts', "import { cookies } from 'next/headers';\nvoid cookies;"],
  ])('refuses in %s: %s', async (file, code) => {
    expect(await violations(file, code)).not.toEqual([]);
  });

  it.each([
    ['lib/stream/x.ts', "import { z } from 'zod';\nvoid z;"],
    ['lib/auth/x.ts', "import { scrypt } from 'node:crypto';\nvoid scrypt;"],
    ['db/queries/x.ts', "import { TOTAL } from '@/lib/types';\nvoid TOTAL;"],
    ['app/_server/context.ts', "import { config } from '@/env';\nvoid config;"],
    ['workers/stream.ts', "import { config } from '@/env';\nvoid config;"],
    ['server.ts', "import { config } from '@/env';\nvoid config;"],
    [
      'app/metrics/page.tsx',
      "import { listMetricItems } from '@/db/queries/metrics';\nvoid listMetricItems;",
    ],
    [
      'app/health/x.tsx',
      `${CLIENT}import type { LiveMetrics } from '@/lib/observability/live-figures';\nexport type T = LiveMetrics;`,
    ],
    [
      'app/health/x.tsx',
      `${CLIENT}import { formatValue } from '@/lib/metrics/units';\nvoid formatValue;`,
    ],
    [
      'workers/bench/x.ts',
      "import { startMockCluster } from '@/workers/testing/kafka-mock-cluster';\nvoid startMockCluster;",
    ],
    [
      'db/sources/x.test.ts',
      "import { createTestDatabase } from '@/db/testing/test-db';\nvoid createTestDatabase;",
    ],
    ['env.ts', 'export const url = process.env.DATABASE_URL;'],
  ])('allows in %s: %s', async (file, code) => {
    expect(await violations(file, code)).toEqual([]);
  });
});

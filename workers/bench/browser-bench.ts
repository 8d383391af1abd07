/**
 * The harness of the benchmarks that measure the product as a user runs it (`bench:board`,
 * `bench:explore` in a browser, `bench:sockets` with its own clients): the product as `npm start`
 * runs it on a fresh embedded database, a pool to that database, Debian's Chromium when asked;
 * everything stopped and the data removed afterwards, whatever happened; and the benchmark's
 * section written into docs/benchmarks.md.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { format, resolveConfig } from 'prettier';
import { childEnvironment } from '@/env';
import { withSection } from '@/lib/observability/board-latency';
import { createDb, type DbHandle } from '@/db/client';
import { embeddedClusterDir, embeddedUrl } from '@/db/embedded';
import {
  ensureBuild,
  ROOT,
  SoakSetupError,
  startProduct,
  stopProduct,
  waitHealthy,
  type Product,
} from './soak-product';
import { CHROMIUM_ARGS, FULL_CHROMIUM } from '../../playwright.config';

/** The whole browser (what a person runs), with the flags the e2e suite gives it. */
export const CHROMIUM = FULL_CHROMIUM;
export { CHROMIUM_ARGS };

export interface BenchProduct {
  /** Names the data dir (.data/<name>), the log (.data/<name>.log) and the pool. */
  name: string;
  port: number;
  pgPort: number;
  adminPassword: string;
  /** Variables beyond the ones every run sets (ports, data dir, production, quiet logs). */
  env: Record<string, string>;
  /** Build the web app first when there is no build. */
  build: boolean;
}

/** The product under a benchmark: its address, a pool to its database, its processes. */
export interface ProductContext {
  base: string;
  db: DbHandle;
  product: Product;
  interrupted: () => boolean;
}

export interface BenchContext extends ProductContext {
  browser: Browser;
}

/**
 * Runs `body` against the product started afresh and a Chromium, then stops everything and
 * removes the data. Returns the body's result and what the stop said.
 */
export async function withBenchProduct<T>(
  spec: BenchProduct,
  body: (context: BenchContext) => Promise<T>,
): Promise<{ result: T; stop: string }> {
  if (!existsSync(CHROMIUM)) {
    throw new SoakSetupError(`no Chromium at ${CHROMIUM}: install Debian's chromium package`);
  }
  return withProduct(spec, async (context) => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      return await body({ ...context, browser });
    } finally {
      await browser.close().catch(() => undefined);
    }
  });
}

/**
 * Runs `body` against the product started afresh (no browser: `bench:sockets` brings its own
 * clients), then stops everything and removes the data. Returns the body's result and what the
 * stop said.
 */
export async function withProduct<T>(
  spec: BenchProduct,
  body: (context: ProductContext) => Promise<T>,
): Promise<{ result: T; stop: string }> {
  await ensureBuild(spec.build);
  const dataDir = join(ROOT, '.data', spec.name);
  rmSync(dataDir, { recursive: true, force: true });
  const env = childEnvironment({
    DATABASE_URL: undefined,
    KAFKA_BROKERS: undefined,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(spec.port),
    PULSE_PG_PORT: String(spec.pgPort),
    PULSE_DATA_DIR: dataDir,
    PULSE_ADMIN_PASSWORD: spec.adminPassword,
    ...spec.env,
  });
  const base = `http://127.0.0.1:${spec.port}`;
  const product = startProduct(env, join(ROOT, '.data', `${spec.name}.log`));
  let interrupted = false;
  process.once('SIGINT', () => (interrupted = true));
  let db: DbHandle | undefined;
  try {
    await waitHealthy(base, product, () => interrupted);
    const url = await embeddedUrl({ dir: dataDir, port: spec.pgPort });
    if (!url) throw new Error(`the product has no embedded PostgreSQL under ${dataDir}`);
    db = createDb(url, { max: 2, appName: `pulse-${spec.name}` });
    const result = await body({ base, db, product, interrupted: () => interrupted });
    return { result, stop: await finish() };
  } catch (error) {
    await finish();
    throw error;
  }

  async function finish(): Promise<string> {
    await db?.close().catch(() => undefined);
    db = undefined;
    const cluster = embeddedClusterDir(dataDir);
    const stop = await stopProduct(product);
    rmSync(dataDir, { recursive: true, force: true });
    // Root may have kept the cluster outside the clone (db/embedded.ts ROOT_HOME).
    if (!resolve(cluster).startsWith(resolve(dataDir)))
      rmSync(resolve(cluster, '..'), { recursive: true, force: true });
    return stop;
  }
}

/** Refuses to start on a port something already listens on: its /api/health would answer. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  const free = await new Promise<boolean>((done) => {
    const server = createServer()
      .once('error', () => done(false))
      .listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
  if (!free) {
    throw new SoakSetupError(
      `port ${port} (${what}) is in use: is another run of this benchmark, or a product, still running?`,
    );
  }
}

/** Replaces (or appends) the section under `heading` in the markdown file `out`, formatted. */
export async function writeSection(out: string, heading: string, text: string): Promise<void> {
  const doc = existsSync(out) ? readFileSync(out, 'utf8') : '# Benchmarks\n';
  const options = (await resolveConfig(out)) ?? {};
  writeFileSync(
    out,
    await format(withSection(doc, heading, text), { ...options, parser: 'markdown' }),
  );
}

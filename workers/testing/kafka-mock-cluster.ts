/**
 * Test harness: librdkafka's mock cluster (a real Kafka protocol peer) as a child process.
 * The C program beside this file is compiled on first use against the system librdkafka
 * (Debian package librdkafka-dev; `npm test` installs it where it can).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('./kafka-mock-cluster.c', import.meta.url));
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/pulse', import.meta.url));

export interface MockCluster {
  /** Comma-separated bootstrap servers. */
  bootstrap: string;
  brokers: string[];
  /** Takes broker `id` (1-based) down or brings it back. */
  setBrokerDown(id: number): Promise<void>;
  setBrokerUp(id: number): Promise<void>;
  /** Delays broker `id`'s responses by `ms` (a network and disk between worker and broker). */
  setBrokerRtt(id: number, ms: number): Promise<void>;
  createTopic(name: string, partitions: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Compiles the harness (once per source version) and returns the binary's path. Test files run
 * in parallel may build it at the same time: each compiles to a file of its own and renames it
 * into place (atomic), so none executes a binary another is still writing (ETXTBSY).
 */
export function buildMockCluster(): string {
  const source = readFileSync(SOURCE);
  const binary = join(
    CACHE,
    `mock-cluster-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`,
  );
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${binary}.${randomUUID()}`;
  const result = spawnSync('cc', ['-O1', '-o', partial, SOURCE, '-lrdkafka'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(
      'Could not build the Kafka mock cluster: it needs a C compiler and librdkafka ' +
        '(Debian: apt-get install gcc librdkafka-dev). ' +
        (result.error?.message ?? result.stderr),
    );
  }
  renameSync(partial, binary);
  return binary;
}

export async function startMockCluster(options: {
  brokers?: number;
  topic: string;
  partitions: number;
}): Promise<MockCluster> {
  const brokers = options.brokers ?? 3;
  const child: ChildProcessWithoutNullStreams = spawn(buildMockCluster(), [
    String(brokers),
    options.topic,
    String(options.partitions),
  ]);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const first = await lines.next();
  if (first.done || !first.value.includes(':')) {
    throw new Error(`mock cluster did not start: ${stderr}`);
  }
  const bootstrap = first.value.trim();

  // One command at a time: each answers with one line.
  let queue = Promise.resolve();
  const command = (text: string) => {
    const run = queue.then(async () => {
      child.stdin.write(`${text}\n`);
      const reply = await lines.next();
      if (reply.done || reply.value !== 'ok') {
        throw new Error(`mock cluster: "${text}" → ${reply.done ? 'exited' : reply.value}`);
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    bootstrap,
    brokers: bootstrap.split(','),
    setBrokerDown: (id) => command(`down ${id}`),
    setBrokerUp: (id) => command(`up ${id}`),
    setBrokerRtt: (id, ms) => command(`rtt ${id} ${Math.round(ms)}`),
    createTopic: (name, partitions) => command(`topic ${name} ${partitions}`),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end('quit\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

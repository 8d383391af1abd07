/** A stream worker process (`node --import tsx workers/stream.ts`) for the Kafka benchmark. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnvironment } from '@/env';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Worker {
  child: ChildProcess;
  exited: Promise<void>;
  stderr: () => string;
  /** Times the source paused consumption (logged at info). */
  pauses: () => number;
}

/** Starts `workers/stream.ts` as a child process with `env` added to this one's. */
export function startWorker(
  env: Record<string, string>,
  nodeArgs: string[] = [],
  log: (line: string) => void,
): Worker {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'workers/stream.ts'], {
    cwd: ROOT,
    // The child needs the parent's environment (PATH, HOME, tsx's cache); not configuration.
    env: childEnvironment(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let pauses = 0;
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr = (stderr + text).slice(-20_000);
    for (const line of text.split('\n')) {
      if (line.includes('"msg":"paused"')) pauses++;
      if (line.trim() && !/"level":[123]0,/.test(line)) log(`  worker: ${line.slice(0, 300)}`);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, stderr: () => stderr, pauses: () => pauses };
}

/** SIGTERM, then SIGKILL after 15 s; resolves once it exited. */
export async function stopWorker(worker: Worker | null): Promise<void> {
  if (!worker) return;
  const { child } = worker;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await worker.exited;
  clearTimeout(timer);
}

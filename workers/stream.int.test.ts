/**
 * The stream worker as the supervisor runs it (an IPC channel), when the supervisor dies while
 * the worker is still starting: here its database accepts connections and never answers (as a
 * server that went down with the supervisor can leave it), so the worker is stuck at its first
 * query. Found as a worker left running for an hour after its supervisor was killed.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';

let server: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('exits when its supervisor is gone while it waits on the database at start-up', async () => {
  const { port } = server.address() as AddressInfo;
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/stream.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: `postgres://pulse@127.0.0.1:${port}/pulse`,
      LOG_LEVEL: 'info',
    },
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    // Connected to the silent database: the worker is now waiting on its first query.
    await expect.poll(() => sockets.length, { timeout: 20_000 }).toBeGreaterThan(0);
    child.disconnect();
    const code = await Promise.race([
      exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    expect(code, output).toBe(1);
    expect(output).toContain('the supervisor is gone while starting');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}, 40_000);

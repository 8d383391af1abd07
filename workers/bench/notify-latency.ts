/**
 * `npm run bench:notify`: how long from an anomaly opening to its incident's notification
 * arriving at a receiver, through the whole product as a user runs it (`workers/start.ts`:
 * embedded PostgreSQL, the simulator with frequent injected incidents, fast windows, the
 * detector, the dispatcher) and a real HTTP receiver in this process that checks every
 * signature.
 *
 * Two figures per `open` notification: from the incident opening (the detector's transaction
 * that opened its first anomaly; `incident.openedAt` in the payload) to arrival — the outbox and
 * dispatcher — and from the end of the first anomalous window to arrival — detection included.
 * The group wait is set to 0 for the run so the pipeline's own latency shows; with the default
 * (30 s) every figure is 30 s more, by design. Reports p50/p99 over every incident of the run,
 * the machine's load at start, and writes the "Notification latency" section of
 * docs/benchmarks.md.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { childEnvironment } from '@/env';
import { IDEMPOTENCY_HEADER, verifySignature } from '@/lib/alerts/notify/signature';
import { WebhookPayload } from '@/lib/alerts/notify/webhook';
import { median } from '@/workers/bench/hot-path';
import {
  ensureBuild,
  freeSoakPort,
  ROOT,
  startProduct,
  stopProduct,
  waitHealthy,
} from '@/workers/bench/soak-product';
import { percentile } from '@/lib/observability/board-latency';

const SECRET = 'bench-notify-secret-0123456789';
const WINDOW = '5s';
const WINDOW_MS = 5_000;
const HEADING = '## Notification latency';

interface Arrival {
  at: number;
  key: string;
  payload: WebhookPayload;
  signed: boolean;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A webhook receiver on an ephemeral port that keeps every valid arrival. */
async function receiver(arrivals: Arrival[], problems: string[]) {
  const server = createServer((req, res) => {
    const at = Date.now();
    void readBody(req).then((body) => {
      const signed = verifySignature(body, SECRET, req.headers['x-pulse-signature'] as string);
      const parsed = WebhookPayload.safeParse(JSON.parse(body.toString('utf8')));
      if (!signed) problems.push('a message with a bad signature');
      if (!parsed.success) problems.push(`a message outside the schema: ${parsed.error.message}`);
      else {
        arrivals.push({
          at,
          key: String(req.headers[IDEMPOTENCY_HEADER.toLowerCase()] ?? ''),
          payload: parsed.data,
          signed,
        });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

const fmt = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '—');

async function main(): Promise<void> {
  const load = loadavg();
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      out: { type: 'string', default: 'docs/benchmarks.md' },
      build: { type: 'boolean', default: false },
    },
  });
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) throw new Error('--minutes: a positive number');
  await ensureBuild(values.build!);

  const arrivals: Arrival[] = [];
  const problems: string[] = [];
  const hook = await receiver(arrivals, problems);
  const dataDir = join(ROOT, '.data', 'bench-notify');
  rmSync(dataDir, { recursive: true, force: true });
  const port = await freeSoakPort();
  const env = childEnvironment({
    DATABASE_URL: undefined,
    KAFKA_BROKERS: undefined,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    PULSE_PG_PORT: String(await freeSoakPort()),
    PULSE_DATA_DIR: dataDir,
    PULSE_ADMIN_PASSWORD: 'bench-notify-admin',
    PULSE_WINDOW: WINDOW,
    PULSE_OUT_OF_ORDER: '500ms',
    PULSE_FLUSH_INTERVAL: '250ms',
    PULSE_ALLOWED_LATENESS: '5s',
    PULSE_SIM_BACKFILL: '20m',
    PULSE_SIM_FIRST_INCIDENT: '30s',
    PULSE_SIM_INCIDENT_DURATION: '20s',
    PULSE_SIM_INCIDENT_GAP: '20s',
    PULSE_NOTIFY_GROUP_WAIT: '0s',
    PULSE_WEBHOOK_URL: hook.url,
    PULSE_WEBHOOK_SECRET: SECRET,
  });
  const logFile = join(ROOT, '.data', 'bench-notify.log');
  console.log(
    `notify bench: ${minutes} min of the product with ${WINDOW} windows, receiver ${hook.url}`,
  );
  const product = startProduct(env, logFile);
  let interrupted = false;
  process.once('SIGINT', () => (interrupted = true));
  try {
    await waitHealthy(`http://127.0.0.1:${port}`, product, () => interrupted);
    const started = Date.now();
    while (!interrupted && Date.now() - started < minutes * 60_000) {
      await new Promise((r) => setTimeout(r, 5_000));
      const opens = arrivals.filter((a) => a.payload.kind === 'open').length;
      console.log(
        `  ${Math.round((Date.now() - started) / 1000)} s: ${arrivals.length} messages, ${opens} incidents opened`,
      );
    }
  } finally {
    await stopProduct(product);
    hook.server.close();
  }

  const opens = arrivals.filter((a) => a.payload.kind === 'open');
  const fromOpen = opens.map((a) => a.at - Date.parse(a.payload.incident.openedAt));
  const fromWindow = opens.map((a) => {
    const firstWindow = Math.min(...a.payload.anomalies.map((x) => Date.parse(x.windowStart)));
    return a.at - (firstWindow + WINDOW_MS);
  });
  const keys = new Set(arrivals.map((a) => a.key));
  const kinds = arrivals.reduce<Record<string, number>>((m, a) => {
    m[a.payload.kind] = (m[a.payload.kind] ?? 0) + 1;
    return m;
  }, {});
  const section = [
    HEADING,
    '',
    `Measured by \`npm run bench:notify -- --minutes ${minutes}\` on ${new Date().toISOString().slice(0, 10)}: ` +
      `the product as \`npm start\` runs it (embedded PostgreSQL, simulator, ${WINDOW} windows, an ` +
      `incident injected every 40 s), a webhook receiver in the benchmark process, group wait 0 ` +
      `(the default 30 s adds exactly 30 s). Machine: ${cpus().length} cores, load ` +
      `${load.map((l) => l.toFixed(2)).join(' / ')} at start.`,
    '',
    '| from → to the receiver | incidents | p50 | p99 | max |',
    '| --- | --: | --: | --: | --: |',
    `| incident opened (detector's transaction) | ${fromOpen.length} | ${fmt(percentile(fromOpen, 50))} | ${fmt(percentile(fromOpen, 99))} | ${fmt(Math.max(...fromOpen))} |`,
    `| end of the first anomalous window (detection included) | ${fromWindow.length} | ${fmt(percentile(fromWindow, 50))} | ${fmt(percentile(fromWindow, 99))} | ${fmt(Math.max(...fromWindow))} |`,
    '',
    `Messages received: ${arrivals.length} (${Object.entries(kinds)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}), ${keys.size} distinct idempotency keys, ` +
      `${problems.length === 0 ? 'every signature valid' : `${problems.length} problems: ${problems.slice(0, 3).join('; ')}`}. ` +
      `Median ${fmt(median(fromOpen))} from opening.`,
  ].join('\n');
  console.log(`\n${section}\n`);
  const doc = existsSync(values.out!) ? readFileSync(values.out!, 'utf8') : '# Benchmarks\n';
  const start = doc.indexOf(HEADING);
  let updated: string;
  if (start < 0) updated = `${doc.trimEnd()}\n\n${section}\n`;
  else {
    const next = doc.slice(start + HEADING.length).search(/^## /m);
    const end = next < 0 ? doc.length : start + HEADING.length + next;
    updated = `${doc.slice(0, start)}${section}\n\n${doc.slice(end)}`;
  }
  const options = (await resolveConfig(values.out!)) ?? {};
  writeFileSync(values.out!, await format(updated, { ...options, parser: 'markdown' }));
  console.log(`→ ${values.out}`);
  if (problems.length > 0 || opens.length === 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

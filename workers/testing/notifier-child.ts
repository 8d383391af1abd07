/**
 * Test harness: a notifier in a process of its own, so a test can SIGKILL it mid-delivery and
 * start another (workers/services/notifier/restart.int.test.ts).
 *
 *   node --import tsx workers/testing/notifier-child.ts <database-url> '<options as JSON>'
 *
 * The options are the notifier's numeric ones (timeoutMs, leaseMarginMs, pollMs, policy, …).
 * It prints `leader` on a line of its own once it holds the dispatcher's lock, and stops
 * cleanly on SIGTERM.
 */
import { createLogger } from '@/lib/observability/log';
import { createDb } from '@/db/client';
import { startNotifier, type NotifierOptions } from '@/workers/services/notifier/notifier';

type ChildOptions = Omit<NotifierOptions, 'db' | 'sql' | 'log' | 'telemetry' | 'now' | 'random'>;

const [url, json] = process.argv.slice(2);
if (!url) throw new Error('usage: notifier-child.ts <database-url> [options JSON]');
const options = JSON.parse(json ?? '{}') as Partial<ChildOptions>;

const handle = createDb(url, { max: 3, appName: 'pulse-notifier-child' });
const notifier = startNotifier({
  ...options,
  db: handle.db,
  sql: handle.sql,
  log: createLogger('notifier-child', 'error'),
  incidents: options.incidents ?? { publicUrl: 'http://pulse.test', baseWindowMs: 60_000 },
});

const announce = setInterval(() => {
  if (!notifier.isLeader()) return;
  process.stdout.write('leader\n');
  clearInterval(announce);
}, 20);

process.on('SIGTERM', () => {
  clearInterval(announce);
  void notifier
    .stop()
    .then(() => handle.close())
    .then(() => process.exit(0));
});

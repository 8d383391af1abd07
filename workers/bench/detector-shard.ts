/**
 * One more detector worker for `npm run bench:detector -- --shards N` (./detector-scale.ts): a
 * process of its own, as a second worker is in a deployment, polling every 20 ms and holding
 * its share of the shards. `node --import tsx workers/bench/detector-shard.ts <database url>
 * <shards>`; stops on SIGTERM.
 */
import { createDb } from '@/db/client';
import { startDetector } from '@/workers/services/detector';
import { createLogger } from '@/lib/observability/log';

const [url, shards] = process.argv.slice(2);
if (!url || !shards) {
  console.error('usage: detector-shard.ts <database url> <shards>');
  process.exit(2);
}
const handle = createDb(url, { max: 4, appName: 'bench-detector-shard' });
const detector = startDetector({
  handle,
  log: createLogger('bench-detector-shard', 'warn'),
  windowMs: 60_000,
  shards: Number(shards),
  pollMs: 20,
  incidents: { publicUrl: 'http://pulse.test' },
});
process.on('SIGTERM', () => {
  void detector
    .stop()
    .then(() => handle.close())
    .then(() => process.exit(0));
});

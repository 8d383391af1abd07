/**
 * `npm run replay -- events.jsonl|events.csv [--speed N | --fast] [...]`: replays a recorded
 * file through the pipeline into PostgreSQL (workers/services/replay.ts), waits for the
 * detector to score it, and prints a JSON summary. Exit status: see REPLAY_USAGE.
 */
import { config } from '@/env';
import { parseReplayArgs, REPLAY_USAGE, type ReplayArgs } from '@/lib/cli/replay-args';
import { UsageError } from '@/lib/cli/usage';
import { createLogger } from '@/lib/observability/log';
import { createDb } from '@/db/client';
import { prepareDatabase } from '@/workers/services/bootstrap';
import { exitCode, ReplayInputError, replayFile } from '@/workers/services/replay';

async function main(): Promise<number> {
  let args: ReplayArgs;
  try {
    args = parseReplayArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${REPLAY_USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(REPLAY_USAGE);
    return 0;
  }
  const cfg = config();
  const log = createLogger('replay', cfg.logLevel);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const db = await prepareDatabase(cfg, log);
  if (db.generatedAdminPassword) {
    console.error(`Created the admin account "admin" with password: ${db.generatedAdminPassword}`);
  }
  const handle = createDb(db.url, { max: 4, appName: 'pulse-replay' });
  try {
    const summary = await replayFile(args, { cfg, log, handle, signal: controller.signal });
    await new Promise((done) =>
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`, done),
    );
    return exitCode(summary);
  } catch (error) {
    if (error instanceof ReplayInputError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  } finally {
    await handle.close();
    if (db.embedded) await db.embedded.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

/**
 * `npm run backtest -- FILE [options]`: a recorded file through the same detection engine as the
 * live detector, in memory (workers/services/backtest.ts), NDJSON on stdout and a summary on
 * stderr. No database, no configuration from the environment: everything is a flag
 * (lib/cli/backtest-args.ts).
 */
import { BACKTEST_USAGE, parseBacktestArgs, type BacktestArgs } from '@/lib/cli/backtest-args';
import { UsageError } from '@/lib/cli/usage';
import { BacktestInputError, Output, runBacktest } from '@/workers/services/backtest';

async function main(): Promise<number> {
  let args: BacktestArgs;
  try {
    args = parseBacktestArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${BACKTEST_USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(BACKTEST_USAGE);
    return 0;
  }
  try {
    const summary = await runBacktest(args, new Output());
    console.error(JSON.stringify(summary));
    return 0;
  } catch (error) {
    if (!(error instanceof BacktestInputError)) throw error;
    console.error(`${args.file}: ${error.message}`);
    return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);

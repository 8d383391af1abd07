/**
 * `npm run soak -- [--minutes N] [--rate N] [--sample D] [--build] [--keep]`: runs the whole
 * product under load with incidents and bad input, samples memory, lag, flush p99 and database
 * size, checks the accounting at the end and writes docs/soak.md with a chart
 * (workers/bench/soak.ts). A script, not a test: the 60-minute run at 2,000 events/s is the
 * report. Ctrl-C ends the run early and still reports; a second Ctrl-C stops at once.
 */
import { childEnvironment } from '@/env';
import { parseSoakArgs, SOAK_USAGE } from '@/lib/cli/soak-args';
import { UsageError } from '@/lib/cli/usage';
import { runSoak, SoakSetupError } from '@/workers/bench/soak';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let args;
  try {
    args = parseSoakArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${SOAK_USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(SOAK_USAGE);
    return;
  }
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(
      '\nsoak: interrupted; stopping the product and writing the report (Ctrl-C again to quit now)',
    );
  });
  try {
    const ok = await runSoak({
      ...args,
      command: ['npm run soak --', ...argv].join(' ').replace(/ --$/, ''),
      childEnvironment,
      interrupted: () => interrupted,
    });
    process.exit(interrupted ? 130 : ok ? 0 : 1);
  } catch (error) {
    if (error instanceof SoakSetupError) {
      console.error(`soak: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * Command-line flags of `npm run produce`, parsed and validated without side effects so the
 * rules can be tested: every mistake is reported with the flag's name and what it expected.
 */
import { parseFlags, UsageError } from './usage';
import { parseDuration } from '@/lib/config/schema';
import { getScenario } from '@/lib/simulator/scenarios';

export const PRODUCE_USAGE = `Usage: npm run produce -- [options]

Publishes simulated telemetry (JSON values, keyed by a synthetic session id) to the Kafka topic
KAFKA_TOPIC on KAFKA_BROKERS, with the chosen scenarios' incidents scheduled like the built-in
simulator does (first after PULSE_SIM_FIRST_INCIDENT, then every duration + gap).

Options:
  --rate N          events per second (default PULSE_SIM_RATE)
  --scenario NAME   incident to inject; repeat or comma-separate for a rotation
                    (default PULSE_SIM_SCENARIOS; "none" for no incidents)
  --seconds S       stop after S seconds of live traffic (default: until Ctrl-C)
  --backfill D      first publish D of history (e.g. 30m) as fast as Kafka takes it (default 0)
  --seed N          simulator seed (default PULSE_SIM_SEED)
  -h, --help        show this help`;

export interface ProduceArgs {
  help: boolean;
  ratePerSec: number;
  scenarios: string[];
  /** Live seconds to run; null runs until stopped. */
  seconds: number | null;
  backfillMs: number;
  seed: number;
}

export interface ProduceDefaults {
  ratePerSec: number;
  scenarios: readonly string[];
  seed: number;
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag}: expected an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** Parses the flags after `npm run produce --`. Throws UsageError naming the bad flag. */
export function parseProduceArgs(argv: string[], defaults: ProduceDefaults): ProduceArgs {
  const { values } = parseFlags({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      rate: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      seconds: { type: 'string' },
      backfill: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });

  const ratePerSec =
    values.rate === undefined ? defaults.ratePerSec : integer('rate', values.rate, 1, 1_000_000);
  const seed =
    values.seed === undefined ? defaults.seed : integer('seed', values.seed, 0, 2 ** 31 - 1);

  let seconds: number | null = null;
  if (values.seconds !== undefined) {
    const value = Number(values.seconds);
    if (values.seconds.trim() === '' || !Number.isFinite(value) || value <= 0) {
      throw new UsageError(`--seconds: expected a positive number, got "${values.seconds}"`);
    }
    seconds = value;
  }

  let backfillMs = 0;
  if (values.backfill !== undefined) {
    const ms = parseDuration(values.backfill);
    if (ms === null) {
      throw new UsageError(
        `--backfill: expected a duration such as 30m, 2h or 0s, got "${values.backfill}"`,
      );
    }
    if (ms > 7 * 86_400_000) {
      throw new UsageError('--backfill: at most 7d (older events are refused by the workers)');
    }
    backfillMs = ms;
  }

  let scenarios = [...defaults.scenarios];
  if (values.scenario !== undefined) {
    scenarios = values.scenario
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    if (scenarios.length === 1 && scenarios[0] === 'none') scenarios = [];
    else if (scenarios.length === 0) throw new UsageError('--scenario: expected a scenario name');
  }
  for (const name of scenarios) {
    try {
      getScenario(name);
    } catch (error) {
      throw new UsageError(`--scenario: ${(error as Error).message}`);
    }
  }

  return { help: values.help === true, ratePerSec, scenarios, seconds, backfillMs, seed };
}

import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, parseConfig, parseDuration } from './schema';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 's', '1.5m', '-1s', '10 minutes'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeNull(),
  );
});

const DAY = 86_400_000;

describe('parseConfig', () => {
  it('has sane defaults for an empty environment', () => {
    const cfg = parseConfig({});
    expect(cfg).toMatchObject({
      databaseUrl: undefined,
      port: 3000,
      host: '127.0.0.1',
      windowMs: 60_000,
      outOfOrderMs: 2000,
      simulator: { ratePerSec: 1000, seed: 42 },
    });
    expect(cfg.simulator.scenarios.length).toBeGreaterThan(0);
  });

  it('treats an empty DATABASE_URL as unset (embedded PostgreSQL)', () => {
    expect(parseConfig({ DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it('names every bad variable and what it expected', () => {
    let error: unknown;
    try {
      parseConfig({ PORT: 'eighty', PULSE_WINDOW: '1 minute', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^PORT: expected a number/m);
    expect(problems).toMatch(/^PULSE_WINDOW: expected a duration such as 500ms, 10s, 1m/m);
    expect(problems).toMatch(/^DATABASE_URL: expected a postgres:\/\/ or postgresql:\/\/ URL/m);
  });

  it('refuses a short admin password and out-of-range numbers', () => {
    expect(() => parseConfig({ PULSE_ADMIN_PASSWORD: 'short' })).toThrow(
      /PULSE_ADMIN_PASSWORD: expected at least 8 characters/,
    );
    expect(() => parseConfig({ PORT: '70000' })).toThrow(/PORT: expected at most 65535/);
  });

  it('reads the Kafka session timeout and the detector switch', () => {
    expect(parseConfig({}).detector).toBe(true);
    expect(parseConfig({ PULSE_DETECTOR: 'off' }).detector).toBe(false);
    expect(() => parseConfig({ PULSE_DETECTOR: 'no' })).toThrow(
      /PULSE_DETECTOR: expected on or off/,
    );
    expect(parseConfig({}).detectorShards).toBe(1);
    expect(parseConfig({ PULSE_DETECTOR_SHARDS: '4' }).detectorShards).toBe(4);
    expect(() => parseConfig({ PULSE_DETECTOR_SHARDS: '0' })).toThrow(/PULSE_DETECTOR_SHARDS/);
    expect(() => parseConfig({ PULSE_DETECTOR_SHARDS: '65' })).toThrow(/PULSE_DETECTOR_SHARDS/);
    expect(parseConfig({ KAFKA_BROKERS: 'k:9092' }).kafka?.sessionTimeoutMs).toBe(30_000);
    expect(
      parseConfig({ KAFKA_BROKERS: 'k:9092', KAFKA_SESSION_TIMEOUT: '6s' }).kafka?.sessionTimeoutMs,
    ).toBe(6000);
    expect(() => parseConfig({ KAFKA_SESSION_TIMEOUT: '1s' })).toThrow(
      /KAFKA_SESSION_TIMEOUT: expected a duration .* \(at least 3000 ms\)/,
    );
    expect(parseConfig({ KAFKA_BROKERS: 'k:9092' }).kafka?.prefetch).toBe(true);
    expect(parseConfig({ KAFKA_BROKERS: 'k:9092', KAFKA_PREFETCH: 'off' }).kafka?.prefetch).toBe(
      false,
    );
    expect(() => parseConfig({ KAFKA_PREFETCH: 'yes' })).toThrow(
      /KAFKA_PREFETCH: expected on or off/,
    );
  });

  it('keeps history for 90 days, the leaf cube 7, quarantine 14, by default', () => {
    expect(parseConfig({}).retention).toEqual({
      rollupsMs: 90 * DAY,
      leafCubeMs: 7 * DAY,
      pointsMs: 90 * DAY,
      quarantineMs: 14 * DAY,
      workerMetricsMs: 600_000,
    });
    const cfg = parseConfig({
      PULSE_RETAIN_ROLLUPS: '400d',
      PULSE_RETAIN_LEAF_CUBE: '48h',
      PULSE_RETAIN_POINTS: '29d',
      PULSE_RETAIN_QUARANTINE: '1d',
      PULSE_RETAIN_WORKER_METRICS: '1m',
    });
    expect(cfg.retention).toEqual({
      rollupsMs: 400 * DAY,
      leafCubeMs: 2 * DAY,
      pointsMs: 29 * DAY,
      quarantineMs: DAY,
      workerMetricsMs: 60_000,
    });
  });

  it('refuses a retention shorter than what detection reads back, saying why', () => {
    let error: unknown;
    try {
      parseConfig({
        PULSE_RETAIN_POINTS: '7d',
        PULSE_RETAIN_ROLLUPS: '28d',
        PULSE_RETAIN_LEAF_CUBE: '1d',
        PULSE_RETAIN_QUARANTINE: '12h',
        PULSE_RETAIN_WORKER_METRICS: '30s',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(
      /^PULSE_RETAIN_POINTS: expected at least 29d \(the weekly seasonal baseline reads the same window 4 weeks back, plus a day\), got 7d$/m,
    );
    expect(problems).toMatch(/^PULSE_RETAIN_ROLLUPS: expected at least 29d \(.*\), got 28d$/m);
    expect(problems).toMatch(/^PULSE_RETAIN_LEAF_CUBE: expected at least 2d \(.*24 hours.*\)/m);
    expect(problems).toMatch(/^PULSE_RETAIN_QUARANTINE: expected at least 1d/m);
    expect(problems).toMatch(/^PULSE_RETAIN_WORKER_METRICS: expected at least 1m/m);
    expect(() => parseConfig({ PULSE_RETAIN_ROLLUPS: '36501d' })).toThrow(
      /PULSE_RETAIN_ROLLUPS: expected at most 36500d \(100 years\), got 36501d/,
    );
    expect(parseConfig({ PULSE_RETAIN_ROLLUPS: '36500d' }).retention.rollupsMs).toBe(36_500 * DAY);
    // A malformed one says what a duration looks like, once.
    expect(() => parseConfig({ PULSE_RETAIN_POINTS: 'forever' })).toThrow(
      /^Invalid configuration:\n {2}- PULSE_RETAIN_POINTS: expected a duration such as 500ms, 10s, 1m, 2h \(at least 1 ms\), got "forever"$/,
    );
  });

  it('splits the scenario list', () => {
    expect(parseConfig({ PULSE_SIM_SCENARIOS: ' a, b ,,c' }).simulator.scenarios).toEqual([
      'a',
      'b',
      'c',
    ]);
  });
});

describe('CONFIG_VARIABLES', () => {
  it('lists every variable the schema reads, all documented in the README', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(15);
    for (const name of CONFIG_VARIABLES) expect(readme).toContain(`\`${name}\``);
  });
});

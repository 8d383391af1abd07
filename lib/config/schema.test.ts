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
    expect(parseConfig({ KAFKA_BROKERS: 'k:9092' }).kafka?.sessionTimeoutMs).toBe(30_000);
    expect(
      parseConfig({ KAFKA_BROKERS: 'k:9092', KAFKA_SESSION_TIMEOUT: '6s' }).kafka?.sessionTimeoutMs,
    ).toBe(6000);
    expect(() => parseConfig({ KAFKA_SESSION_TIMEOUT: '1s' })).toThrow(
      /KAFKA_SESSION_TIMEOUT: expected a duration .* \(at least 3000 ms\)/,
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

/**
 * docker-compose.yml cannot run here (no Docker engine), so check what can be checked: it
 * parses, has the services the README promises, the worker can scale, every Pulse variable it
 * sets is one the config schema reads and passes validation, and start-up order is health-gated.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, parseConfig } from '@/lib/config/schema';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  container_name?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(new URL('./docker-compose.yml', import.meta.url), 'utf8'), {
  merge: true,
}) as { services: Record<string, Service> };
const services = compose.services;
const pulseServices = ['migrate', 'web', 'worker', 'producer'];

describe('docker-compose.yml', () => {
  it('has Kafka (KRaft), PostgreSQL, migrate, web, a worker and the load generator', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['kafka', 'migrate', 'postgres', 'producer', 'web', 'worker'].sort(),
    );
    expect(services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('lets the worker scale: no fixed container name or host port', () => {
    expect(services.worker?.container_name).toBeUndefined();
    expect(services.worker?.ports).toBeUndefined();
  });

  it.each(pulseServices)('%s sets only variables Pulse reads, with valid values', (name) => {
    const env = services[name]?.environment ?? {};
    for (const key of Object.keys(env)) expect(CONFIG_VARIABLES).toContain(key);
    const asStrings = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
    const cfg = parseConfig(asStrings);
    expect(cfg.databaseUrl).toMatch(/@postgres:5432\//);
    expect(cfg.kafka?.brokers).toEqual(['kafka:9092']);
  });

  it.each(pulseServices)('%s runs a file that exists', (name) => {
    const command = services[name]?.command ?? [];
    const file = command.find((part) => part.endsWith('.ts'));
    expect(file).toBeDefined();
    expect(() => readFileSync(new URL(`./${file}`, import.meta.url))).not.toThrow();
  });

  it('starts Pulse only after its database and broker are healthy and migrated', () => {
    expect(services.kafka?.healthcheck).toBeDefined();
    expect(services.postgres?.healthcheck).toBeDefined();
    expect(services.web?.healthcheck).toBeDefined();
    expect(services.migrate?.depends_on?.postgres?.condition).toBe('service_healthy');
    for (const name of ['web', 'worker', 'producer']) {
      expect(services[name]?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
      expect(services[name]?.depends_on?.kafka?.condition).toBe('service_healthy');
    }
  });
});

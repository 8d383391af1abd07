/**
 * A kafkajs client for Pulse's processes: short connection timeouts, and kafkajs' own log lines
 * through the process's pino logger (component "kafkajs") instead of its console logger; and the
 * small waits the Kafka source needs around it.
 */
import {
  Kafka,
  logLevel as kafkaLogLevel,
  type Consumer,
  type LogEntry,
  type RetryOptions,
} from 'kafkajs';
import type { Logger } from '@/lib/observability/log';

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [kafkaLogLevel.ERROR]: 'error',
  [kafkaLogLevel.WARN]: 'warn',
  [kafkaLogLevel.INFO]: 'info',
  [kafkaLogLevel.DEBUG]: 'debug',
};

export function createKafka(options: {
  clientId: string;
  brokers: string[];
  log: Logger;
  retry?: RetryOptions;
}): Kafka {
  const kafkaLog = options.log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 3000,
    ...(options.retry ? { retry: options.retry } : {}),
    logLevel: options.log.isLevelEnabled('debug') ? kafkaLogLevel.DEBUG : kafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...details } = log;
        kafkaLog[PINO_LEVEL[level] ?? 'info']({ namespace, ...details }, message);
      },
  });
}

/** Pauses the whole topic, if the consumer runs. */
export function tryPause(consumer: Consumer, topic: string): void {
  try {
    consumer.pause([{ topic }]);
  } catch {
    // not running
  }
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves after `ms`, or at once when `signal` aborts. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** Rejects when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Publishing simulated telemetry to Kafka (`npm run produce`): JSON values keyed by a synthetic
 * session id so the load spreads over partitions.
 */
import { Partitioners, type Producer } from 'kafkajs';
import { backoffMs, messageKey } from '@/lib/ingest/kafka';
import type { Logger } from '@/lib/observability/log';
import type { PulseEvent } from '@/lib/types';
import { createKafka } from './kafka-client';

const MAX_MESSAGES_PER_SEND = 5_000;

/** A connected producer for `brokers`. */
export async function connectProducer(options: {
  clientId: string;
  brokers: string[];
  log: Logger;
}): Promise<Producer> {
  const kafka = createKafka(options);
  // Not idempotent: kafkajs marks that mode experimental and librdkafka's mock cluster (the
  // tests' broker) cannot serve it. A send retried after a lost acknowledgement can therefore
  // duplicate events; the workers count every record they are given exactly once.
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}

/** Sends events in bounded batches; a failed send is retried (kafkajs retries first). */
export class Publisher {
  sent = 0;
  private seq = 0;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly log: Logger,
    private readonly stopped: () => boolean,
  ) {}

  async publish(events: readonly PulseEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_MESSAGES_PER_SEND) {
      const messages = events.slice(i, i + MAX_MESSAGES_PER_SEND).map((event) => ({
        key: messageKey(this.seq++),
        value: JSON.stringify(event),
      }));
      for (let failures = 0; ; failures++) {
        try {
          await this.producer.send({ topic: this.topic, acks: -1, messages });
          this.sent += messages.length;
          break;
        } catch (error) {
          if (this.stopped()) return;
          const waitMs = backoffMs(failures + 1, 500, 10_000);
          this.log.warn({ err: error, retryInMs: waitMs }, 'send failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, waitMs));
        }
      }
    }
  }
}

import type { ConfirmChannel } from 'amqplib';
import { createAmqpLink, EXCHANGE_OPTIONS, HEARTBEAT_ROUTING_KEY, type AmqpLink } from '../shared/amqp.js';
import type { Logger } from '../shared/logger.js';

/** Where an agent's heartbeats go: the broker in production; the demo may hand them to a server in process. */
export interface Publisher {
  /** Publishes one JSON message; false when the broker is away (the caller just tries next interval). */
  publish(message: Record<string, unknown>, options?: { expirationMs?: number }): Promise<boolean>;
  /** Resolves once messages can go out (the broker is connected), or rejects after `timeoutMs`. */
  waitReady(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The AMQP publisher, whose link the agent's entry point also waits on. */
export interface AmqpPublisher extends Publisher {
  link: AmqpLink;
}

/** Publishes heartbeats to the topic exchange, declared exactly as the original server declares it. */
export function createPublisher(options: { url: string; exchange: string; logger: Logger; socketOptions?: Record<string, unknown> }): AmqpPublisher {
  const link = createAmqpLink({
    url: options.url,
    logger: options.logger,
    confirm: true,
    ...(options.socketOptions ? { socketOptions: options.socketOptions } : {}),
    setup: async (channel) => {
      await channel.assertExchange(options.exchange, 'topic', EXCHANGE_OPTIONS);
    },
  });
  return {
    link,
    waitReady: (timeoutMs) => link.waitConnected(timeoutMs),
    async publish(message, publishOptions = {}) {
      const channel = link.channel() as ConfirmChannel | null;
      if (!channel) return false;
      try {
        channel.publish(options.exchange, HEARTBEAT_ROUTING_KEY, Buffer.from(JSON.stringify(message)), {
          contentType: 'application/json',
          ...(publishOptions.expirationMs ? { expiration: String(publishOptions.expirationMs) } : {}),
        });
        await channel.waitForConfirms();
        return true;
      } catch (error) {
        options.logger.warn({ err: (error as Error).message }, 'publish failed');
        return false;
      }
    },
    close: () => link.close(),
  };
}

import type { ConsumeMessage } from 'amqplib';
import { createAckBatcher, type AckBatcher } from './ack-batcher.js';
import { createAmqpLink, EXCHANGE_OPTIONS, type AmqpLink } from '../../shared/amqp.js';
import type { Logger } from '../../shared/logger.js';
import type { Ingest } from './ingest.js';
import type { Metrics } from '../metrics.js';

export interface ConsumerOptions {
  url: string;
  exchange: string;
  /** Empty: a server-named, exclusive queue of this process (each replica sees every heartbeat). */
  queue: string;
  /** Binding key; `#` takes every routing key, as agents publish on `info`. */
  bindingKey: string;
  prefetch: number;
  socketOptions?: Record<string, unknown>;
}

/** Consumes heartbeats from the exchange into `ingest`; reconnects by itself (see createAmqpLink). */
export function createHeartbeatConsumer(deps: { options: ConsumerOptions; ingest: Ingest; logger: Logger; metrics: Metrics }): AmqpLink {
  const { options, ingest, metrics } = deps;
  const log = deps.logger.child({ component: 'consumer' });
  // The batcher of the current channel (a new channel numbers its deliveries from 1 again).
  let acks: AckBatcher | null = null;
  const link = createAmqpLink({
    url: options.url,
    logger: log,
    ...(options.socketOptions ? { socketOptions: options.socketOptions } : {}),
    onStateChange: (state) => metrics.amqpConnected.set(state === 'connected' ? 1 : 0),
    async setup(channel) {
      await channel.assertExchange(options.exchange, 'topic', EXCHANGE_OPTIONS);
      const named = options.queue !== '';
      const q = await channel.assertQueue(options.queue, named ? { durable: true } : { exclusive: true, autoDelete: true, durable: false });
      await channel.bindQueue(q.queue, options.exchange, options.bindingKey);
      await channel.prefetch(options.prefetch);
      const batcher = createAckBatcher({
        ack: (msg, allUpTo) => {
          try {
            channel.ack(msg, allUpTo);
          } catch {
            // Channel gone mid-flight: the broker redelivers to whoever consumes next.
          }
        },
      });
      acks = batcher;
      await channel.consume(q.queue, (msg: ConsumeMessage | null) => {
        if (!msg) return;
        // Ack after handling (in batches, see createAckBatcher); a bad message is acked too (logged and
        // counted): redelivering it would not fix it.
        const handled = batcher.track(msg);
        void ingest.handle(msg.content).finally(handled);
      });
      log.info({ exchange: options.exchange, queue: q.queue, bindingKey: options.bindingKey }, 'consuming heartbeats');
    },
  });
  return {
    ...link,
    async close() {
      // What was handled is acked before the channel closes, so a shared queue does not redeliver it.
      acks?.flush();
      await link.close();
    },
  };
}

import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { EXCHANGE_OPTIONS, HEARTBEAT_ROUTING_KEY } from '../../shared/amqp.js';
import { AMQP_URL, rabbitAvailable, uniqueName } from '../support/services.js';
import { originalHeartbeat, startTestServer, waitFor } from '../support/server.js';

const rabbit = await rabbitAvailable();

describe.runIf(rabbit)('heartbeat consumer acks', () => {
  it('acks every message it handled, bad ones too, so a shared queue holds nothing after the server stops', async () => {
    const queue = uniqueName('shoal-test-acks');
    const server = await startTestServer({ flags: { queue } });
    const conn = await amqp.connect(AMQP_URL);
    try {
      const channel = await conn.createConfirmChannel();
      await channel.assertExchange(server.config.exchange, 'topic', EXCHANGE_OPTIONS);
      const good = Array.from({ length: 300 }, (_, i) => originalHeartbeat({ uuid: `acks${i}`, hostname: `acks-${i}.test` }));
      for (const [i, hb] of good.entries()) {
        channel.publish(server.config.exchange, HEARTBEAT_ROUTING_KEY, Buffer.from(JSON.stringify(hb)));
        // Bad messages in between: acked as well (redelivering them would not fix them).
        if (i % 50 === 0) channel.publish(server.config.exchange, HEARTBEAT_ROUTING_KEY, Buffer.from('{not json'));
      }
      await channel.waitForConfirms();
      await waitFor(() => server.registry.size() === good.length, { what: 'every good heartbeat in the registry' });
      await server.stop();
      // Unacked messages would be back in the queue (ready) once the consumer's channel closed.
      const check = await channel.checkQueue(queue);
      expect(check.messageCount).toBe(0);
      expect(check.consumerCount).toBe(0);
      await channel.deleteQueue(queue);
    } finally {
      await conn.close();
    }
  });
});

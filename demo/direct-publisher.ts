import type { Publisher } from '../agent/publisher.js';
import type { Ingest } from '../server/ingest/ingest.js';

/**
 * A publisher for when no broker answers: it hands each message, serialised as it would cross the wire,
 * to the server's ingest, so the heartbeat is parsed and applied exactly as a consumed one would be.
 * Only the broker hop is skipped.
 */
export function createDirectPublisher(ingest: Ingest): Publisher {
  let closed = false;
  return {
    async publish(message) {
      if (closed) return false;
      const result = await ingest.handle(Buffer.from(JSON.stringify(message)));
      return result.ok;
    },
    // Nothing to connect to: the registry is in this process.
    waitReady: async () => undefined,
    async close() {
      closed = true;
    },
  };
}

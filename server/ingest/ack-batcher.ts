import type { Message } from 'amqplib';

export interface AckBatcher {
  /** Registers a delivery (in delivery order); call the returned function once the message is handled. */
  track(msg: Message): () => void;
  /** Sends the pending ack now (before closing the channel). */
  flush(): void;
}

/**
 * Acks a channel's deliveries several at a time: `ack(msg, true)` for the newest message below which
 * every delivery is handled, once per turn of the event loop (or every `maxBatch` messages). Acking each
 * message on its own cost one AMQP frame and one socket write per heartbeat, the largest single cost of
 * ingest after the registry's own. At-least-once is kept: a message is acked only after it, and every
 * message delivered before it, was handled (bad ones too: redelivering them would not fix them); what was
 * not acked when the channel goes is redelivered by the broker.
 */
export function createAckBatcher(options: {
  ack: (msg: Message, allUpTo: boolean) => void;
  maxBatch?: number;
  /** When to send the ack of the handled messages (default: after the current I/O callbacks, setImmediate). */
  schedule?: (flush: () => void) => void;
}): AckBatcher {
  const maxBatch = options.maxBatch ?? 100;
  const schedule = options.schedule ?? ((flush) => void setImmediate(flush));
  // Deliveries not acked yet, oldest first; `head` skips the ones already moved past.
  let queue: { msg: Message; done: boolean }[] = [];
  let head = 0;
  let pending: Message | null = null;
  let pendingCount = 0;
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    if (!pending) return;
    const msg = pending;
    pending = null;
    pendingCount = 0;
    options.ack(msg, true);
  };

  const advance = () => {
    while (head < queue.length && (queue[head] as { done: boolean }).done) {
      pending = (queue[head] as { msg: Message }).msg;
      pendingCount += 1;
      head += 1;
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    if (!pending) return;
    if (pendingCount >= maxBatch) flush();
    else if (!scheduled) {
      scheduled = true;
      schedule(flush);
    }
  };

  return {
    track(msg) {
      const item = { msg, done: false };
      queue.push(item);
      return () => {
        if (item.done) return;
        item.done = true;
        advance();
      };
    },
    flush,
  };
}

import type { Message } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { createAckBatcher } from '../../../server/ingest/ack-batcher.js';

const delivery = (tag: number) => ({ fields: { deliveryTag: tag }, content: Buffer.from(''), properties: {} }) as unknown as Message;

/** A batcher whose scheduled flushes run when the test says (the event loop turn, made explicit). */
function harness(maxBatch?: number) {
  const acks: { tag: number; allUpTo: boolean }[] = [];
  let due: (() => void) | null = null;
  const batcher = createAckBatcher({
    ack: (msg, allUpTo) => acks.push({ tag: msg.fields.deliveryTag, allUpTo }),
    schedule: (flush) => {
      due = flush;
    },
    ...(maxBatch ? { maxBatch } : {}),
  });
  const turn = () => {
    const f = due;
    due = null;
    f?.();
  };
  return { acks, batcher, turn };
}

describe('ack batcher', () => {
  it('acks every handled message with one ack per turn, covering all of them', () => {
    const { acks, batcher, turn } = harness();
    const done = [1, 2, 3, 4, 5].map((tag) => batcher.track(delivery(tag)));
    for (const d of done) d();
    expect(acks).toEqual([]);
    turn();
    expect(acks).toEqual([{ tag: 5, allUpTo: true }]);
    turn();
    expect(acks).toHaveLength(1);
  });

  it('never acks past a message still being handled (at-least-once)', () => {
    const { acks, batcher, turn } = harness();
    const [one, two, three, four] = [1, 2, 3, 4].map((tag) => batcher.track(delivery(tag)));
    three?.();
    four?.();
    one?.();
    turn();
    expect(acks).toEqual([{ tag: 1, allUpTo: true }]);
    two?.();
    turn();
    expect(acks).toEqual([
      { tag: 1, allUpTo: true },
      { tag: 4, allUpTo: true },
    ]);
  });

  it('acks at once every maxBatch messages, and flush() sends what is pending', () => {
    const { acks, batcher } = harness(3);
    const done = [1, 2, 3, 4, 5].map((tag) => batcher.track(delivery(tag)));
    for (const d of done) d();
    expect(acks).toEqual([{ tag: 3, allUpTo: true }]);
    batcher.flush();
    expect(acks).toEqual([
      { tag: 3, allUpTo: true },
      { tag: 5, allUpTo: true },
    ]);
  });

  it('keeps order over many deliveries handled in any order', () => {
    const { acks, batcher, turn } = harness(50);
    const done = Array.from({ length: 5000 }, (_, i) => batcher.track(delivery(i + 1)));
    // Handle in a scrambled but complete order.
    const order = done.map((_, i) => (i * 7919) % done.length);
    for (const i of order) done[i]?.();
    turn();
    const tags = acks.map((a) => a.tag);
    expect(tags.at(-1)).toBe(5000);
    expect([...tags].sort((a, b) => a - b)).toEqual(tags);
    expect(acks.every((a) => a.allUpTo)).toBe(true);
  });
});

import { Counter, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';

/** Prometheus metrics for one server; a registry of its own so tests and several servers never collide. */
export function createMetrics() {
  const registry = new PromRegistry();
  return {
    registry,
    heartbeats: new Counter({
      name: 'shoal_heartbeats_total',
      help: 'Heartbeats received, by result (accepted|rejected) and reason',
      labelNames: ['result', 'reason'] as const,
      registers: [registry],
    }),
    cacheEvents: new Counter({
      name: 'shoal_cache_events_total',
      help: 'Caches joining and leaving the registry, by event (joined|expired|goodbye|removed)',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    lookups: new Counter({
      name: 'shoal_lookups_total',
      help: 'Lookups answered, by route and outcome',
      labelNames: ['route', 'outcome'] as const,
      registers: [registry],
    }),
    lookupSeconds: new Histogram({
      name: 'shoal_lookup_duration_seconds',
      help: 'Time to rank caches for one lookup',
      labelNames: ['route'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers: [registry],
    }),
    answerCache: new Counter({
      name: 'shoal_answer_cache_total',
      help: 'Lookups answered from the answer cache (hit) or made afresh (miss); none counted with --answer-cache-ms 0',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    amqpConnected: new Gauge({
      name: 'shoal_amqp_connected',
      help: '1 while the heartbeat consumer is connected to the broker',
      registers: [registry],
    }),
    verifications: new Counter({
      name: 'shoal_verifications_total',
      help: 'Server checks that a cache serves the test URL, by result (pass|fail)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

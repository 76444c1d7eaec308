import { Hono } from 'hono';
import type { ServerDeps } from '../deps.js';
import { geoIpAge } from '../../geo/geoip.js';
import type { RegistryHealth } from '../../registry/types.js';

const MEMORY_HEALTH: RegistryHealth = { status: 'ok', backend: 'memory' };

/** `/healthz`: the process answers. `/readyz`: whether to send it lookups, and how well it can answer them. */
export function createHealthRoutes(deps: ServerDeps): Hono {
  const app = new Hono();
  const registryHealth = () => deps.registry.health?.() ?? MEMORY_HEALTH;
  const amqp = deps.amqpState;
  app.get('/healthz', (c) =>
    c.json({ status: 'ok', caches: deps.registry.snapshot().length, amqp: amqp() }),
  );
  // Degraded (Redis or the broker away) still answers 200: the replica serves its last view, and a load
  // balancer that dropped every replica at once would leave clients with nothing. Only a replica with no
  // view yet (started while Redis was away) is not ready. Nor is a memory registry still filling after a
  // start (`warming`): its few caches are not the truth, and a balancer should ask a replica that has them.
  app.get('/readyz', (c) => {
    const registry = registryHealth();
    const broker = amqp();
    // Without a GeoIP database every caller is "unknown": not worth sending lookups to.
    // Its age too: a database years old (the bundled one) places callers and caches wrong, quietly.
    const age = geoIpAge(deps.geoip.builtAt(), deps.clock.now(), deps.geoipStaleDays);
    const geoip = { loaded: age.built !== null, path: deps.geoip.path(), built: age.built, age_days: age.ageDays, stale: age.stale };
    const status =
      registry.status === 'loading' || !geoip.loaded
        ? 'unready'
        : deps.warming()
          ? 'warming'
          : registry.status === 'degraded' || broker === 'connecting'
            ? 'degraded'
            : 'ok';
    c.header('Cache-Control', 'no-store');
    return c.json({ status, caches: deps.registry.snapshot().length, registry, amqp: broker, geoip }, status === 'unready' || status === 'warming' ? 503 : 200);
  });
  return app;
}

import { describe, expect, it } from 'vitest';
import { parseHeartbeat, toWire } from '../../shared/heartbeat.js';

/** Exactly what the original Python agent publishes (docs/compatibility.md, Wire format). */
const ORIGINAL =
  '{"uuid": "de68abcae62c11f192f902fc00000001", "hostname": "shoal-squid.test", "cache_port": "45435", ' +
  '"cache_type": "squid", "verified": false, "max_load": -112, "upstream": "both", "private_ip": "10.1.2.3", ' +
  '"external_ip": "142.104.1.1", "timestamp": 1795321580.9598508, "load": 0.0}';

describe('parseHeartbeat', () => {
  it('accepts a message exactly as the original agent sends it', () => {
    const result = parseHeartbeat(Buffer.from(ORIGINAL));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.heartbeat).toMatchObject({
      uuid: 'de68abcae62c11f192f902fc00000001',
      hostname: 'shoal-squid.test',
      cachePort: 45435,
      cacheType: 'squid',
      upstream: 'both',
      verified: false,
      maxLoad: null, // negative: unknown NIC speed, the server default applies
      load: 0,
      timestamp: 1795321580.9598508,
      privateIp: '10.1.2.3',
      externalIp: '142.104.1.1',
      access: 'global',
      status: 'ok',
    });
    expect(result.heartbeat.publicIp).toBeUndefined();
  });

  it('takes squid_port from older agents and numbers as strings', () => {
    const result = parseHeartbeat({ uuid: 'a', hostname: 'h', squid_port: 3128, timestamp: '1795321580.5', load: '12.5', max_load: '122000' });
    expect(result.ok && result.heartbeat).toMatchObject({ cachePort: 3128, load: 12.5, maxLoad: 122000, timestamp: 1795321580.5 });
  });

  it('ignores unknown fields, including prototype-pollution keys', () => {
    const body = JSON.parse(ORIGINAL);
    body.something_new = { nested: true };
    const result = parseHeartbeat(`{"__proto__": {"polluted": 1}, ${JSON.stringify(body).slice(1)}`);
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(result.ok && 'something_new' in result.heartbeat).toBe(false);
  });

  it('accepts our extensions', () => {
    const result = parseHeartbeat({
      ...JSON.parse(ORIGINAL),
      site: 'uvic',
      networks: ['142.104.0.0/16', '2001:db8::/32'],
      latitude: 48.46,
      longitude: -123.31,
      access: 'site',
      status: 'failing',
      status_reason: 'test URL returned 503',
    });
    expect(result.ok && result.heartbeat).toMatchObject({ site: 'uvic', latitude: 48.46, access: 'site', status: 'failing' });
  });

  it.each([
    ['not JSON', 'hello', '(body)'],
    ['an array', '[1,2]', '(body)'],
    ['no uuid', { hostname: 'h', cache_port: 1, timestamp: 1 }, 'uuid'],
    ['no port at all', { uuid: 'a', hostname: 'h', timestamp: 1 }, 'cache_port'],
    ['a port out of range', { uuid: 'a', hostname: 'h', cache_port: 70000, timestamp: 1 }, 'cache_port'],
    ['a port that is not a number', { uuid: 'a', hostname: 'h', cache_port: 'http', timestamp: 1 }, 'cache_port'],
    ['a negative load', { uuid: 'a', hostname: 'h', cache_port: 1, timestamp: 1, load: -5 }, 'load'],
    ['an infinite load', { uuid: 'a', hostname: 'h', cache_port: 1, timestamp: 1, load: '1e999' }, 'load'],
    ['a bad address', { uuid: 'a', hostname: 'h', cache_port: 1, timestamp: 1, public_ip: '999.1.1.1' }, 'public_ip'],
    ['a hostname with a comma', { uuid: 'a', hostname: 'a,b', cache_port: 1, timestamp: 1 }, 'hostname'],
    ['an unknown cache type', { uuid: 'a', hostname: 'h', cache_port: 1, timestamp: 1, cache_type: 'nginx' }, 'cache_type'],
    ['latitude without longitude', { uuid: 'a', hostname: 'h', cache_port: 1, timestamp: 1, latitude: 10 }, 'latitude'],
    ['a latitude out of range', { uuid: 'a', hostname: 'h', cache_port: 1, timestamp: 1, latitude: 91, longitude: 0 }, 'latitude'],
    ['a bad network', { uuid: 'a', hostname: 'h', cache_port: 1, timestamp: 1, networks: ['10.0.0.0'] }, 'networks'],
  ])('rejects %s, naming the field', (_what, body, field) => {
    const result = parseHeartbeat(typeof body === 'string' ? body : JSON.stringify(body));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.field).toBe(field);
  });
});

describe('toWire', () => {
  it('round-trips through the parser with the original field names', () => {
    const parsed = parseHeartbeat(ORIGINAL);
    if (!parsed.ok) throw new Error('fixture must parse');
    const wire = toWire(parsed.heartbeat);
    expect(Object.keys(wire)).toEqual(expect.arrayContaining(['uuid', 'hostname', 'cache_port', 'cache_type', 'upstream', 'verified', 'max_load', 'load', 'timestamp']));
    expect(wire).not.toHaveProperty('status');
    const again = parseHeartbeat(JSON.stringify(wire));
    expect(again.ok && again.heartbeat).toEqual(parsed.heartbeat);
  });
});

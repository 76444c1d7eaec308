import { describe, expect, it } from 'vitest';
import { createNetworkMatcher } from '../../../server/geo/networks.js';
import { callerAddress } from '../../../server/http/caller-address.js';
import { startTestServer } from '../../support/server.js';

const none = createNetworkMatcher([]);
const proxies = createNetworkMatcher(['10.0.0.0/8', '2001:db8::/32', '127.0.0.1']);

describe('callerAddress', () => {
  it.each([
    ['ignores X-Forwarded-For when no proxy is trusted', '203.0.113.9', '1.2.3.4', none, '203.0.113.9'],
    ['ignores X-Forwarded-For from a peer that is not a trusted proxy', '203.0.113.9', '1.2.3.4', proxies, '203.0.113.9'],
    ['believes a trusted proxy', '10.0.0.2', '1.2.3.4', proxies, '1.2.3.4'],
    ['takes the right-most hop that is not a trusted proxy (the left ones may be forged)', '10.0.0.2', '6.6.6.6, 1.2.3.4, 10.0.0.7', proxies, '1.2.3.4'],
    ['skips garbage hops', '10.0.0.2', '1.2.3.4, not-an-ip, 999.1.1.1', proxies, '1.2.3.4'],
    ['falls back to the socket when every hop is garbage', '10.0.0.2', 'junk, ,', proxies, '10.0.0.2'],
    ['gives the left-most hop when every hop is a trusted proxy', '10.0.0.2', '10.0.0.5, 10.0.0.6', proxies, '10.0.0.5'],
    ['normalises an IPv4-mapped socket address before checking trust', '::ffff:10.0.0.2', '1.2.3.4', proxies, '1.2.3.4'],
    ['normalises IPv4-mapped hops', '10.0.0.2', '::ffff:1.2.3.4', proxies, '1.2.3.4'],
    ['handles IPv6 proxies and callers', '2001:db8::1', '2001:4860::8888', proxies, '2001:4860::8888'],
    ['uses the socket when there is no header', '10.0.0.2', undefined, proxies, '10.0.0.2'],
  ] as const)('%s', (_what, peer, header, trusted, expected) => {
    expect(callerAddress(peer, header, trusted)).toBe(expected);
  });

  it('answers null without a socket address, whatever the header says', () => {
    expect(callerAddress(null, '1.2.3.4', proxies)).toBeNull();
  });

  it('survives a huge header', () => {
    expect(callerAddress('10.0.0.2', `${'1.1.1.1, '.repeat(1500)}8.8.8.8`, proxies)).toBe('8.8.8.8');
  });
});

describe('X-Forwarded-For over a real socket', () => {
  const askedAs = async (url: string, header: string) => {
    const response = await fetch(`${url}/api/v1/nearest`, { headers: { 'X-Forwarded-For': header } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { caller: { ip: string } }).caller.ip;
  };

  it('is ignored by default, and believed from a configured proxy', async () => {
    const plain = await startTestServer({ amqp: false });
    const behindProxy = await startTestServer({ amqp: false, flags: { trustedProxies: '127.0.0.1' } });
    try {
      expect(await askedAs(plain.url, '188.184.1.1')).toBe('127.0.0.1');
      expect(await askedAs(behindProxy.url, '6.6.6.6, 188.184.1.1')).toBe('188.184.1.1');
    } finally {
      await plain.stop();
      await behindProxy.stop();
    }
  });
});

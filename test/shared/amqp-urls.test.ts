import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../agent/config.js';
import { loadServerConfig } from '../../server/config.js';
import { amqpSocketOptions } from '../../shared/amqp-tls.js';
import { AmqpUrlsSchema, splitAmqpUrls } from '../../shared/amqp-urls.js';
import { redactUrl } from '../../shared/config.js';

describe('several broker URLs (--amqp-url a,b,c)', () => {
  it.each([
    ['amqp://guest:guest@127.0.0.1:5672', ['amqp://guest:guest@127.0.0.1:5672']],
    ['amqp://u:p@a:5672/v, amqps://u:p@b:5671/v ,amqp://c', ['amqp://u:p@a:5672/v', 'amqps://u:p@b:5671/v', 'amqp://c']],
    ['amqp://a,,amqp://b,', ['amqp://a', 'amqp://b']],
  ])('splits %s in order', (text, urls) => {
    expect(splitAmqpUrls(text)).toEqual(urls);
    expect(AmqpUrlsSchema.safeParse(text).success).toBe(true);
  });

  it.each([
    ['', 'must start with amqp://'],
    ['amqp://a,http://b', 'URL 2 of 2 must start with amqp://'],
    // A raw comma in a password splits the URL; the message says how to write it, without echoing the tail.
    ['amqp://u:se,cret@broker', '%2C'],
  ])('refuses %j', (text, message) => {
    const result = AmqpUrlsSchema.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(message);
    expect(result.error?.issues.map((i) => i.message).join(' ')).not.toContain('cret@');
  });

  it('is accepted by the server and the agent, and a single URL still is', () => {
    const list = 'amqp://guest:guest@rabbit1.test:5672,amqp://guest:guest@rabbit2.test:5672';
    expect(loadServerConfig({ env: {}, flags: { amqpUrl: list } }).amqpUrl).toBe(list);
    expect(loadAgentConfig({ env: { SHOAL_AGENT_AMQP_URL: list }, flags: {} }).amqpUrl).toBe(list);
    expect(loadServerConfig({ env: {}, flags: { amqpUrl: 'amqp://one.test' } }).amqpUrl).toBe('amqp://one.test');
    expect(() => loadServerConfig({ env: {}, flags: { amqpUrl: 'amqp://one.test,redis://two.test' } })).toThrow(/amqpUrl|amqp-url/);
  });

  it('hides the password of every URL in logs', () => {
    expect(redactUrl('amqp://a:pw1@h1:5672,amqps://b:pw2@h2:5671/v,amqp://h3')).toBe('amqp://a:***@h1:5672,amqps://b:***@h2:5671/v,amqp://h3');
    expect(redactUrl('redis+sentinel://:pw@s1:26379,s2:26379/mymaster')).toBe('redis+sentinel://:***@s1:26379,s2:26379/mymaster');
  });

  it('applies the TLS files to every URL, each of which must be amqps://', () => {
    const none = { amqpCaFile: '', amqpCertFile: '', amqpKeyFile: '' };
    expect(amqpSocketOptions({ amqpUrl: 'amqps://a,amqps://b', ...none })).toBeUndefined();
    expect(() => amqpSocketOptions({ amqpUrl: 'amqps://a,amqp://b', ...none, amqpCaFile: '/nonexistent/ca.pem' })).toThrow(/every URL/);
    const cert = { amqpCaFile: '', amqpCertFile: '/nonexistent/c.pem', amqpKeyFile: '/nonexistent/k.pem' };
    expect(() => amqpSocketOptions({ amqpUrl: 'amqps://u:p@a,amqps://b', ...cert })).toThrow(/every --amqp-url names a user .* or none/);
  });
});

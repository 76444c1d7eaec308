import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../agent/config.js';
import { ConfigError } from '../../shared/config.js';
import { DEFAULT_TEST_URL } from '../../shared/cvmfs-probe.js';

const load = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => loadAgentConfig({ env, flags });

describe('agent config: self-check and cache manager keys', () => {
  it('checks the original test repository by default, trusting a pass for 120 s', () => {
    const config = load({});
    expect(config.testUrls).toEqual([DEFAULT_TEST_URL]);
    expect(config.checkInterval).toBe(120);
    expect(config.checkTimeout).toBe(2000);
    expect(config.cacheManagerUrl).toBe('');
  });

  it.each([
    ['none', []],
    ['NONE', []],
    ['http://a.test/cvmfs/x.org/.cvmfspublished, http://b.test:8000/cvmfs/x.org/.cvmfspublished', ['http://a.test/cvmfs/x.org/.cvmfspublished', 'http://b.test:8000/cvmfs/x.org/.cvmfspublished']],
  ])('SHOAL_AGENT_TEST_URLS=%s', (value, urls) => {
    expect(load({}, { SHOAL_AGENT_TEST_URLS: value }).testUrls).toEqual(urls);
  });

  it.each([
    ['an https:// test URL (the cache is asked as a plain proxy)', { testUrls: 'https://a.test/cvmfs/x/.cvmfspublished' }, /test-urls.*http:\/\/ URL/],
    ['a cache-manager URL that is not http', { cacheManagerUrl: 'ftp://x' }, /cache-manager-url.*empty, off, or an http:\/\/ URL/],
    ['a check timeout under 100 ms', { checkTimeout: '5' }, /check-timeout/],
  ])('refuses %s, naming the key', (_what, flags, message) => {
    expect(() => load(flags)).toThrow(ConfigError);
    expect(() => load(flags)).toThrow(message);
  });
});

describe('agent config: rules across settings', () => {
  it('refuses --key-id without --key-file, as a config error naming both', () => {
    const load = (flags: Record<string, unknown>) => loadAgentConfig({ env: {}, flags });
    expect(() => load({ keyId: 'uvic-1' })).toThrow(ConfigError);
    expect(() => load({ keyId: 'uvic-1' })).toThrow('--key-id needs --key-file');
    expect(load({ keyId: 'uvic-1', keyFile: '/etc/shoal/agent.key' }).keyId).toBe('uvic-1');
    expect(load({}).keyId).toBe('');
  });
});

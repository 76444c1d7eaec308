import { describe, expect, it } from 'vitest';
import { buildCvmfsValue, chunk, mergeFrontierServer, orderVerified, rankGroups, type Checked } from '../../client/proxy-plan.js';
import { mountedRepositories } from '../../client/cvmfs-apply.js';
import { parseProxyList, type ProxyUrl } from '../../client/proxy-member.js';
import { proxy } from './proxy-fixture.js';

const checked = (url: ProxyUrl, group: number, position: number, ms: number | null, ok = true): Checked => ({ url, source: 'server', group, position, score: null, ok, ms, error: ok ? null : 'x' });

describe('rank groups', () => {
  it.each([
    [[0.1, 0.11, 0.2, 0.205, 0.5], 0.02, [0, 0, 1, 1, 2]],
    [[0.1, 0.11, 0.2], 0, [0, 1, 2]],
    [[0.1, 0.115, 0.125], 0.02, [0, 0, 1]], // measured from the group's first score, not chained
    [[], 0.02, []],
  ])('scores %j with tolerance %s give groups %j', (scores, tolerance, groups) => {
    expect(rankGroups(scores.map((score) => ({ score })), tolerance)).toEqual(groups);
  });

  it('keeps site-local caches in a group of their own', () => {
    expect(rankGroups([{ score: 0.1, local: true }, { score: 0.1, local: false }], 0.5)).toEqual([0, 1]);
  });
});

describe('order of verified proxies', () => {
  const [a, b, c, dead] = ['http://a:3128', 'http://b:3128', 'http://c:3128', 'http://dead:3128'].map(proxy) as [ProxyUrl, ProxyUrl, ProxyUrl, ProxyUrl];
  const list = [checked(a, 0, 0, 50), checked(b, 0, 1, 10), checked(dead, 0, 2, null, false), checked(c, 1, 3, 1)];
  it('drops failures and re-orders by measured time only inside a rank group', () => {
    expect(orderVerified(list, true).map((x) => x.url)).toEqual([b, a, c]);
  });
  it("keeps the server's order when re-ordering is off", () => {
    expect(orderVerified(list, false).map((x) => x.url)).toEqual([a, b, c]);
  });
});

describe('CVMFS_HTTP_PROXY value', () => {
  const [a, b, c, d] = ['http://a:3128', 'http://b:3128', 'http://c:3128', 'http://d:3128'].map(proxy) as [ProxyUrl, ProxyUrl, ProxyUrl, ProxyUrl];
  it.each([
    ['fail-over order', chunk([a, b, c], 1), [], 'last', `${a};${b};${c};DIRECT`],
    ['load-balanced pairs', chunk([a, b, c, d], 2), [], 'last', `${a}|${b};${c}|${d};DIRECT`],
    ['site defaults appended, never twice', chunk([a, b], 1), parseProxyList(`${b}|${d};DIRECT`).groups, 'last', `${a};${b};${d};DIRECT`],
    ['DIRECT never', chunk([a], 1), parseProxyList(c).groups, 'never', `${a};${c}`],
  ] as const)('%s', (_name, found, defaults, direct, expected) => {
    expect(buildCvmfsValue(found, defaults, direct)).toBe(expected);
  });

  it('parses a site default list into groups without DIRECT', () => {
    expect(parseProxyList(`${a}|${b};DIRECT;${c}`)).toEqual({ groups: [[a, b], [c]], rejected: [] });
    expect(parseProxyList('')).toEqual({ groups: [], rejected: [] });
  });
});

describe('FRONTIER_SERVER merge (as the original re.subn)', () => {
  const ours = ['http://10.0.0.1:3128', 'http://10.0.0.2:3128'].map(proxy);
  it.each([
    [
      '(serverurl=http://frontier.cern.ch:8000/atlr)(proxyurl=http://site:3128)',
      '(serverurl=http://frontier.cern.ch:8000/atlr)(proxyurl=http://10.0.0.1:3128)(proxyurl=http://10.0.0.2:3128)(proxyurl=http://site:3128)',
    ],
    [
      // The lazy first group widens until a proxyurl follows: ours go before the first proxyurl.
      '(serverurl=http://a:8000/atlr)(serverurl=http://b:8000/atlr)(proxyurl=http://site:3128)(proxyurl=http://site2:3128)',
      '(serverurl=http://a:8000/atlr)(serverurl=http://b:8000/atlr)(proxyurl=http://10.0.0.1:3128)(proxyurl=http://10.0.0.2:3128)(proxyurl=http://site:3128)(proxyurl=http://site2:3128)',
    ],
    ['(serverurl=http://frontier.cern.ch:8000/atlr)', '(serverurl=http://frontier.cern.ch:8000/atlr)(proxyurl=http://10.0.0.1:3128)(proxyurl=http://10.0.0.2:3128)'],
    ['', '(proxyurl=http://10.0.0.1:3128)(proxyurl=http://10.0.0.2:3128)'],
  ])('%s', (given, expected) => {
    expect(mergeFrontierServer(given, ours)).toBe(expected);
  });
});

describe('mounted repositories', () => {
  it('reads cvmfs2 fuse mounts from a mounts table', () => {
    const mounts = [
      'proc /proc proc rw 0 0',
      'cvmfs2 /cvmfs/atlas.cern.ch fuse ro,nosuid,nodev,relatime,user_id=0,group_id=0,default_permissions,allow_other 0 0',
      'cvmfs2 /cvmfs/sft.cern.ch fuse ro 0 0',
      'autofs /cvmfs autofs rw 0 0',
    ].join('\n');
    expect(mountedRepositories(mounts)).toEqual(['atlas.cern.ch', 'sft.cern.ch']);
  });
});

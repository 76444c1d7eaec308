import { describe, expect, it } from 'vitest';
import { formatAnnouncement, formatQuery, isQuery, parseAnnouncement } from '../../shared/announce.js';
import { ip, port } from '../support/identity.js';

describe('LAN announcement format (original: fna349fn<ip>:<port>)', () => {
  it.each([
    ['fna349fn10.0.0.5:3128', { ip: '10.0.0.5', port: 3128 }],
    ['fna349fn10.0.0.5:3128:squid:cvmfs', { ip: '10.0.0.5', port: 3128, type: 'squid', upstream: 'cvmfs' }],
    ['fna349fn10.0.0.5:6081:Varnish:Frontier', { ip: '10.0.0.5', port: 6081, type: 'varnish', upstream: 'frontier' }],
  ])('parses %s', (text, expected) => {
    expect(parseAnnouncement(text)).toEqual(expected);
  });

  it.each(['fna349fn', 'fna349fnhost:3128', 'fna349fn10.0.0.5:99999', 'fna349fn10.0.0.5:3128:squid:cvmfs:x', 'fna349fn10.0.0.5:0x50', 'fna349fn10.0.0.5:1e3', 'fna349fn010.0.0.5:3128', 'xx10.0.0.5:3128', formatQuery()])(
    'rejects %s',
    (text) => {
      expect(parseAnnouncement(text)).toBeNull();
    },
  );

  it('writes the short form every original client reads, and the long form', () => {
    const a = { ip: ip('10.0.0.5'), port: port(3128), type: 'squid', upstream: 'both' } as const;
    expect(formatAnnouncement(a, 'short')).toBe('fna349fn10.0.0.5:3128');
    expect(formatAnnouncement(a, 'long')).toBe('fna349fn10.0.0.5:3128:squid:both');
  });

  it('uses a query prefix an original client does not take for an announcement', () => {
    expect(formatQuery().startsWith('fna349fn')).toBe(false);
    expect(isQuery(formatQuery())).toBe(true);
  });
});

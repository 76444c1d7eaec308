import { describe, expect, it } from 'vitest';
import { parseMgrInfo } from '../../agent/cache-manager.js';

/** The head of `mgr:info` as Debian's Squid 5.7 prints it. */
const INFO = `Squid Object Cache: Version 5.7
Build Info: Debian linux
Service Name: squid
Start Time:\tSun, 22 Nov 2026 04:48:00 GMT
Current Time:\tSun, 22 Nov 2026 04:48:08 GMT
Connection information for squid:
\tNumber of clients accessing cache:\t3
\tNumber of HTTP requests received:\t1234
\tNumber of ICP messages received:\t0
\tRequest failure ratio:\t 0.00
\tAverage HTTP requests per minute since start:\t30.7
\tAverage ICP messages per minute since start:\t0.0
`;

describe('parseMgrInfo', () => {
  it('reads clients, the request counter and the since-start average', () => {
    expect(parseMgrInfo(INFO)).toEqual({ clients: 3, requests: 1234, averagePerMinute: 30.7 });
  });

  it('refuses a page that is not the info page (e.g. an access-denied error page)', () => {
    expect(parseMgrInfo('<html><title>ERROR: Cache Manager Access Denied</title></html>')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { judgeAnswer, repositoryOf } from '../../shared/cvmfs-probe.js';
import { cvmfsPublished } from '../support/squid.js';

const PUBLISHED = 'http://s1.example.org/cvmfs/atlas.cern.ch/.cvmfspublished';

describe('repositoryOf', () => {
  it.each([
    [PUBLISHED, 'atlas.cern.ch'],
    ['http://s1.example.org:8000/cvmfs/oasis.opensciencegrid.org/.cvmfswhitelist', 'oasis.opensciencegrid.org'],
    ['http://frontier.example.org/atlr', null],
  ])('%s names %s', (url, repository) => {
    expect(repositoryOf(url)).toBe(repository);
  });
});

describe('judgeAnswer (the original Shoal test: a line starting with N names the repository)', () => {
  it('passes a real-looking manifest of the right repository', () => {
    expect(judgeAnswer(PUBLISHED, 200, {}, cvmfsPublished('atlas.cern.ch'))).toBeNull();
  });

  it.each([
    ['another repository', 200, {}, cvmfsPublished('cms.cern.ch'), 'answer does not name repository atlas.cern.ch (no "Natlas.cern.ch" line)'],
    ['a captive portal page', 200, {}, '<html>Please log in</html>', 'answer does not name repository atlas.cern.ch (no "Natlas.cern.ch" line)'],
    ['a prefix of the name only', 200, {}, 'Natlas\n', 'answer does not name repository atlas.cern.ch (no "Natlas.cern.ch" line)'],
    ['a Squid ACL refusal', 403, { 'x-squid-error': 'ERR_ACCESS_DENIED 0' }, '<html>denied</html>', 'HTTP 403 (ERR_ACCESS_DENIED)'],
    ['an unreachable origin', 503, { 'x-squid-error': 'ERR_CONNECT_FAIL 111' }, '', 'HTTP 503 (ERR_CONNECT_FAIL)'],
    ['a plain 404', 404, {}, 'not found', 'HTTP 404'],
  ])('fails %s', (_what, status, headers, body, reason) => {
    expect(judgeAnswer(PUBLISHED, status, headers, body)).toBe(reason);
  });

  it('needs only HTTP 200 for a URL that is not a CVMFS file', () => {
    expect(judgeAnswer('http://frontier.example.org/atlr', 200, {}, 'anything')).toBeNull();
  });
});

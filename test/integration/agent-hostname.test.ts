import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemResolver } from '../../agent/hostname.js';
import { BIN, runProgram } from '../support/processes.js';
import { makeTempDir } from '../support/temp.js';

interface LogLine {
  level: number;
  msg: string;
  advertised?: string;
  source?: string;
}

/** `shoal-agent --print`, offline: the heartbeat it would send (stdout) and its log (stderr). */
async function print(args: string[]) {
  const dir = await makeTempDir('shoal-agent-hostname-');
  const all = ['--print', '--test-urls', 'none', '--cache-manager-url', 'off', '--state-file', join(dir, 'uuid'), ...args];
  const { code, stdout, stderr } = await runProgram(BIN.agent, all);
  expect(code, stderr).toBe(0);
  const logs = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
  return { heartbeat: JSON.parse(stdout) as { hostname: string }, logs };
}

describe('shoal-agent --print: the name it advertises', () => {
  it('with no --hostname, the name it chose, and at start which one and why', async () => {
    const { heartbeat, logs } = await print(['--public-ip', '127.0.0.1']);
    const told = logs.find((l) => l.msg.startsWith('advertising hostname'));
    expect(told, JSON.stringify(logs)).toMatchObject({ level: 30, advertised: heartbeat.hostname });
    if (told?.source === 'reverse-dns') {
      // Forward-confirmed: the reverse-DNS name of 127.0.0.1 (from /etc/hosts) resolves back to it.
      expect(told.msg).toContain('reverse DNS of 127.0.0.1, which it resolves back to');
      expect(await systemResolver.resolve(heartbeat.hostname)).toContain('127.0.0.1');
    } else {
      expect(told).toMatchObject({ source: 'system', advertised: hostname().toLowerCase() });
    }
  });

  it('a configured name that does not resolve is advertised as given, with a warning', async () => {
    const { heartbeat, logs } = await print(['--hostname', 'squid.shoal.invalid', '--public-ip', '127.0.0.1']);
    expect(heartbeat.hostname).toBe('squid.shoal.invalid');
    expect(logs.find((l) => l.msg.startsWith('advertising hostname'))).toMatchObject({ source: 'configured', msg: 'advertising hostname squid.shoal.invalid: configured (--hostname)' });
    expect(logs.filter((l) => l.level === 40 && l.advertised).map((l) => l.msg)).toEqual([expect.stringMatching(/^squid\.shoal\.invalid does not resolve/)]);
  });
});

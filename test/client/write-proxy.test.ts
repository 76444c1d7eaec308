import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeProxy } from '../../client/write-proxy.js';

// Comments, blank lines, exports, quoting styles, a commented-out old value and no final newline: all kept.
const SITE_FILE = [
  '# /etc/cvmfs/default.local: managed by hand, and by shoal-client for the proxy line',
  'CVMFS_REPOSITORIES="atlas.cern.ch,atlas-condb.cern.ch,sft.cern.ch"',
  '',
  "export CVMFS_QUOTA_LIMIT='20000'   # MB",
  '#CVMFS_HTTP_PROXY="http://old-squid:3128;DIRECT"',
  'CVMFS_HTTP_PROXY="http://previous:3128;DIRECT"',
  '\tCVMFS_CACHE_BASE=/scratch/cvmfs',
  'CVMFS_DEBUGLOG=/tmp/cvmfs.log',
].join('\n');

describe('writing CVMFS_HTTP_PROXY into default.local', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-write-'));
    file = join(dir, 'default.local');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('changes only the CVMFS_HTTP_PROXY line, keeping every other byte', async () => {
    await writeFile(file, SITE_FILE, { mode: 0o640 });
    expect(await writeProxy(file, 'http://a:3128|http://b:3128;DIRECT')).toBe(true);
    const after = await readFile(file, 'utf8');
    expect(after).toBe(SITE_FILE.replace('CVMFS_HTTP_PROXY="http://previous:3128;DIRECT"', 'CVMFS_HTTP_PROXY="http://a:3128|http://b:3128;DIRECT"'));
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect((await readdir(dir)).sort()).toEqual(['default.local']);
  });

  it('writes nothing when the value is unchanged', async () => {
    await writeFile(file, SITE_FILE);
    const before = await stat(file);
    expect(await writeProxy(file, 'http://previous:3128;DIRECT')).toBe(false);
    const after = await stat(file);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('appends the line to a file that lacks it, and creates a missing file', async () => {
    await writeFile(file, 'CVMFS_QUOTA_LIMIT=20000');
    await writeProxy(file, 'http://a:3128;DIRECT');
    expect(await readFile(file, 'utf8')).toBe('CVMFS_QUOTA_LIMIT=20000\nCVMFS_HTTP_PROXY="http://a:3128;DIRECT"\n');
    const fresh = join(dir, 'new.local');
    await writeProxy(fresh, 'DIRECT');
    expect(await readFile(fresh, 'utf8')).toBe('CVMFS_HTTP_PROXY="DIRECT"\n');
  });

  it('refuses an empty or malformed value', async () => {
    await writeFile(file, SITE_FILE);
    await expect(writeProxy(file, '')).rejects.toThrow(/malformed/);
    await expect(writeProxy(file, 'http://a:3128; rm -rf /')).rejects.toThrow(/malformed/);
    expect(await readFile(file, 'utf8')).toBe(SITE_FILE);
  });

  // The last check: whatever a bug or a cast lets through to here, bash never sources it.
  it.each([
    'http://$(touch${IFS}x):3128;DIRECT',
    'http://`touch x`:3128;DIRECT',
    'http://a:3128;DIRECT\ntouch x',
    'http://a:3128"; touch x; "',
    'http://a:3128\\',
    'http://evil\u0000.example:3128;DIRECT',
    'http://evil\u001b[2J:3128;DIRECT',
    'http://rogue@evil.example:3128;DIRECT',
    'http://evil.example/x:3128;DIRECT',
    'http://[fe80::1%eth0]:3128;DIRECT',
    'http://[x]@127.0.0.1:19050/.uvic.ca:3128',
    'http://a:0x50;DIRECT',
    'http://a:65536;DIRECT',
    'http://a:3128;DIRECT;',
  ])('refuses to write %j and leaves the file as it was', async (value) => {
    await writeFile(file, SITE_FILE);
    await expect(writeProxy(file, value)).rejects.toThrow(/malformed/);
    expect(await readFile(file, 'utf8')).toBe(SITE_FILE);
    expect(await readdir(dir)).toEqual(['default.local']);
  });

  it('leaves the old file intact when the process dies between temp file and rename', async () => {
    await writeFile(file, SITE_FILE);
    // A real crash: a child process SIGKILLs itself in the beforeRename hook (the built library, as cron runs it).
    const lib = pathToFileURL(join(process.cwd(), 'dist/client/write-proxy.js')).href;
    const script = `
      const { writeProxy } = await import(${JSON.stringify(lib)});
      await writeProxy(${JSON.stringify(file)}, 'http://new:3128;DIRECT', {
        beforeRename: async () => { process.kill(process.pid, 'SIGKILL'); await new Promise(() => {}); },
      });`;
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
      child.once('exit', (_code, sig) => resolve(sig));
    });
    expect(signal).toBe('SIGKILL');
    expect(await readFile(file, 'utf8')).toBe(SITE_FILE);
    // The temp file proves the crash came after the new content was written and synced, before the rename.
    const temps = (await readdir(dir)).filter((n) => n.endsWith('.tmp'));
    expect(temps).toHaveLength(1);
    expect(await readFile(join(dir, temps[0] as string), 'utf8')).toContain('CVMFS_HTTP_PROXY="http://new:3128;DIRECT"');
    // The next run recovers.
    expect(await writeProxy(file, 'http://new:3128;DIRECT')).toBe(true);
    expect(await readFile(file, 'utf8')).toContain('CVMFS_HTTP_PROXY="http://new:3128;DIRECT"');
  });
});

import { spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { siteDefaultOf, writeProxy } from '../../client/write-proxy.js';
import { makeTempDir } from '../support/temp.js';

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

// Every test writes real files in a folder of its own (removed when the file's tests end).
let dir: string;
let file: string;
beforeEach(async () => {
  dir = await makeTempDir('shoal-write-');
  file = join(dir, 'default.local');
});

describe('writing CVMFS_HTTP_PROXY into default.local', () => {

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
    const temps = (await readdir(dir)).filter((n) => n.startsWith('.default.local.shoal-tmp-'));
    expect(temps).toHaveLength(1);
    expect(await readFile(join(dir, temps[0] as string), 'utf8')).toContain('CVMFS_HTTP_PROXY="http://new:3128;DIRECT"');
    // The next run recovers, and removes what the dead one left.
    expect(await writeProxy(file, 'http://new:3128;DIRECT')).toBe(true);
    expect(await readFile(file, 'utf8')).toContain('CVMFS_HTTP_PROXY="http://new:3128;DIRECT"');
    expect(await readdir(dir)).toEqual(['default.local']);
  });
});

describe('writing default.local where real sites keep it', () => {

  /** Runs writeProxy (the built library, as cron runs it) in a shell with `ulimit -f`: a full disk for files. */
  const writeUnderSizeLimit = (value: string) => {
    const lib = pathToFileURL(join(process.cwd(), 'dist/client/write-proxy.js')).href;
    const script = `const { writeProxy } = await import(${JSON.stringify(lib)}); await writeProxy(${JSON.stringify(file)}, ${JSON.stringify(value)});`;
    return new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('/bin/sh', ['-c', 'ulimit -f 2; exec "$0" --input-type=module -e "$1"', process.execPath, script], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (code) => resolve({ code, stderr }));
    });
  };

  it('writes a symlinked config through to its target: the link stays a link', async () => {
    await mkdir(join(dir, 'site'));
    const real = join(dir, 'site', 'default.local');
    await writeFile(real, SITE_FILE, { mode: 0o640 });
    await symlink('site/default.local', file);
    expect(await writeProxy(file, 'http://a:3128;DIRECT')).toBe(true);
    expect((await lstat(file)).isSymbolicLink()).toBe(true);
    expect(await readlink(file)).toBe('site/default.local');
    expect(await readFile(real, 'utf8')).toBe(SITE_FILE.replace('CVMFS_HTTP_PROXY="http://previous:3128;DIRECT"', 'CVMFS_HTTP_PROXY="http://a:3128;DIRECT"'));
    expect((await stat(real)).mode & 0o777).toBe(0o640);
    expect(await readdir(join(dir, 'site'))).toEqual(['default.local']);
    expect((await readdir(dir)).sort()).toEqual(['default.local', 'site']);
    // A link to a file not there yet: the file is made where the link points.
    const dangling = join(dir, 'dangling.local');
    await symlink('site/new.local', dangling);
    await writeProxy(dangling, 'DIRECT');
    expect((await lstat(dangling)).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'site', 'new.local'), 'utf8')).toBe('CVMFS_HTTP_PROXY="DIRECT"\n');
  });

  it('leaves no temp file and the old file intact when the disk takes no more', async () => {
    const big = `${SITE_FILE}\n# ${'x'.repeat(4000)}\n`; // larger than the limit: the new copy cannot be written
    await writeFile(file, big);
    const result = await writeUnderSizeLimit('http://new:3128;DIRECT');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('EFBIG');
    expect(await readFile(file, 'utf8')).toBe(big);
    expect(await readdir(dir)).toEqual(['default.local']);
  });

  it("removes temp files of writers that died, and keeps a live writer's", async () => {
    await writeFile(file, SITE_FILE);
    const dead = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      child.once('exit', () => resolve(child.pid as number));
    });
    await writeFile(join(dir, `.default.local.shoal-tmp-${dead}`), 'half a file');
    await writeFile(join(dir, `.default.local.shoal-tmp-${process.ppid}`), 'someone writing now');
    await writeFile(join(dir, '.other.local.shoal-tmp-1'), 'not ours to judge');
    await writeProxy(file, 'http://a:3128;DIRECT');
    expect((await readdir(dir)).sort()).toEqual(['.default.local.shoal-tmp-' + process.ppid, '.other.local.shoal-tmp-1', 'default.local']);
  });
});

describe('the site default the CVMFS config itself names', () => {

  it('is the file\'s CVMFS_HTTP_PROXY until shoal-client writes there, then what the file held before', async () => {
    expect(await siteDefaultOf(file, null)).toBeNull(); // no file
    await writeFile(file, SITE_FILE);
    expect(await siteDefaultOf(file, null)).toBe('http://previous:3128;DIRECT');
    await writeProxy(file, 'http://found:3128;http://previous:3128;DIRECT');
    const last = { path: file, written: 'http://found:3128;http://previous:3128;DIRECT', siteDefault: 'http://previous:3128;DIRECT' };
    expect(await siteDefaultOf(file, last)).toBe('http://previous:3128;DIRECT');
    // Someone edited the line since: theirs is the site default now.
    await writeProxy(file, 'http://edited:3128;DIRECT');
    expect(await siteDefaultOf(file, last)).toBe('http://edited:3128;DIRECT');
    // What was written to another file says nothing about this one.
    expect(await siteDefaultOf(file, { ...last, path: join(dir, 'other.local'), written: 'http://edited:3128;DIRECT' })).toBe('http://edited:3128;DIRECT');
  });
});

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCache, PLACES } from '../support/app.js';
import { chromiumAvailable, launchChromium } from '../support/browser.js';
import { startTestServer, waitFor, type TestServer } from '../support/server.js';
import { serviceAvailable } from '../support/services.js';
import { makeTempDir } from '../support/temp.js';
import { freePort } from '../support/squid.js';

/**
 * Debian's nginx on loopback in front of a server with --base-path /shoal, configured with the very blocks
 * docs/reverse-proxy.md shows (between its `# --- shoal` markers), only the ports changed.
 */
const NGINX = process.env.SHOAL_TEST_NGINX ?? '/usr/sbin/nginx';
const nginx = await serviceAvailable('nginx', async () => void (await promisify(execFile)(NGINX, ['-v'])), 'apt-get install -y nginx-light');
const chromium = nginx && (await chromiumAvailable());

const DOC = new URL('../../docs/reverse-proxy.md', import.meta.url);

/** The lines between `# --- shoal <name> begin` and `end` in the doc's nginx blocks. */
function docBlock(doc: string, name: string): string {
  const m = new RegExp(`# --- shoal ${name} begin\\n([\\s\\S]*?)\\n\\s*# --- shoal ${name} end`).exec(doc);
  if (!m) throw new Error(`docs/reverse-proxy.md has no "${name}" block`);
  return m[1] as string;
}


/** GET through the proxy from 127.0.0.2 (a VM's address as far as nginx knows), with extra headers. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, localAddress: '127.0.0.2' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.runIf(nginx)('behind nginx, configured as docs/reverse-proxy.md says', () => {
  let server: TestServer;
  let proxy: ChildProcess;
  let sitePort: number;
  let wpadPort: number;
  let nginxLog = '';

  beforeAll(async () => {
    server = await startTestServer({ amqp: false, flags: { basePath: '/shoal', trustedProxies: '127.0.0.1', unknownCaller: 'by-load' } });
    await addCache(server, { uuid: 'cern0000000000000000000000000001', hostname: 'squid.cern.test', external_ip: PLACES.cern });
    await addCache(server, { uuid: 'uvic0000000000000000000000000001', hostname: 'squid.uvic.test', external_ip: PLACES.victoria });

    const doc = await readFile(DOC, 'utf8');
    const upstream = `127.0.0.1:${server.port}`;
    const dir = await makeTempDir('shoal-nginx-');
    await mkdir(join(dir, 'cache'));
    [sitePort, wpadPort] = [await freePort(), await freePort()];
    const cachePath = /^proxy_cache_path (\S+) (.*);$/m.exec(doc);
    if (!cachePath) throw new Error('docs/reverse-proxy.md has no proxy_cache_path line');
    const conf = `
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  proxy_cache_path ${dir}/cache ${cachePath[2]};
  server {
    listen 127.0.0.1:${sitePort};
${docBlock(doc, 'locations').replaceAll('127.0.0.1:8080', upstream)}
  }
  server {
    listen 127.0.0.1:${wpadPort};
${docBlock(doc, 'wpad').replaceAll('127.0.0.1:8080', upstream)}
  }
}
`;
    await writeFile(join(dir, 'nginx.conf'), conf);
    proxy = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    proxy.stderr?.on('data', (d: Buffer) => (nginxLog += d.toString()));
    await waitFor(async () => (await get(sitePort, '/shoal/healthz')).status === 200, { what: `nginx on ${sitePort} (${nginxLog})` });
  });

  afterAll(async () => {
    if (proxy?.pid && proxy.exitCode === null) {
      const exited = new Promise((resolve) => proxy.once('exit', resolve));
      proxy.kill('SIGTERM');
      await exited;
    }
    await server?.stop();
  });

  it('ranks for the VM, not for nginx: the peer nginx appends to X-Forwarded-For is the caller, a forged hop is not', async () => {
    const response = await get(sitePort, '/shoal/api/v1/nearest', { 'X-Forwarded-For': PLACES.tokyo });
    expect(response.status).toBe(200);
    expect((JSON.parse(response.body) as { caller: { ip: string } }).caller.ip).toBe('127.0.0.2');
    // The server's own headers reach the VM, and nginx caches nothing here.
    expect(response.headers['cache-control']).toBe('private, max-age=30');
    expect(response.headers.vary).toContain('X-Forwarded-For');
    expect(response.headers['x-cache-status']).toBeUndefined();
  });

  it('serves the status page at /shoal/ (nginx sends /shoal there) with every URL under /shoal/', async () => {
    const redirect = await get(sitePort, '/shoal');
    expect(redirect.status).toBe(301);
    expect(String(redirect.headers.location)).toMatch(/\/shoal\/$/);
    const page = await get(sitePort, '/shoal/');
    expect(page.status).toBe(200);
    const urls = [...page.body.matchAll(/\s(?:src|href|action)="([^"]*)"/g)].map((m) => m[1] as string).filter((u) => !u.startsWith('#') && u !== 'data:,');
    expect(urls.length).toBeGreaterThan(10);
    expect(urls.filter((u) => !u.startsWith('/shoal/'))).toEqual([]);
  });

  it('caches what is the same for everyone (assets, /openapi.json), and only that', async () => {
    const page = await get(sitePort, '/shoal/');
    const asset = /src="(\/shoal\/status\/assets\/status\.js\?v=[^"]+)"/.exec(page.body)?.[1] as string;
    for (const path of [asset, '/shoal/openapi.json']) {
      const first = await get(sitePort, path);
      expect(first.status).toBe(200);
      const second = await get(sitePort, path);
      expect(second.headers['x-cache-status']).toBe('HIT');
    }
    expect((await get(sitePort, '/shoal/wpad.dat')).headers['x-cache-status']).toBeUndefined();
  });

  it('answers http://wpad/wpad.dat on the WPAD server block, from the server under /shoal', async () => {
    const pac = await get(wpadPort, '/wpad.dat');
    expect(pac.status).toBe(200);
    expect(pac.headers['content-type']).toContain('application/x-ns-proxy-autoconfig');
    expect(pac.body).toContain('function FindProxyForURL');
    expect(pac.body).toContain('squid.');
    expect((await get(wpadPort, '/shoal/')).status).toBe(404);
  });

  describe.runIf(chromium)('in Chromium', () => {
    let browser: Browser;
    afterAll(async () => {
      await browser?.close();
    });

    it('loads, refreshes and asks only URLs under /shoal/, and the try box answers', async () => {
      browser = await launchChromium();
      const page = await browser.newPage();
      const requested: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requested.push(new URL(r.url()).pathname));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${sitePort}/shoal/`);
      await page.fill('#try-input', PLACES.cern);
      await page.press('#try-input', 'Enter');
      await page.locator('#try-result li[data-id]').first().waitFor();
      // A sort link swaps the table in place (a fetch of /shoal/status/live) and keeps the URL under /shoal/.
      await page.click('#sort-load');
      await waitFor(async () => (await page.getAttribute('#cache-table th.col-load', 'aria-sort')) !== null, { what: 'sorted by load' });
      expect(new URL(page.url()).pathname).toBe('/shoal/');
      await page.click('#refresh');
      await waitFor(() => requested.filter((p) => p === '/shoal/status/live').length >= 2, { what: 'the live refreshes' });
      expect(requested).toEqual(expect.arrayContaining(['/shoal/', '/shoal/api/v1/nearest', '/shoal/status/live']));
      expect(requested.filter((p) => !p.startsWith('/shoal/'))).toEqual([]);
      expect(errors).toEqual([]);
    });
  });
});

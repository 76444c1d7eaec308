import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMQP_URL, deleteExchange, rabbitAvailable, uniqueName } from '../support/services.js';
import { BIN, startProgram, type Running } from '../support/processes.js';
import { waitFor } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';

const rabbit = await rabbitAvailable();

/** The shell lines of README.md's "Try it on one machine" code blocks (comments and continuations joined). */
function tryItCommands(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('## Try it on one machine');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  return blocks
    .join('\n')
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Words of a command line (the README's lines quote with '...' only). */
const words = (line: string) => [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => (m[1] ?? m[2]) as string);

interface Nearest {
  note: string | null;
  caches: { hostname: string; distance_km: number | null }[];
}

describe.runIf(rabbit)('README "Try it on one machine", as written', () => {
  const commands = tryItCommands();
  const serverLine = commands.find((l) => l.startsWith('npm start'));
  const agentLine = commands.find((l) => l.startsWith('npx shoal-agent'));
  const curlLine = commands.find((l) => l.startsWith('curl '));
  const exchange = uniqueName('shoal-try-it');
  let server: Running | undefined;
  let agent: Running | undefined;
  let url = '';

  beforeAll(async () => {
    expect(serverLine, 'the section starts the server').toBeDefined();
    // Checked before anything starts: a server that verifies would fetch through 142.104.1.1, beyond loopback.
    expect(words(serverLine as string), 'the example server runs with verification off').toContain('--no-verify');
    const serverArgs = words(serverLine as string).slice(words(serverLine as string).indexOf('--') + 1);
    // Our own port and exchange (never the default one a real server may use); rounds a second apart, were there any.
    server = startProgram(BIN.server, [...serverArgs, '--host', '127.0.0.1', '--port', '0', '--amqp-url', AMQP_URL, '--exchange', exchange, '--verify-interval', '1']);
    url = ((await server.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] as string) ?? '';
    const dir = await makeTempDir('shoal-try-it-');
    agent = startProgram(BIN.agent, [...words(agentLine as string).slice(2), '--amqp-url', AMQP_URL, '--exchange', exchange, '--state-file', join(dir, 'uuid')]);
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    await deleteExchange(exchange);
  });

  const ask = async (): Promise<Nearest> => {
    const target = new URL(words(curlLine as string)[1] as string);
    const response = await fetch(`${url}${target.pathname}${target.search}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Nearest;
  };

  it('answers with the example cache, and still does after the rounds a verifying server would have run', async () => {
    const first: Nearest | null = await waitFor(
      async () => {
        const body = await ask();
        return body.caches.length > 0 ? body : null;
      },
      { what: 'the example cache in the answer', timeoutMs: 15_000 },
    );
    expect(first?.caches[0]).toMatchObject({ hostname: 'squid.example.org' });
    expect(first?.caches[0]?.distance_km).toBeGreaterThan(8000); // CERN to Victoria
    expect(first?.caches[0]?.distance_km).toBeLessThan(9000);
    await new Promise((r) => setTimeout(r, 3000));
    const later = await ask();
    expect(later.caches.map((c) => c.hostname)).toEqual(['squid.example.org']);
    expect(later.note ?? '').not.toMatch(/none offered/);
  });
});

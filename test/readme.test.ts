import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { agentConfigTable, AGENT_ENV_PREFIX } from '../agent/config.js';
import { clientConfigTable, CLIENT_ENV_PREFIX } from '../client/config.js';
import { demoConfigTable, DEMO_ENV_PREFIX } from '../demo/config.js';
import { serverConfigTable, SERVER_ENV_PREFIX } from '../server/config.js';
import { envName, kebab } from '../shared/config.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it.each([
    ['shoal-server', SERVER_ENV_PREFIX, serverConfigTable],
    ['shoal-agent', AGENT_ENV_PREFIX, agentConfigTable],
    ['shoal-client', CLIENT_ENV_PREFIX, clientConfigTable],
    ['shoal-demo', DEMO_ENV_PREFIX, demoConfigTable],
  ] as const)('documents every %s setting with its flag and env name', (_program, prefix, table) => {
    for (const key of Object.keys(table)) {
      expect(readme, `README lacks --${kebab(key)}`).toContain(`--${kebab(key)}`);
      expect(readme, `README lacks ${envName(prefix, key)}`).toContain(envName(prefix, key));
    }
  });

  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });

  it('gives the one demo command, and package.json has it', () => {
    expect(readme).toContain('npm run demo');
    expect(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts.demo).toBe('node dist/demo/main.js');
  });
});

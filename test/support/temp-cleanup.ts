import { afterAll } from 'vitest';
import { removeTempDirs } from './temp.js';

// A setup file (vitest.config.ts) runs before each test file, so this hook is the file's last: it runs
// after the file's own afterAll hooks have stopped the servers, agents and brokers that used the directories.
afterAll(removeTempDirs);

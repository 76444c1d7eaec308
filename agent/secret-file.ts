import { readFileSync } from 'node:fs';
import { ConfigError } from '../shared/config.js';

/** The secret in a key file: its first line, trimmed. Throws when the file is unreadable or the secret too short. */
export function readSecretFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read key file ${path}: ${(error as Error).message}`);
  }
  const secret = (text.split(/\r?\n/)[0] ?? '').trim();
  if (secret.length < 16) throw new ConfigError(`key file ${path}: the secret needs at least 16 characters`);
  return secret;
}

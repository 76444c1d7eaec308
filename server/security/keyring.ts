import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { Heartbeat } from '../../shared/heartbeat.js';
import { createNetworkMatcher, ipFamily, isValidCidr, normaliseIp, type NetworkMatcher } from '../../shared/ip.js';
import type { Logger } from '../../shared/logger.js';
import { KeyIdSchema } from '../../shared/signing.js';

/**
 * The server's keyring: per key id, the secrets that may sign (several while a key is rotated) and what
 * an agent holding that key may advertise. A JSON file:
 *
 *   { "keys": { "uvic": { "secrets": ["…"], "addresses": ["142.104.0.0/16"], "networks": ["142.104.0.0/16"],
 *                         "hostnames": ["*.uvic.ca"], "sites": ["uvic"] } } }
 */

const addressOrCidr = z
  .string()
  .trim()
  .refine((v) => isValidCidr(v.includes('/') ? v : `${v}/${v.includes(':') ? 128 : 32}`), 'must be an IP address or CIDR');

const hostnamePattern = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(\*|(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?)$/, 'must be a hostname, "*.domain" or "*"');

export const KeyEntrySchema = z
  .object({
    /** HMAC secrets (UTF-8 text); any of them verifies. At least 16 characters: short secrets are guessable. */
    secrets: z.array(z.string().min(16, 'secrets need at least 16 characters').max(1024)).min(1).max(8),
    /** Addresses/CIDRs the agent's public_ip, private_ip and external_ip must fall in. */
    addresses: z.array(addressOrCidr).min(1).max(1024),
    /** CIDRs the agent may declare in `networks` (each declared network must lie inside one of them). */
    networks: z.array(z.string().trim().refine(isValidCidr, 'must be a CIDR such as 10.0.0.0/8')).max(1024).default([]),
    /** Hostnames the agent may advertise: exact names, `*.domain` (any name under it) or `*` (any). */
    hostnames: z.array(hostnamePattern).min(1).max(1024),
    /** Site names the agent may declare; absent: any. */
    sites: z.array(z.string().min(1).max(128)).max(1024).optional(),
  })
  .strict();

export const KeyringFileSchema = z.object({ keys: z.record(KeyIdSchema, KeyEntrySchema) }).strict();

export type KeyEntryFile = z.infer<typeof KeyEntrySchema>;

export interface KeyEntry {
  keyId: string;
  secrets: readonly string[];
  /** Null when the heartbeat is within what this key may advertise, else why not. */
  refuses(hb: Heartbeat): string | null;
}

export interface Keyring {
  get(keyId: string): KeyEntry | undefined;
  readonly size: number;
}

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

interface Network {
  family: 'ipv4' | 'ipv6';
  prefix: number;
  matcher: NetworkMatcher;
}

function parseNetwork(cidr: string): Network | null {
  const [addr, bits] = cidr.split('/') as [string, string | undefined];
  const family = ipFamily(normaliseIp(addr));
  if (!family || bits === undefined) return null;
  return { family, prefix: Number(bits), matcher: createNetworkMatcher([cidr]) };
}

/** A declared network lies inside an allowed one when it is no wider and its address is inside. */
function networkInside(declared: string, allowed: readonly Network[]): boolean {
  const d = parseNetwork(declared);
  if (!d) return false;
  const address = normaliseIp(declared.split('/')[0] as string);
  return allowed.some((a) => a.family === d.family && d.prefix >= a.prefix && a.matcher.has(address));
}

function hostnameAllowed(hostname: string, patterns: readonly string[]): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return patterns.some((p) => {
    const pattern = p.replace(/\.$/, '');
    if (pattern === '*') return true;
    if (pattern.startsWith('*.')) return name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1;
    return name === pattern;
  });
}

function buildEntry(keyId: string, file: KeyEntryFile): KeyEntry {
  const addresses = createNetworkMatcher(file.addresses);
  const networks = file.networks.map(parseNetwork).filter((n): n is Network => n !== null);
  const sites = file.sites ? new Set(file.sites) : null;
  return {
    keyId,
    secrets: Object.freeze([...file.secrets]),
    refuses(hb) {
      for (const [field, value] of [['public_ip', hb.publicIp], ['private_ip', hb.privateIp], ['external_ip', hb.externalIp]] as const) {
        if (value !== undefined && !addresses.has(value)) return `${field} ${value} is not among the addresses of key ${keyId}`;
      }
      for (const network of hb.networks ?? []) {
        if (!networkInside(network, networks)) return `network ${network} is not among the networks of key ${keyId}`;
      }
      if (!hostnameAllowed(hb.hostname, file.hostnames)) return `hostname ${hb.hostname} is not among the hostnames of key ${keyId}`;
      if (sites && hb.site !== undefined && !sites.has(hb.site)) return `site ${hb.site} is not among the sites of key ${keyId}`;
      return null;
    },
  };
}

/** Validates keyring JSON; throws a KeyringError naming the first bad field. */
export function parseKeyring(data: unknown): Keyring {
  // zod's record silently drops a `__proto__` key: check every key id as written, so none is lost unseen.
  const keys = typeof data === 'object' && data !== null ? (data as { keys?: unknown }).keys : undefined;
  if (typeof keys === 'object' && keys !== null) {
    const bad = Object.keys(keys).find((k) => !KeyIdSchema.safeParse(k).success);
    if (bad !== undefined) throw new KeyringError(`keyring keys.${bad}: key ids are 1-64 letters, digits, ".", "_", ":", "-", starting with a letter or digit`);
  }
  const parsed = KeyringFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KeyringError(`keyring ${issue?.path.map(String).join('.') || '(file)'}: ${issue?.message ?? 'invalid'}`);
  }
  const entries = new Map<string, KeyEntry>();
  for (const [keyId, entry] of Object.entries(parsed.data.keys)) entries.set(keyId, buildEntry(keyId, entry));
  return { get: (keyId) => entries.get(keyId), size: entries.size };
}

/** Reads and validates a keyring file; warns when others than its owner may read the secrets. */
export function loadKeyringFile(path: string, logger?: Logger): Keyring {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    if (logger && (statSync(path).mode & 0o077) !== 0) logger.warn({ path }, 'keyring file is readable by group or others; chmod 600 it');
  } catch (error) {
    throw new KeyringError(`cannot read keyring ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new KeyringError(`keyring ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseKeyring(data);
}

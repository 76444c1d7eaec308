import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { Heartbeat } from '../../shared/heartbeat.js';
import { isIpv6Literal, parseCidr, parseDnsName, parseIpLiteral, parseProxyHost, type ProxyHost } from '../../shared/identity.js';
import { createNetworkMatcher, type NetworkMatcher } from '../geo/networks.js';
import type { Logger } from '../../shared/logger.js';
import { KeyIdSchema } from '../../shared/signing.js';

/**
 * The server's keyring: per key id, the secrets that may sign (several while a key is rotated) and what
 * an agent holding that key may advertise. A JSON file:
 *
 *   { "keys": { "uvic": { "secrets": ["…"], "addresses": ["142.104.0.0/16"], "networks": ["142.104.0.0/16"],
 *                         "hostnames": ["*.uvic.ca"], "sites": ["uvic"] } } }
 */

/** An address (as a /32 or /128) or a CIDR, in the canonical spelling the heartbeat schema produces. */
const addressOrCidr = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const ip = text.includes('/') ? null : parseIpLiteral(text);
    const cidr = ip === null ? parseCidr(text) : `${ip}/${isIpv6Literal(ip) ? 128 : 32}`;
    if (cidr === null) ctx.addIssue({ code: 'custom', message: 'must be an IP address or CIDR (no zone id)' });
    return cidr as string;
  });

const cidr = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const parsed = parseCidr(text);
    if (parsed === null) ctx.addIssue({ code: 'custom', message: 'must be a CIDR such as 10.0.0.0/8' });
    return parsed as string;
  });

/**
 * A hostname pattern: `*` (any name), an exact DNS name, or `*.` + a DNS name (one or more whole labels in
 * front of that name; not the name itself). Names follow the heartbeat's own DNS-name rule, so a pattern
 * can only ever name what a heartbeat can carry.
 */
export type HostnamePattern = { kind: 'any' } | { kind: 'exact'; name: ProxyHost } | { kind: 'under'; suffix: string };

/** The pattern `text` spells (case-folded, a trailing dot dropped), or null. */
export function parseHostnamePattern(text: string): HostnamePattern | null {
  if (text === '*') return { kind: 'any' };
  if (text.startsWith('*.')) {
    const domain = parseDnsName(text.slice(2));
    return domain === null ? null : { kind: 'under', suffix: `.${domain}` };
  }
  // An exact pattern is a name or an address, read by the rules a heartbeat's hostname is read by.
  const name = parseProxyHost(text);
  return name === null ? null : { kind: 'exact', name };
}

/**
 * Whether a heartbeat's hostname is one a pattern allows. The hostname is parsed again as a DNS name
 * (defence in depth: a string that is not one, such as `[x]@127.0.0.1:19050/.uvic.ca`, matches no pattern,
 * not even `*`), and `*.domain` takes whole labels only: `evil-uvic.ca` is not under `uvic.ca`.
 * An IP literal used as hostname matches `*` or the same address written as an exact pattern, never a
 * wildcard (`*.0.0.1` is no way to allow `10.0.0.1`).
 */
export function hostnameAllowed(hostname: string, patterns: readonly HostnamePattern[]): boolean {
  const ip = parseIpLiteral(hostname);
  const name = ip ?? parseDnsName(hostname);
  if (name === null) return false;
  return patterns.some((p) => {
    if (p.kind === 'any') return true;
    if (p.kind === 'exact') return p.name === name;
    // A parsed DNS name is whole labels joined by dots, so a longer name ending in `.domain` has one or
    // more whole labels in front of it.
    return ip === null && name.length > p.suffix.length && name.endsWith(p.suffix);
  });
}

const hostnamePattern = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const pattern = parseHostnamePattern(text);
    if (pattern === null) ctx.addIssue({ code: 'custom', message: 'must be "*", a DNS name, or "*." and a DNS name (such as *.uvic.ca)' });
    return pattern as HostnamePattern;
  });

export const KeyEntrySchema = z
  .object({
    /** HMAC secrets (UTF-8 text); any of them verifies. At least 16 characters: short secrets are guessable. */
    secrets: z.array(z.string().min(16, 'secrets need at least 16 characters').max(1024)).min(1).max(8),
    /** Addresses/CIDRs the agent's public_ip, private_ip and external_ip must fall in. */
    addresses: z.array(addressOrCidr).min(1).max(1024),
    /** CIDRs the agent may declare in `networks` (each declared network must lie inside one of them). */
    networks: z.array(cidr).max(1024).default([]),
    /** Hostnames the agent may advertise: exact names, `*.domain` (one or more labels, then `.domain`) or `*` (any). */
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
  v6: boolean;
  prefix: number;
  matcher: NetworkMatcher;
}

/** `cidr` is canonical (parseCidr), from the keyring schema or the heartbeat schema. */
function parseNetwork(cidr: string): Network | null {
  const canonical = parseCidr(cidr);
  if (canonical === null) return null;
  const [address, bits] = canonical.split('/') as [string, string];
  return { v6: address.includes(':'), prefix: Number(bits), matcher: createNetworkMatcher([canonical]) };
}

/**
 * A declared network lies inside an allowed one when it is no wider and its address is inside: with a
 * prefix at least as long, every address of the declared network shares the bits the allowed one fixes.
 */
function networkInside(declared: string, allowed: readonly Network[]): boolean {
  const d = parseNetwork(declared);
  if (!d) return false;
  const address = (parseCidr(declared) as string).split('/')[0] as string;
  return allowed.some((a) => a.v6 === d.v6 && d.prefix >= a.prefix && a.matcher.has(address));
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
        if (value === undefined) continue;
        // Checked on the parsed, canonical address (`::ffff:142.104.1.1` is 142.104.1.1), never on text.
        const address = parseIpLiteral(value);
        if (address === null) return `${field} is not an IP address`;
        if (!addresses.has(address)) return `${field} ${address} is not among the addresses of key ${keyId}`;
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

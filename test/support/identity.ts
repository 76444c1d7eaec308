import { parseIpLiteral, parsePort, parseProxyHost, type IpLiteral, type Port, type ProxyHost } from '../../shared/identity.js';

/** Typed identity values for tests that build heartbeats by hand; a bad literal fails the test at once. */
export function host(text: string): ProxyHost {
  const value = parseProxyHost(text);
  if (value === null) throw new Error(`test fixture: not a proxy host: ${text}`);
  return value;
}

export function ip(text: string): IpLiteral {
  const value = parseIpLiteral(text);
  if (value === null) throw new Error(`test fixture: not an IP literal: ${text}`);
  return value;
}

export function port(value: number): Port {
  const typed = parsePort(value);
  if (typed === null) throw new Error(`test fixture: not a port: ${value}`);
  return typed;
}

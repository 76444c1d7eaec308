/**
 * A PAC file. The original wrote `PROXY http://host:port;`; PAC engines expect `PROXY host:port`,
 * so this writes the standard form with DIRECT as the last resort.
 */
export function wpadBody(proxies: readonly { host: string; port: number }[]): string {
  const hops = proxies.map((p) => `PROXY ${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`);
  hops.push('DIRECT');
  return `function FindProxyForURL(url, host)\n{\n    return "${hops.join('; ')}";\n}\n`;
}

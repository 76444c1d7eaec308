import { parseProxyMember, type ProxyUrl } from '../../client/proxy-member.js';

/** A checked proxy member for client tests that build lists by hand; a bad literal fails the test at once. */
export function proxy(text: string): ProxyUrl {
  const member = parseProxyMember(text);
  if (member === null) throw new Error(`test fixture: not a proxy member: ${text}`);
  return member.url;
}

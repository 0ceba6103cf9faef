// Who may send requests to a route: its `allowed_senders`, exact addresses or `*@domain`
// patterns, compared without regard to case and in ASCII (IDNA) form on both sides — the
// sender as it came in the header (mail-address.ts), a pattern such as `*@münchen.de` as
// `*@xn--mnchen-3ya.de`. An empty list lets anyone in.
import { domainToASCII } from 'node:url';
import type { RouteConfig } from '../config/schema.ts';
import { asciiAddress } from '../ascii-address.ts';
import { bareAddress } from './mail-headers.ts';

export function isSenderAllowed(sender: string, allowedSenders: readonly string[]): boolean {
  if (allowedSenders.length === 0) return true;
  const address = asciiAddress(bareAddress(sender));
  if (address === null) return false;
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return allowedSenders.some((pattern) => {
    const p = pattern.trim().toLowerCase();
    return p.startsWith('*@') ? domain === domainToASCII(p.slice(2)) : address === asciiAddress(p);
  });
}

/** Whether any route accepts this sender: decides if an unknown-route mail deserves a reply. */
export function isSenderAllowedAnywhere(sender: string, routes: Record<string, RouteConfig>): boolean {
  return Object.values(routes).some((route) => isSenderAllowed(sender, route.allowed_senders));
}

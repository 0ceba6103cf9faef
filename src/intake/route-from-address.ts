// Which route a request mail selects: the `+tag` of the request address it was sent to
// (sign+hr@corp.example → hr; sign@corp.example → default). Envelope fields added at
// delivery (Delivered-To, X-Original-To) come first because they name the address this
// copy was delivered for; To and Cc are the fallback when the server adds neither.
import type { ParsedMail } from 'mailparser';
import { addressesInText, addressesOf, addressParts, rawHeaderValues } from '../message/mail-headers.ts';

export const DEFAULT_ROUTE = 'default';
const ENVELOPE_HEADERS = ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to'];

export interface RouteMatch {
  /** Route name, lower case. */
  route: string;
  /** The recipient address that selected it; null when no recipient field names the request address (e.g. Bcc). */
  address: string | null;
}

export function routeFromAddress(mail: Pick<ParsedMail, 'headerLines' | 'to' | 'cc'>, requestAddress: string): RouteMatch {
  const request = addressParts(requestAddress);
  const candidates = [
    ...ENVELOPE_HEADERS.flatMap((name) => rawHeaderValues(mail, name).flatMap(addressesInText)),
    ...addressesOf(mail.to),
    ...addressesOf(mail.cc),
  ];
  for (const address of candidates) {
    const parts = addressParts(address);
    if (!request || !parts || parts.base !== request.base || parts.domain !== request.domain) continue;
    return { route: parts.tag ? parts.tag : DEFAULT_ROUTE, address: address.toLowerCase() };
  }
  return { route: DEFAULT_ROUTE, address: null };
}

/** The address that selects a route, for replies that list the routes. */
export function routeAddress(requestAddress: string, route: string): string {
  const parts = addressParts(requestAddress);
  if (!parts) return requestAddress;
  return route === DEFAULT_ROUTE ? `${parts.base}@${parts.domain}` : `${parts.base}+${route}@${parts.domain}`;
}

export function unknownRouteProblem(match: RouteMatch, requestAddress: string, routes: string[]): string {
  const known = [...routes].sort((a, b) => (a === DEFAULT_ROUTE ? -1 : b === DEFAULT_ROUTE ? 1 : a.localeCompare(b)))
    .map((r) => routeAddress(requestAddress, r)).join(', ');
  return `there is no route "${match.route}" (you wrote to ${match.address ?? routeAddress(requestAddress, match.route)}): send the request to one of ${known}`;
}

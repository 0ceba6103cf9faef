// The address a requester's replies go to: the request mailbox with the request's token as
// its subaddress (sign+TOKEN@corp.example), and how a mail in that mailbox is recognised as
// such a reply. Pure.
//
// Why the request mailbox and not the return mailbox (returns+TOKEN@): the return address is
// what the provider mails its completion to, and its watcher takes what arrives as provider
// mail (completion.allowed_senders, a completion trigger for the token's request). A reply
// sent there would be a requester's mail in the provider's channel. In the request mailbox it
// is read by the watcher that already applies the requester's rules (allow-list,
// authentication, RFC 3834), and a provider never writes there: a reply command can never be
// taken as a completion, nor a completion as a command. A token is 20 base32 characters, so it
// cannot be mistaken for a route's `+tag` (route names are the config's own short words).
import type { ParsedMail } from 'mailparser';
import { isRequestToken } from '../pdf/request-token.ts';
import { addressesInText, addressesOf, addressParts, rawHeaderValues } from '../message/mail-headers.ts';

const RECIPIENT_HEADERS = ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to'];

/** sign@corp.example + token → sign+token@corp.example (any +tag of the configured address dropped). */
export function conversationAddress(requestAddress: string, token: string): string {
  const parts = addressParts(requestAddress);
  if (!parts || !isRequestToken(token)) throw new RangeError(`cannot make a reply address from "${requestAddress}" and "${token}"`);
  return `${parts.base}+${token}@${parts.domain}`;
}

export interface ReplyKeys {
  /** Request tokens found as the +tag of the request address among the recipients. */
  tokens: string[];
  /** In-Reply-To and References, newest first: an acknowledgement's or an answer's Message-ID finds the request. */
  messageIds: string[];
}

export type ReplyHeaders = Pick<ParsedMail, 'headerLines' | 'to' | 'cc' | 'inReplyTo' | 'references'>;

export function replyKeys(mail: ReplyHeaders, requestAddress: string): ReplyKeys {
  const request = addressParts(requestAddress);
  const recipients = [
    ...RECIPIENT_HEADERS.flatMap((name) => rawHeaderValues(mail, name).flatMap(addressesInText)),
    ...addressesOf(mail.to), ...addressesOf(mail.cc),
  ];
  const tokens = new Set<string>();
  for (const address of recipients) {
    const parts = addressParts(address);
    if (!request || !parts || parts.base !== request.base || parts.domain !== request.domain || !parts.tag) continue;
    if (isRequestToken(parts.tag)) tokens.add(parts.tag);
  }
  const references = mail.references === undefined ? [] : Array.isArray(mail.references) ? mail.references : [mail.references];
  const messageIds = [...new Set([...(mail.inReplyTo ? [mail.inReplyTo] : []), ...[...references].reverse()])].filter((id) => id.length <= 998);
  return { tokens: [...tokens], messageIds };
}

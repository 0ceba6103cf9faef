// The address a requester's replies go to: the request mailbox with the acknowledgement's
// reply secret as its subaddress (sign+SECRET@corp.example), and how a mail in that mailbox
// is recognised as such a reply. Pure, but for the secret's randomness.
//
// Why a secret of its own and not the request token: the token is no secret — it is in the
// PDF every signer gets (return tag, metadata), in the file name uploaded to the provider and
// in returns+TOKEN@. A reply address made from it would let any signer act on the request.
// The secret (32 base32 characters = 160 random bits, crypto.randomBytes) is only in the
// acknowledgement and its answers, which go to the requester alone. A mail to sign+TOKEN@ is
// still recognised (as no request, and no command: decide-reply.ts).
//
// Why the request mailbox and not the return mailbox (returns+TOKEN@): the return address is
// what the provider mails its completion to, and its watcher takes what arrives as provider
// mail (completion.allowed_senders, a completion trigger for the token's request). A reply
// sent there would be a requester's mail in the provider's channel. In the request mailbox it
// is read by the watcher that already applies the requester's rules (allow-list,
// authentication, RFC 3834), and a provider never writes there: a reply command can never be
// taken as a completion, nor a completion as a command. A secret is 32 and a token 20 base32
// characters, so neither is mistaken for a route's `+tag` (the config's own short words).
import type { ParsedMail } from 'mailparser';
import { isRequestToken, randomBase32 } from '../pdf/request-token.ts';
import { addressesInText, addressesOf, addressParts, messageIdList, rawHeaderValues } from '../message/mail-headers.ts';

const RECIPIENT_HEADERS = ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to'];

const REPLY_SECRET_LENGTH = 32;
const SECRET_RE = new RegExp(`^[a-z2-7]{${REPLY_SECRET_LENGTH}}$`);

/** A fresh reply secret for one acknowledgement (and the answers in its conversation). */
export function newReplySecret(): string {
  return randomBase32(REPLY_SECRET_LENGTH);
}

/** sign@corp.example + secret → sign+secret@corp.example (any +tag of the configured address dropped). */
export function conversationAddress(requestAddress: string, secret: string): string {
  const parts = addressParts(requestAddress);
  if (!parts || !SECRET_RE.test(secret)) throw new RangeError(`cannot make a reply address from "${requestAddress}" and a reply secret`);
  return `${parts.base}+${secret}@${parts.domain}`;
}

export interface ReplyKeys {
  /** Reply secrets found as the +tag of the request address among the recipients. */
  secrets: string[];
  /** Request tokens found there: a mail to sign+TOKEN@, which is no reply (the token is no secret). */
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
  const secrets = new Set<string>();
  const tokens = new Set<string>();
  for (const address of recipients) {
    const parts = addressParts(address);
    if (!request || !parts || parts.base !== request.base || parts.domain !== request.domain || !parts.tag) continue;
    if (SECRET_RE.test(parts.tag)) secrets.add(parts.tag);
    else if (isRequestToken(parts.tag)) tokens.add(parts.tag);
  }
  const messageIds = [...new Set([...(mail.inReplyTo ? [mail.inReplyTo] : []), ...messageIdList(mail.references).reverse()])].filter((id) => id.length <= 998);
  return { secrets: [...secrets], tokens: [...tokens], messageIds };
}


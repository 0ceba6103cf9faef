// Who a reply (and every later notice) goes to. The allow-list and the authentication rule
// are checked against the From; a Reply-To is the sender's wish, not a fact: without this,
// `From: payroll@corp.example` with `Reply-To: victim@third.example` turned signrelay into a
// relay that mailed any stranger from the organisation's own address. So the Reply-To is
// used only when it could itself have sent the request — it passes the route's
// allow-list and, when authentication is required, lies in the authenticated From domain —
// else the From is answered; never signrelay's own addresses, and never the ServiceNow
// instance's unless it is the From (a request the instance sent itself): operators list the
// instance in allowed_senders for its "Send for signature" mails, and a Reply-To naming it
// had a stranger's text mailed to the instance, whose inbound actions filed it on the record
// the subject's watermark named. Pure.
import { isAligned } from '../message/check-authentication.ts';
import type { MailFacts } from './mail-facts.ts';
import { addressParts, sameMailbox } from '../message/mail-headers.ts';

export interface ReplyAddressRules {
  /** Whether an address may send requests here (the route's allow-list; any route's for an unknown route). */
  allowed(address: string): boolean;
  /** The setting the allow-list comes from, for the explanation. */
  allowedSetting: string;
  /** Whether authentication (DKIM/SPF/DMARC of the From) is required for this mail. */
  authenticated: boolean;
  /** signrelay's own addresses: never answered. */
  ownAddresses: readonly string[];
  /** Whether an address is the ServiceNow instance's (intake-policy.ts isInstanceAddress): answered only as the From. */
  isInstance(address: string): boolean;
}

export interface ReplyAddress {
  /** The address answers go to; null when there is none that may be. */
  to: string | null;
  /** Why a Reply-To was passed over, or why nobody can be answered; null when the obvious address was taken. */
  note: string | null;
}

export function chooseReplyAddress(facts: Pick<MailFacts, 'sender' | 'replyTo'>, rules: ReplyAddressRules): ReplyAddress {
  const fromDomain = facts.sender ? addressParts(facts.sender)?.domain ?? null : null;
  const refusal = (address: string): string | null => {
    if (rules.ownAddresses.some((own) => sameMailbox(address, own))) return `${address} is signrelay's own address`;
    if (!rules.allowed(address)) return `${address} is not allowed by ${rules.allowedSetting}`;
    if (rules.authenticated && (fromDomain === null || !isAligned(addressParts(address)?.domain ?? null, fromDomain))) {
      return `${address} is not in the authenticated From domain`;
    }
    return null;
  };
  const replyToRefused = facts.replyTo && facts.replyTo !== facts.sender
    ? (rules.isInstance(facts.replyTo) ? `${facts.replyTo} is the ServiceNow instance, which files what it is sent on a record` : refusal(facts.replyTo))
    : null;
  if (facts.replyTo && replyToRefused === null) return { to: facts.replyTo, note: null };
  const senderRefused = facts.sender ? refusal(facts.sender) : 'the mail has no From address';
  if (senderRefused === null) {
    return { to: facts.sender, note: replyToRefused ? `not the Reply-To: ${replyToRefused}; the From is answered` : null };
  }
  return { to: null, note: [replyToRefused, senderRefused].filter(Boolean).join('; ') };
}

// The facts of a request mail that a decision or a reply needs, whatever the parse result.
// Addresses as they came (mail-address.ts), so an allow-list is checked against the
// address that is really there.
import type { ParsedMail } from 'mailparser';
import { headerAddresses } from '../message/mail-address.ts';

export interface MailFacts {
  /** First From address, ASCII form, lower case; null when the mail has none or it cannot be trusted. */
  sender: string | null;
  /** First Reply-To address, ASCII form, lower case; null when there is none or it cannot be trusted. */
  replyTo: string | null;
  /** Why an address field cannot be trusted (it decodes to another address, or is there twice); null when it can. */
  addressProblem: string | null;
  subject: string;
  messageId: string | null;
  references: string[];
}

export type FactsMail = Pick<ParsedMail, 'headerLines' | 'from' | 'replyTo' | 'subject' | 'messageId' | 'references'>;

export function mailFacts(mail: FactsMail): MailFacts {
  const from = headerAddresses(mail, 'from');
  const replyTo = headerAddresses(mail, 'reply-to');
  const references = mail.references === undefined ? [] : Array.isArray(mail.references) ? mail.references : [mail.references];
  return {
    sender: from.addresses[0] ?? null,
    replyTo: replyTo.addresses[0] ?? null,
    addressProblem: from.problem ?? replyTo.problem,
    subject: (mail.subject ?? '').trim(),
    messageId: mail.messageId ?? null,
    references,
  };
}

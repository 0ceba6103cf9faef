// Whether a mail holds anything of a request: a PDF (or an S/MIME package that may hold one), or a line of the request language that
// names the record or a signer. A mail with none of it that is refused is, as like as not, a
// machine's — an autoresponder without a header that says so, a notification — and is
// treated more sparingly: the instance's is not reported on its record
// (refusal-on-record.ts), and a person's address gets at most one reply a day for such mail
// (process-request-mail.ts; RFC 3834 §2 asks responders not to answer one sender again and
// again).
import type { ParsedMail } from 'mailparser';
import { requestText, type ForwardedText } from '../message/read-request-mail.ts';
import { findDirectives } from './directive-lines.ts';
import { isPdfAttachment } from './find-documents.ts';
import { isSmimePackage } from '../message/smime.ts';

export function asksForSignature(mail: Pick<ParsedMail, 'attachments' | 'text' | 'textAsHtml' | 'html' | 'headers'> & ForwardedText): boolean {
  // An S/MIME package holds the request where it cannot be seen: its writer did ask, and a
  // second try (their client signs every mail) must be answered too.
  if (mail.attachments.some((a) => isPdfAttachment(a) || isSmimePackage(a))) return true;
  const body = requestText(mail);
  return findDirectives(body, 'record').length > 0 || findDirectives(body, 'signer').length > 0;
}

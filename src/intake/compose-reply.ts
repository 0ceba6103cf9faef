// The one reply a rejected requester gets: what was wrong, how to fix it, a reminder of the
// request language, and enough of the original to recognise it. Marked as an automatic
// reply (RFC 3834) and with our own header so neither side answers it again.
import type { ParsedMail } from 'mailparser';
import type { SendMailOptions } from 'nodemailer';
import { SignrelayError } from '../errors.ts';
import { mailFacts } from './mail-headers.ts';

export type OriginalMail = Pick<ParsedMail, 'from' | 'replyTo' | 'subject' | 'messageId' | 'references' | 'date'>;

export const EXAMPLE_REQUEST_ADDRESS = 'sign@corp.example';

/**
 * The request language in a few lines, for replies and the README. No line starts with a
 * keyword: when a requester replies quoting it, it must not be read as their request.
 */
export function requestLanguageHelp(requestAddress: string = EXAMPLE_REQUEST_ADDRESS): string {
  const [address = 'sign', domain = 'corp.example'] = requestAddress.split('@');
  const local = address.split('+')[0]!;
  return [
    'How to ask for signatures:',
    `  To:         ${requestAddress}, or ${local}+ROUTE@${domain} for a route (e.g. ${local}+hr@${domain})`,
    '  Subject:    the ServiceNow record number, e.g. "Contract for RITM0010001"',
    '  Attach:     the documents to be signed, as PDF files',
    '  In the body, one line each (optional when the route has defaults):',
    '    "Signer 1: First Last <first.last@example.com>", then "Signer 2: …" in signing order',
    '    "Due: 2026-12-24" or "Due: 14d" (days from today)',
    '    "Record: RITM0010001" or "Record: table/sys_id" when the subject has no record number',
  ].join('\n');
}

export const REQUEST_LANGUAGE_HELP = requestLanguageHelp();

export interface RejectionReplyOptions {
  /** The request address to name in the help text and to set as Reply-To, so a reply with the fix arrives. */
  requestAddress?: string;
}

export function composeRejectionReply(original: OriginalMail, reason: string, from: string, options: RejectionReplyOptions = {}): SendMailOptions {
  const facts = mailFacts(original);
  if (facts.requester === null) {
    throw new SignrelayError('input', 'no-requester', 'cannot reply: the mail has neither Reply-To nor From');
  }
  const references = [...new Set([...facts.references, ...(facts.messageId ? [facts.messageId] : [])])];
  const text = [
    'Hello,',
    '',
    'signrelay could not start a signature request from your mail:',
    '',
    ...problemLines(reason),
    '',
    `Please fix this and send the mail again${options.requestAddress ? ` to ${options.requestAddress}` : ''}, with the PDF attached.`,
    '',
    requestLanguageHelp(options.requestAddress),
    '',
    'Your mail:',
    `> Subject: ${facts.subject || '(no subject)'}`,
    ...(original.date ? [`> Date: ${original.date.toUTCString()}`] : []),
    '',
    '-- ',
    'signrelay (automatic reply)',
    '',
  ].join('\n');
  return {
    from,
    to: facts.requester,
    ...(options.requestAddress ? { replyTo: options.requestAddress } : {}),
    subject: replySubject(facts.subject),
    ...(facts.messageId ? { inReplyTo: facts.messageId } : {}),
    ...(references.length > 0 ? { references } : {}),
    headers: {
      'Auto-Submitted': 'auto-replied',
      'X-Auto-Response-Suppress': 'All',
      'X-Signrelay': 'reply',
    },
    text,
  };
}

/** `Re: <subject>` without stacking prefixes (`RE: Re: AW:` → `Re:`). */
export function replySubject(subject: string): string {
  const bare = subject.replace(/^(?:\s*(?:re|aw|sv|antw)(?:\[\d+\])?\s*:\s*)+/i, '').trim();
  return `Re: ${bare || 'your signature request'}`;
}

/** The reason as a list: each problem on a `- ` line. */
function problemLines(reason: string): string[] {
  return reason.split('\n').filter((l) => l.trim() !== '').map((l) => (l.startsWith('- ') ? l : `- ${l}`));
}

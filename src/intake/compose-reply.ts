// The one reply a rejected requester gets: what was wrong, how to fix it, a reminder of the
// request language, and enough of the original to recognise it. Marked as an automatic
// reply (RFC 3834) and with our own header so neither side answers it again.
//
// Nothing from the mail comes back unbounded: the subject is cut (and its links defused)
// in the reply's subject and in the quote, each problem is one line of bounded length, and
// at most MAX_PROBLEMS are listed, with a count of the rest. Who it goes to was decided
// before (reply-address.ts).
import type { ParsedMail } from 'mailparser';
import type { SendMailOptions } from 'nodemailer';
import { automaticReplyHeaders, automaticSignature } from '../notices/automatic-reply.ts';
import { defuseLinks, quoteOutside, threadTo } from '../outside-text.ts';

export type OriginalMail = Pick<ParsedMail, 'subject' | 'messageId' | 'references' | 'date'>;

export const MAX_PROBLEMS = 5;
export const MAX_PROBLEM_CHARS = 1000;
/**
 * The original subject repeated in the answer, at most this long: bounded, and long enough that
 * the answer's subject is the request's own behind `Re:` — Gmail threads a reply only then
 * (outgoing review L1: cut at 80, a longer subject's answer started a conversation of its own).
 */
const MAX_SUBJECT_CHARS = 200;

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
  /** Who the reply goes to (reply-address.ts decided). */
  to: string;
  /** The request address to name in the help text. */
  requestAddress?: string;
  /** Where to send the fixed mail, set as Reply-To so a Reply arrives there: the route's address (default: requestAddress). */
  sendAgainTo?: string;
}

export function composeRejectionReply(original: OriginalMail, problems: readonly string[], from: string, options: RejectionReplyOptions): SendMailOptions {
  const subject = quotedSubject(original.subject ?? '');
  const sendAgainTo = options.sendAgainTo ?? options.requestAddress;
  // Only ids that fit in a header as they are: the sender wrote them (threadableId).
  const earlier = original.references === undefined ? [] : Array.isArray(original.references) ? original.references : [original.references];
  const { inReplyTo, references } = threadTo(original.messageId, earlier);
  const text = [
    'Hello,',
    '',
    'signrelay could not start a signature request from your mail:',
    '',
    ...problemLines(problems),
    '',
    `Please fix this and send the mail again${sendAgainTo ? ` to ${sendAgainTo}` : ''}, with the PDF attached.`,
    '',
    requestLanguageHelp(options.requestAddress),
    '',
    'Your mail:',
    `> Subject: ${subject || '(no subject)'}`,
    ...(original.date ? [`> Date: ${original.date.toUTCString()}`] : []),
    '',
    ...automaticSignature(),
  ].join('\n');
  return {
    from,
    to: options.to,
    ...(sendAgainTo ? { replyTo: sendAgainTo } : {}),
    subject: replySubject(subject),
    ...(inReplyTo ? { inReplyTo } : {}),
    ...(references.length > 0 ? { references } : {}),
    headers: automaticReplyHeaders('reply'),
    text,
  };
}

/**
 * `Re: <subject>` without stacking prefixes, whatever language the client writes them in: the
 * reply prefixes go (`RE: VS: Odp: AW:` → `Re:`), and of the forward prefixes among them the
 * first stays (`Fwd: Lease` → `Re: Fwd: Lease`, `Re: WG: Re: WG: Vertrag` → `Re: WG: Vertrag`):
 * the subject still says the request was forwarded, once.
 */
export function replySubject(subject: string): string {
  const prefixes = SUBJECT_PREFIXES.exec(subject)![0];
  const forward = [...prefixes.matchAll(PREFIX)].map((m) => m[1]!).find((word) => FORWARD_WORDS.test(word));
  const bare = subject.slice(prefixes.length).trim();
  return `Re: ${forward ? `${forward}: ` : ''}${bare || 'your signature request'}`;
}

/**
 * Reply prefixes mail clients write: Re, AW (German), SV (Nordic), Antw (Dutch), VS/Vs
 * (Finnish), Odp (Polish), RIF (Italian), YNT (Turkish), Vá (Hungarian), Odg (Croatian,
 * Serbian), Ats (Lithuanian), Atb (Latvian), Отв (Russian), ΑΠ/ΣΧΕΤ (Greek), 回复/回覆/答复
 * (Chinese), 返信 (Japanese).
 */
const REPLY_WORDS = String.raw`re|aw|sv|antw|vs|odp|rif|ynt|vá|odg|ats|atb|отв|απ|σχετ|回复|回覆|答复|答覆|返信`;
/** Forward prefixes: Fwd/Fw, WG (German), TR (French), Doorst (Dutch), VB (Swedish), VL (Finnish), RV (Spanish), ENC (Portuguese), PD (Polish), Пересл (Russian), ΠΡΘ (Greek), 转发/轉寄 (Chinese), 転送 (Japanese). */
const FORWARD_WORDS_SOURCE = String.raw`fwd?|wg|tr|doorst|vb|vl|rv|enc|pd|пересл|πρθ|转发|轉寄|転送`;
const FORWARD_WORDS = new RegExp(`^(?:${FORWARD_WORDS_SOURCE})$`, 'iu');
/** One prefix: the word, a counter some clients add (`Re[2]:`), a colon of either width. */
const PREFIX_SOURCE = String.raw`\s*(${REPLY_WORDS}|${FORWARD_WORDS_SOURCE})(?:\[\d+\])?\s*[:：]`;
const PREFIX = new RegExp(PREFIX_SOURCE, 'giu');
const SUBJECT_PREFIXES = new RegExp(`^(?:${PREFIX_SOURCE})*`, 'iu');

/** Each problem on one `- ` line, bounded, at most MAX_PROBLEMS of them. */
function problemLines(problems: readonly string[]): string[] {
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => `- ${quoteOutside(defuseLinks(p), MAX_PROBLEM_CHARS)}`);
  const rest = problems.length - shown.length;
  return rest > 0 ? [...shown, `- and ${rest} more problem${rest === 1 ? '' : 's'}: fix these first, then send the mail again`] : shown;
}

/** A subject as it may be quoted back: one line, cut, links defused (`https://x` → `https[:]//x`, `www.` → `www[.]`). */
export function quotedSubject(subject: string): string {
  return quoteOutside(defuseLinks(subject), MAX_SUBJECT_CHARS);
}

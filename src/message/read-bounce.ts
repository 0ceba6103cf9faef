// A bounce of a mail, read: which mail it returns (the Message-ID its quoted header names)
// and what the mail system said. Pure. Two forms:
// - RFC 3464: a multipart/report (report-type=delivery-status), its message/delivery-status
//   part (per recipient: Final-Recipient, Action, Status, Diagnostic-Code) and the original's
//   header as a text/rfc822-headers part, or the original itself as message/rfc822 — Postfix,
//   Exim, Exchange and Office 365, Gmail;
// - quoted: a mail system's text that quotes the original's header lines (qmail, older
//   Exchange and Notes, some appliances), or attaches the original without a report.
// Who may send a bounce: a mail system — a null return path, or MAILER-DAEMON, postmaster,
// Exchange's MicrosoftExchange<hex> in From. That is no proof (anyone can write those), only
// what tells a bounce from a person's mail quoting ours (a forward of an acknowledgement);
// whether it names a mail signrelay sent is the caller's to check (intake/process-bounce.ts),
// and that is what a forger cannot guess.
import type { Attachment, ParsedMail } from 'mailparser';
import { quoteOutside } from '../outside-text.ts';
import { addressesOf, addressParts, contentTypeOf, rawHeaderValues } from './mail-headers.ts';

export type BounceMail = Pick<ParsedMail, 'headerLines' | 'headers' | 'from' | 'attachments' | 'text'> & Partial<Pick<ParsedMail, 'subject'>>;

export interface BounceRecipient {
  recipient: string | null;
  action: string | null;
  status: string | null;
  diagnostic: string | null;
}

export interface Bounce {
  form: 'report' | 'quoted';
  /** What marks it as a mail system's: `null return path`, or the From address. */
  sender: string;
  /** The returned mail's Message-IDs as its quoted header gives them (normally one), at most MAX_ORIGINAL_IDS. */
  originalIds: string[];
  /** The returned mail's X-Signrelay value (its purpose), when its header came back with it. */
  signrelayKind: string | null;
  recipients: BounceRecipient[];
  /** `failed`: a recipient failed for good; `delayed`: still being tried; `other`: delivered, relayed, expanded. */
  verdict: 'failed' | 'delayed' | 'other';
  /** What the mail system said, on one line and bounded: outside text. */
  reason: string;
}

/** Local parts only mail systems send from: the RFC 5321 names and Exchange's system mailbox. */
const MAIL_SYSTEM_LOCAL_RE = /^(?:mailer-daemon|postmaster|microsoftexchange[0-9a-f]{32})$/;
const STATUS_PART_TYPES = ['message/delivery-status', 'message/global-delivery-status'];
const HEADER_PART_TYPES = ['text/rfc822-headers', 'message/rfc822', 'message/global', 'message/global-headers'];
/** A bounce names one original; a few more are looked up at most (a text quoting a thread). */
export const MAX_ORIGINAL_IDS = 5;
const MAX_REASON_CHARS = 300;

/** Whether an address is a mail system's own (MAILER-DAEMON@, postmaster@, Exchange's MicrosoftExchange<hex>@). */
export function isMailSystemAddress(address: string): boolean {
  return MAIL_SYSTEM_LOCAL_RE.test(addressParts(address)?.base ?? address.toLowerCase());
}

/** What marks the mail as a mail system's, or null: a null return path, or a mail system's From. */
export function mailSystemSender(mail: Pick<ParsedMail, 'headerLines' | 'from'>): string | null {
  if (rawHeaderValues(mail, 'return-path').some((v) => v.replace(/[<>\s]/g, '') === '')) return 'null return path';
  return addressesOf(mail.from).find(isMailSystemAddress) ?? null;
}

/** The bounce this mail is, or null: not a mail system's, or naming no original by Message-ID. */
export function readBounce(mail: BounceMail): Bounce | null {
  const sender = mailSystemSender(mail);
  if (!sender) return null;
  const headerBlocks = mail.attachments.filter((a) => HEADER_PART_TYPES.includes(a.contentType.toLowerCase())).map(headerBlockOf);
  const statusPart = mail.attachments.find((a) => STATUS_PART_TYPES.includes(a.contentType.toLowerCase()));
  const quoted = [...headerBlocks, mail.text ?? ''].join('\n');
  const originalIds = quotedValues(quoted, 'message-id', /<[^<>\s]+>/).slice(0, MAX_ORIGINAL_IDS);
  if (originalIds.length === 0) return null;
  const signrelayKind = quotedValues(quoted, 'x-signrelay', /[\w-]+/)[0]?.toLowerCase() ?? null;
  const recipients = statusPart ? readDeliveryStatus(statusPart.content.toString('utf8')) : [];
  const form = isDeliveryReport(mail) || statusPart ? 'report' : 'quoted';
  const verdict = recipients.length > 0 ? verdictOf(recipients) : /\b(?:delay(?:ed)?|warning)\b/i.test(mail.subject ?? '') ? 'delayed' : 'failed';
  return { form, sender, originalIds, signrelayKind, recipients, verdict, reason: reasonOf(recipients, verdict, mail.text ?? '') };
}

function isDeliveryReport(mail: Pick<ParsedMail, 'headers'>): boolean {
  const { type, params } = contentTypeOf(mail.headers);
  return type === 'multipart/report' && /^(?:global-)?delivery-status$/i.test(params['report-type'] ?? '');
}

/** An attached message's or header part's header block: up to its first empty line. */
function headerBlockOf(part: Attachment): string {
  const text = part.content.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/**
 * The values of a header field wherever a line quotes it — a header block, or a bounce's text
 * with the lines as the original had them, `>`-quoted or indented — unfolded, in order.
 */
function quotedValues(text: string, field: string, value: RegExp): string[] {
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ');
  const line = new RegExp(`^[>\\s]*${field}[ \\t]*:[ \\t]*(${value.source})`, 'gim');
  return [...new Set([...unfolded.matchAll(line)].map((m) => m[1]!))];
}

/**
 * RFC 3464's fields: a per-message group, then one group per recipient, separated by empty
 * lines. Only the recipient groups are kept; `rfc822; a@b` → `a@b`.
 */
export function readDeliveryStatus(text: string): BounceRecipient[] {
  const groups = text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n\s*\r?\n/).map(fieldsOf);
  return groups.filter((g) => g.has('final-recipient') || g.has('action')).map((g) => ({
    recipient: typed(g.get('final-recipient') ?? g.get('original-recipient')),
    action: g.get('action')?.toLowerCase().split(/[\s(]/)[0] ?? null,
    status: g.get('status')?.split(/[\s(]/)[0] ?? null,
    diagnostic: typed(g.get('diagnostic-code')),
  }));
}

function fieldsOf(group: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of group.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return fields;
}

/** `rfc822; a@b` → `a@b`; `smtp; 552 5.3.4 …` → `552 5.3.4 …`. */
function typed(value: string | undefined): string | null {
  if (value === undefined) return null;
  const semicolon = value.indexOf(';');
  return (semicolon < 0 ? value : value.slice(semicolon + 1)).trim() || null;
}

function verdictOf(recipients: BounceRecipient[]): Bounce['verdict'] {
  if (recipients.some((r) => r.action === 'failed')) return 'failed';
  if (recipients.some((r) => r.action === 'delayed')) return 'delayed';
  return 'other';
}

/** Per recipient of the verdict, its status and the remote server's words; else the text's first lines. */
function reasonOf(recipients: BounceRecipient[], verdict: Bounce['verdict'], text: string): string {
  const told = recipients.filter((r) => verdict === 'other' || r.action === verdict)
    .map((r) => [r.recipient, r.status && `Status ${r.status}`, r.diagnostic].filter(Boolean).join(': '));
  if (told.length > 0) return quoteOutside(told.join('; '), MAX_REASON_CHARS);
  // Above the quoted original: the mail system's own words.
  const own = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const quoteAt = own.findIndex((l) => /^[>\s]*(?:received|return-path|message-id|from|x-signrelay)[ \t]*:/i.test(l));
  return quoteOutside((quoteAt < 0 ? own : own.slice(0, quoteAt)).join(' '), MAX_REASON_CHARS) || 'the mail system gave no reason';
}

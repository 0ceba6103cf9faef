// How the simulated instance classifies an inbound mail (SERVICENOW.md "Inbound email"),
// in ServiceNow's order: Forward (forward prefix + "From:" in the body) wins even over a
// watermark; Reply by (1) the last watermark in subject or body, (2) a reply prefix
// (case-sensitive) and exactly one record number with spaces around it in the subject,
// (3) In-Reply-To naming a mail the instance sent; New otherwise. Pure: lookups are passed in.
import { randomBytes } from 'node:crypto';

export type InboundClassification = 'forward' | 'reply' | 'new';
export type MatchedBy = 'watermark' | 'number' | 'in-reply-to';

export interface InboundMailFacts {
  subject: string;
  text: string;
  inReplyTo: string | null;
}

export interface ClassifyInboundOptions {
  replyPrefixes: string[];
  forwardPrefixes: string[];
  /** Watermark (without `Ref:`) → record sys_id, for watermarks the instance issued. */
  watermark(mark: string): string | undefined;
  /** Record number → sys_ids of records with that number. */
  recordsNumbered(number: string): string[];
  /** Message-ID the instance sent → record sys_id. */
  sentMail(messageId: string): string | undefined;
}

export interface InboundVerdict {
  classification: InboundClassification;
  matchedBy?: MatchedBy;
  sysId?: string;
  /** Why a mail that looked like a reply was not one. */
  note?: string;
}

export const DEFAULT_REPLY_PREFIXES = ['re:', 'aw:', 'r:', 'Accepted:', 'Tentative:', 'Declined:'];
export const DEFAULT_FORWARD_PREFIXES = ['fw:', 'fwd:'];

const WATERMARK_RE = /Ref:(MSG\d+(?:_[A-Za-z0-9]+)?)/g;
/** A token that is a record number: letters then digits, nothing attached. */
const NUMBER_TOKEN_RE = /^[A-Z]{2,8}\d{5,}$/;
const WATERMARK_RANDOM_CHARS = 20;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `MSG0000123_xxxxxxxxxxxxxxxxxxxx` (current releases) or `MSG71528958` (older ones). */
export function newWatermark(counter: number, legacy = false): string {
  if (legacy) return `MSG${String(70_000_000 + counter).padStart(8, '0')}`;
  const bytes = randomBytes(WATERMARK_RANDOM_CHARS);
  const random = Array.from(bytes, (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
  return `MSG${String(counter).padStart(7, '0')}_${random}`;
}

function lastWatermark(facts: InboundMailFacts): string | undefined {
  const marks = [...`${facts.subject}\n${facts.text}`.matchAll(WATERMARK_RE)].map((m) => m[1]!);
  return marks.at(-1);
}

function startsWithAny(subject: string, prefixes: string[], caseSensitive: boolean): boolean {
  const s = subject.trimStart();
  return prefixes.some((p) => (caseSensitive ? s.startsWith(p) : s.toLowerCase().startsWith(p.toLowerCase())));
}

export function classifyInbound(facts: InboundMailFacts, options: ClassifyInboundOptions): InboundVerdict {
  // Forward prefixes are compared ignoring case (Outlook writes "FW:", others "Fwd:"): the
  // safe side for a simulator that must never attach a forwarded mail.
  if (startsWithAny(facts.subject, options.forwardPrefixes, false) && facts.text.includes('From:')) return { classification: 'forward' };

  const mark = lastWatermark(facts);
  const marked = mark === undefined ? undefined : options.watermark(mark);
  if (marked !== undefined) return { classification: 'reply', matchedBy: 'watermark', sysId: marked };
  let note = mark === undefined ? undefined : `watermark Ref:${mark} was not issued by this instance`;

  if (startsWithAny(facts.subject, options.replyPrefixes, true)) {
    const numbers = facts.subject.split(/\s+/).filter((token) => NUMBER_TOKEN_RE.test(token));
    const known = numbers.flatMap((n) => options.recordsNumbered(n).map((sysId) => ({ n, sysId })));
    if (numbers.length === 1 && known.length === 1) return { classification: 'reply', matchedBy: 'number', sysId: known[0]!.sysId };
    note = numbers.length === 0 ? 'reply prefix but no record number with spaces around it in the subject'
      : numbers.length > 1 ? `more than one record number in the subject (${numbers.join(', ')})`
        : known.length === 0 ? `no record numbered ${numbers[0]}` : `more than one record numbered ${numbers[0]}`;
  }

  const replied = facts.inReplyTo === null ? undefined : options.sentMail(facts.inReplyTo);
  if (replied !== undefined) return { classification: 'reply', matchedBy: 'in-reply-to', sysId: replied };
  return { classification: 'new', ...(note ? { note } : {}) };
}

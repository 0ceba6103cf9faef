// The work notes signrelay writes on a record, pure: sent, a signer's signature (progress),
// reminded, a moved due date (extended), refused (declined, expired), withdrawn, failed and signed (also the body of the mail to the instance in
// email mode), and a request started from the record that signrelay refused (not sent). Each names its request and the request's signers. Every outside value in
// them — signer names and addresses, provider references and words, reasons — goes through
// record-text.ts, so a note is our own sentence with inert, bounded values in it, never
// markup, a mention or a line someone else wrote; words someone else wrote (a decline or
// cancel reason) are quoted and named as theirs. A signing link never appears: it is the
// signer's secret, and signrelay does not keep one.
//
// What signrelay knows of a signature is that the invitation it asked the provider to send a
// signer was signed — not who signed it (an invitation can be forwarded; the signed PDF names
// the real signer): the notes say "Ann Lee's invitation signed", never "signed by Ann Lee"
// (audit review M4). When it was signed is the provider's word, read into a Date and written
// in UTC with the provider named (audit review M3); unknown, the note has no time.
import { MAX_RECORD_REASON_CHARS, recordPeople, recordQuote, recordValue } from '../servicenow/record-text.ts';
import { utcMinute } from '../time.ts';
import { providerDisplayName } from '../providers/provider-traits.ts';
import type { Signer } from '../signer.ts';
import { possessive, signedLine } from './signer-progress.ts';
import type { DocumentRow, RequestRow } from '../store/requests.ts';
import { authenticationWords, type RequestMail } from '../store/request-mail-event.ts';
import { settledSinceSentences, withdrawalSentences, type WithdrawalSummary } from './withdrawal-words.ts';

/**
 * What a record update reports: one per transition (or reminder) the record hears of. One list,
 * which the `record` job checks its payload against: an event added to the type alone was
 * queued and then refused by the job for good (diff review 23 M1).
 */
export const RECORD_EVENTS = ['sent', 'progress', 'reminded', 'extended', 'declined', 'expired', 'cancelled', 'failed', 'signed', 'asked', 'not-sent', 'withdrawn-since'] as const;
export type RecordEvent = typeof RECORD_EVENTS[number];

/**
 * Events that change nothing about the request's state, so they leave `servicenow.status_field`
 * alone: a reminder, a moved due date, one signer's signature, a requester's question by reply
 * (`asked`), a request refused before it was sent (`not-sent`: it never started), and a
 * document of an ended request withdrawn or found signed after the ending was told (`withdrawn-since`).
 */
export const STATELESS_EVENTS: ReadonlySet<RecordEvent> = new Set(['reminded', 'extended', 'progress', 'asked', 'not-sent', 'withdrawn-since']);

/** The value `servicenow.status_field` takes at each transition. */
export type RecordStatus = Exclude<RecordEvent, 'reminded' | 'extended' | 'progress' | 'asked' | 'not-sent' | 'withdrawn-since'>;

/** The words in the signed note that name its request: how that note is found in the journal again. */
export function noteMarker(request: Pick<RequestRow, 'id'>): string {
  return `signrelay, request ${request.id}`;
}

/**
 * The words that end every other note: the request, the event and the update's number (its
 * job), so each note is found in the journal again, and none is a prefix of another (the
 * closing parenthesis) or contains the signed note's marker.
 */
export function updateMarker(requestId: string, event: RecordEvent, update: number): string {
  return `(signrelay ${requestId}, ${event} #${update})`;
}

/** What happened, with what its note says beyond the request itself. */
export type RecordUpdate =
  /** `requestMail`: the request mail's audit event — who sent it and how they were authenticated — when it was recorded. */
  | { event: 'sent'; requestMail?: RequestMail }
  | { event: 'signed' }
  /** The signer at `position` (0-based, in the request's signers) signed; `count` signatures so far; `signedAt` as the provider reports it. */
  | { event: 'progress'; position: number; count: number; signedAt?: Date | undefined }
  /** `by`: the address that asked for it by a reply (reply commands), not the schedule. */
  | { event: 'reminded'; by?: string }
  /** The provider moved the due date `from` → `to` (YYYY-MM-DD), as `by` asked by a reply. */
  | { event: 'extended'; from: string; to: string; by: string }
  /** `documents`: what became of the request's other documents (withdrawal-words.ts). */
  | { event: 'declined' | 'expired'; detail: string; by?: Signer[]; documents?: WithdrawalSummary }
  /** `by`: the address that cancelled by a reply; an operator's `signrelay cancel` otherwise. */
  | { event: 'cancelled'; reason: string; by?: string; documents?: WithdrawalSummary }
  | { event: 'failed' | 'not-sent'; reason: string }
  /** A requester asked by reply (`status`): who asked, and what they were told (our sentence with inert values). */
  | { event: 'asked'; by: string; said: string }
  /** Documents the ending's note named as still out, withdrawn or found signed since (the withdrawals had been failing). */
  | { event: 'withdrawn-since'; after: 'cancelled' | 'declined' | 'expired'; settled: Pick<WithdrawalSummary, 'withdrawn' | 'signed'> };

/** The note an update adds to the record; none for `signed` (the delivery writes that note, with the attachment). */
export function noteFor(update: RecordUpdate, request: RequestRow, documents: Array<Pick<DocumentRow, 'seq' | 'providerRef'>>): string | null {
  switch (update.event) {
    case 'sent': return sentNote(request, documents, update.requestMail);
    case 'progress': return progressNote(request, update.position, update.count, update.signedAt);
    // One note per reminder, naming every document's reference (one per document before: multidoc review L5).
    case 'reminded': return reminderNote(request, documents, update.by);
    case 'extended': return extendedNote(request, documents, update.from, update.to, update.by);
    case 'declined':
    case 'expired': return refusalNote(request, update.event, update.detail, update.by, update.documents);
    case 'cancelled': return withdrawnNote(request, update.reason, update.by, update.documents);
    case 'withdrawn-since': return `Signature request ${update.after} (signrelay ${request.id}): what became since of its documents still out then. ${settledSinceSentences(update.settled, providerDisplayName(request.provider))}`;
    case 'asked': return `Status asked by ${recordValue(update.by)} by a reply to the acknowledgement (signrelay ${request.id}): ${update.said}`;
    case 'failed': return failedNote(request, update.reason);
    case 'not-sent': return notSentNote(request, update.reason);
    case 'signed': return null;
  }
}

type NamedRequest = Pick<RequestRow, 'id' | 'signers'>;
type EndedRequest = NamedRequest & Pick<RequestRow, 'provider'>;
type SentRequest = Pick<RequestRow, 'id' | 'signers' | 'provider' | 'providerOrderId'>;

export function sentNote(request: SentRequest & Pick<RequestRow, 'dueDate' | 'requester'>, documents: Array<Pick<DocumentRow, 'providerRef'>>, mail?: RequestMail): string {
  const signers = recordPeople(request.signers);
  return `Sent for signature${signers ? ` to ${signers}` : ''} via ${providerDisplayName(request.provider)}, due ${recordValue(request.dueDate)}, ${providerReferences(request, documents)}.${requestedBy(request.requester, mail)}`;
}

/**
 * " Requested by X, authenticated by DKIM pass for corp.example (authserv-id …)." — who asked,
 * and what vouched for them at intake, so the record answers "who sent it for signing, and how
 * do we know?" (audit review M1). Nothing more said of a request older than that record.
 */
function requestedBy(requester: string, mail: RequestMail | undefined): string {
  if (recordValue(requester) === '') return '';
  const from = mail && mail.from.toLowerCase() !== requester.toLowerCase() ? `, by a mail from ${recordValue(mail.from)}` : '';
  const how = !mail ? '' : mail.authenticated === 'not required' ? ' (not authenticated: none was required)'
    : `, authenticated by ${authenticationWords(mail.authenticated, (text) => recordValue(text))}`;
  return ` Requested by ${recordValue(requester)}${from}${how}.`;
}

/**
 * "Ann Lee's invitation signed, 1 of 2 (ann.lee@example.com), at 2026-12-05 14:03 UTC as
 * Secured Signing reports." — the person is the request's stored signer (never the provider's
 * text), inert; the time only when the provider gave one; no signer at that place: no note.
 */
export function progressNote(request: Pick<RequestRow, 'signers' | 'provider'>, position: number, count: number, signedAt?: Date): string | null {
  const signer = request.signers[position];
  if (!signer) return null;
  const line = signedLine(signer, count, request.signers.length);
  const named = recordValue(`${signer.firstName} ${signer.lastName}`) !== '';
  return `${line}${named ? ` (${recordValue(signer.email)})` : ''}${providerTimeWords(request, signedAt)}.`;
}

/** ", at 2026-12-05 14:03 UTC as Signicat reports", or nothing: the provider's time, written by signrelay. */
function providerTimeWords(request: Pick<RequestRow, 'provider'>, at: Date | undefined): string {
  return at && Number.isFinite(at.getTime()) ? `, at ${utcMinute(at)} as ${providerDisplayName(request.provider)} reports` : '';
}

export function reminderNote(request: SentRequest, documents: Array<Pick<DocumentRow, 'providerRef'>>, by?: string): string {
  const asked = by ? `, as ${recordValue(by)} asked by a reply` : '';
  return `Reminder sent via ${providerDisplayName(request.provider)} to the signers who have not signed yet${asked} (${providerReferences(request, documents)}).${signersSentence(request)}`;
}

/** "Due date moved from A to B, as X asked by a reply (…)". */
export function extendedNote(request: SentRequest, documents: Array<Pick<DocumentRow, 'providerRef'>>, from: string, to: string, by: string): string {
  return `Due date moved from ${recordValue(from)} to ${recordValue(to)}, as ${recordValue(by)} asked by a reply (${providerDisplayName(request.provider)}, ${providerReferences(request, documents)}; signrelay ${request.id}).${signersSentence(request)}`;
}

/**
 * "Signed via Signicat (order …): every invitation signed, the last at 2026-12-05 14:03 UTC as
 * Signicat reports (invited: Ann Lee <…>); attached by signrelay, request r_…". `lastSignedAt`:
 * the latest signature of the request's documents, as the provider reported it at completion.
 */
export function signedNote(request: SentRequest, documents: Array<Pick<DocumentRow, 'providerRef'>>, lastSignedAt?: Date): string {
  const signers = recordPeople(request.signers);
  const when = providerTimeWords(request, lastSignedAt).replace(/^, at /, ', the last at ');
  return `Signed via ${providerDisplayName(request.provider)} (${providerReferences(request, documents)}): every invitation signed${when}${signers ? ` (invited: ${signers})` : ''}; attached by ${noteMarker(request)}.`;
}

/** "order 123…" (a provider that makes one) or "reference A, B" (one per document). */
function providerReferences(request: Pick<RequestRow, 'providerOrderId'>, documents: Array<Pick<DocumentRow, 'providerRef'>>): string {
  return request.providerOrderId ? `order ${recordValue(request.providerOrderId)}` : `reference ${documents.filter((d) => d.providerRef).map((d) => recordValue(d.providerRef)).join(', ')}`;
}

/**
 * Why a document was not signed, as the provider put it: its status word, the document and
 * each decline reason, quoted as its signer's ("Ann Lee's reason: “…”") — each value inert,
 * bounded and unable to close its quote: a reason is the signer's words, never a sentence of
 * signrelay's (audit review L1). The signer is named as the request names them (`signers`),
 * else by the address the provider gives. Goes to the request's reason, the requester's
 * notice, the operator's alert and the note.
 */
export function refusalDetail(
  status: { raw: string; reference: string; signers: ReadonlyArray<{ email: string; declinedReason?: string | undefined }> },
  signers: readonly Signer[] = [],
): string {
  const reasons = status.signers.filter((s): s is typeof s & { declinedReason: string } => !!s.declinedReason && s.declinedReason.trim() !== '');
  const room = Math.max(50, Math.floor(MAX_RECORD_REASON_CHARS / Math.max(1, reasons.length)));
  const said = reasons.map((s) => ` ${whose(signers, s.email)} reason: ${recordQuote(s.declinedReason, room)}.`).join('');
  return `The provider reports ${recordQuote(status.raw)} for document ${recordValue(status.reference)}.${said}`;
}

/** "Ann Lee's", "ann.lee@example.com's": the signer at that address as the request names them. */
function whose(signers: readonly Signer[], email: string): string {
  const signer = signers.find((s) => s.email.toLowerCase() === email.toLowerCase());
  const name = signer ? recordValue(`${signer.firstName} ${signer.lastName}`) : '';
  return possessive(name || recordValue(email) || 'A signer');
}


/**
 * The signers who declined, as the provider names them (those who gave a reason): by the
 * request's own names where the address matches, else by address alone.
 */
export function declinedBy(request: Pick<RequestRow, 'signers'>, status: { signers: ReadonlyArray<{ email: string; declinedReason?: string | undefined }> }): Signer[] {
  return status.signers
    .filter((s) => s.declinedReason && s.declinedReason.trim() !== '')
    .map((s) => request.signers.find((r) => r.email.toLowerCase() === s.email.toLowerCase()) ?? { firstName: '', lastName: '', email: s.email });
}

export function refusalNote(request: EndedRequest, outcome: 'declined' | 'expired', detail: string, by: Signer[] = [], documents?: WithdrawalSummary): string {
  const who = by.length ? ` Declined by ${recordPeople(by)}.` : '';
  return `Signature request ${outcome} (signrelay ${request.id}). ${detail}${who}${documentsSentences(request, documents, outcome)}${signersSentence(request)}`;
}

/** The cancel reason quoted as whoever gave it: "The signrelay administrators' reason: “…”." (audit review L1). */
export function withdrawnNote(request: EndedRequest, reason: string, by?: string, documents?: WithdrawalSummary): string {
  const who = by ? `${recordValue(by)} by a reply to the acknowledgement` : 'the signrelay administrators';
  const said = recordValue(reason) !== '' ? ` ${by ? possessive(recordValue(by)) : "The signrelay administrators'"} reason: ${recordQuote(reason, MAX_RECORD_REASON_CHARS)}.` : '';
  return `Signature request withdrawn by ${who} (signrelay ${request.id}).${said}${documentsSentences(request, documents, 'cancelled')}${signersSentence(request)}`;
}

/** " Withdrawn from signing …. Signed by every signer before …." or nothing (withdrawal-words.ts). */
function documentsSentences(request: Pick<RequestRow, 'provider'>, documents: WithdrawalSummary | undefined, after: 'cancelled' | 'declined' | 'expired'): string {
  const said = documents ? withdrawalSentences(documents, providerDisplayName(request.provider), after) : '';
  return said ? ` ${said}` : '';
}

/** signrelay gave up: `reason` is ours, but quotes what a service answered — made inert like any outside value. */
export function failedNote(request: NamedRequest, reason: string): string {
  return `Signature request failed (signrelay ${request.id}): ${sentence(recordValue(reason, MAX_RECORD_REASON_CHARS))} The signrelay administrators were alerted.${signersSentence(request)}`;
}

/** A request started from the record (its notification) that signrelay refused: `reason` quotes the mail's own text — made inert. */
export function notSentNote(request: Pick<RequestRow, 'id'>, reason: string): string {
  return `The document could not be sent for signature (signrelay ${request.id}): ${sentence(recordValue(reason, MAX_RECORD_REASON_CHARS))} The signrelay administrators were alerted.`;
}

/** " Signers: Ann Lee <…>, Bob Stone <…>." or nothing. */
function signersSentence(request: Pick<RequestRow, 'signers'>): string {
  const signers = recordPeople(request.signers);
  return signers ? ` Signers: ${signers}.` : '';
}

function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

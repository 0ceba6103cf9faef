// The acknowledgement a requester gets when their request is sent for signing, pure: the
// record, the signers in signing order, the due date, the provider and its reference, and
// the commands they may answer with (one line each, saying where this provider cannot do
// one). Threaded to the request mail, marked as an automatic reply (RFC 3834) and as ours,
// with a Reply-To that carries the acknowledgement's reply secret (intake/conversation-address.ts), so a
// reply finds its request. Every outside value in it — subject, record, names, references —
// is one inert, bounded line (record-text.ts), as in every notice.
import type { SendMailOptions } from 'nodemailer';
import type { ProviderTraits } from '../providers/provider.ts';
import { automaticReplyHeaders, automaticSignature } from './automatic-reply.ts';
import { threadTo } from '../outside-text.ts';
import { recordPerson, recordValue } from '../servicenow/record-text.ts';
import type { DocumentRow, RequestRow } from '../store/requests.ts';

/** How much of the request's subject the acknowledgement's subject repeats. */
const MAX_SUBJECT_CHARS = 150;
/** The longest list of signers written out; the rest are counted. */
const MAX_SIGNERS_LISTED = 20;

/** The reply commands, one line each, with what this provider cannot do said on its line; `recordNotes`: whether signrelay writes notes on this request's record. */
export function replyCommandsHelp(provider: Pick<ProviderTraits, 'displayName' | 'capabilities'>, recordNotes: boolean): string[] {
  const cannot = (what: string) => ` (${provider.displayName} cannot ${what}: you will be told so)`;
  return [
    'Reply to this mail with one of these on the first line (the rest of your reply is not read):',
    `  cancel REASON     withdraw the request: the signers can no longer sign${recordNotes ? ', the record gets a note' : ''}${provider.capabilities.cancel ? '' : cannot('withdraw a sent request')}`,
    `  remind            remind the signers who have not signed yet${provider.capabilities.remind ? '' : cannot('send reminders on request')}`,
    `  extend DATE       move the due date to DATE (2026-12-24), or by a number of days (extend 7d)${provider.capabilities.extend ? '' : cannot('move a due date')}`,
    '  status            who has signed so far',
  ];
}

/** "RITM0010001", "sc_req_item/…", or "no record". */
export function recordLabel(request: Pick<RequestRow, 'recordNumber' | 'recordTable' | 'recordSysId'>): string {
  return recordValue(request.recordNumber ?? (request.recordSysId ? `${request.recordTable ?? ''}/${request.recordSysId}` : 'no record'));
}

/** "order 123" (a provider that makes one) or "reference A, B" (one per document). */
export function referenceLabel(request: Pick<RequestRow, 'providerOrderId'>, documents: ReadonlyArray<Pick<DocumentRow, 'providerRef'>>): string {
  return request.providerOrderId ? `order ${recordValue(request.providerOrderId)}` : `reference ${documents.map((d) => recordValue(d.providerRef)).join(', ')}`;
}

export interface AcknowledgementAddresses {
  from: string;
  /** The acknowledgement's reply address (sign+SECRET@…). */
  replyTo: string;
  /** Fixed before queueing: a reply's In-Reply-To finds the request by it. */
  messageId: string;
  /** Whether signrelay writes notes on the request's record (queue-record-update.ts recordGetsNotes). */
  recordNotes: boolean;
  /** The mail's attachments that are not PDFs, so not sent for signing, named (request-mail-event.ts). */
  notDocuments?: string;
}

/** When signing closes, as the requester reads it: the due day's end, or the moment the provider said (SendResult.closesAt). */
function closing(dueDate: string, closesAt: Date | undefined, closes: ProviderTraits['capabilities']['closes']): string {
  // A send found again after its answer was lost: the provider's moment is not known here.
  if (!closesAt) return closes === 'due-day-end' ? 'signing closes at 23:59 UTC that day' : 'signing closes that day, at the time of day it was sent';
  const [day, time] = [closesAt.toISOString().slice(0, 10), closesAt.toISOString().slice(11, 16)];
  return day === dueDate ? `signing closes at ${time} UTC that day` : `signing closes on ${day} at ${time} UTC`;
}

export function composeAcknowledgement(request: RequestRow, documents: ReadonlyArray<Pick<DocumentRow, 'providerRef' | 'fileName'>>, provider: Pick<ProviderTraits, 'displayName' | 'capabilities'>, addresses: AcknowledgementAddresses, closesAt?: Date): SendMailOptions {
  const about = recordValue(request.subject, MAX_SUBJECT_CHARS) || recordLabel(request);
  const signers = request.signers.slice(0, MAX_SIGNERS_LISTED).map((s, i) => `  ${i + 1}. ${recordPerson(s)}`);
  const more = request.signers.length - signers.length;
  const text = [
    'Hello,',
    '',
    `Your request was sent for signature via ${provider.displayName}.`,
    '',
    `  Record:     ${recordLabel(request)}`,
    `  Documents:  ${documents.map((d) => recordValue(d.fileName)).join(', ')}`,
    ...(addresses.notDocuments ? [`  Not sent:   ${recordValue(addresses.notDocuments, 500)} (not PDFs: only PDFs are sent for signature)`] : []),
    `  Due:        ${recordValue(request.dueDate)} (${request.dueFrom === 'route' ? 'the route\'s default: none was given; ' : ''}${closing(request.dueDate, closesAt, provider.capabilities.closes)})`,
    `  ${provider.displayName}: ${referenceLabel(request, documents)}`,
    `  Request:    ${request.id}`,
    '',
    request.signers.length > 0 ? 'Signers, in signing order:' : 'Signers: as named in the document\'s own signature tags.',
    ...signers,
    ...(more > 0 ? [`  and ${more} more`] : []),
    '',
    ...replyCommandsHelp(provider, addresses.recordNotes),
    '',
    ...automaticSignature('signrelay (automatic message)'),
  ].join('\n');
  return {
    from: addresses.from,
    to: request.requester,
    replyTo: addresses.replyTo,
    subject: `Sent for signature: ${about}`,
    messageId: addresses.messageId,
    ...threadTo(request.messageId),
    headers: automaticReplyHeaders('acknowledgement'),
    text,
  };
}

// Mails to the requester about the outcome of their request, pure: the signed document is
// on the record, a signer declined, the request expired, or it could not be sent at all.
// Automatic (RFC 3834) and marked as ours, so nothing answers them and intake never takes
// them for a request. They name the request's signers. Every outside value in them — the
// request's subject, the signers, the detail (a provider's decline reason, an operator's
// cancel reason) — is one inert, bounded line (record-text.ts): a requester may be a
// ServiceNow instance, where the notice becomes a comment on the record, and a subject
// must never carry a line break into a header.
import type { SendMailOptions } from 'nodemailer';
import { recordPeople, recordValue } from '../servicenow/record-text.ts';
import { threadTo } from '../outside-text.ts';
import { providerDisplayName } from '../providers/provider-traits.ts';
import type { RequestRow } from '../store/requests.ts';
import { everyOpenWithdrawn, NOTHING_OUT, settledSinceSentences, withdrawalSentences, type WithdrawalSummary } from './withdrawal-words.ts';

export type NoticeKind = 'delivered' | 'declined' | 'expired' | 'failed' | 'cancelled';

/** How much of the request's subject a notice's subject repeats. */
const MAX_SUBJECT_CHARS = 150;
/** The detail is our own sentence with bounded values in it (a reason of up to 500 characters). */
const MAX_DETAIL_CHARS = 1_000;

/**
 * `fileNames`: the request's documents, named in the notice (a requester with three PDFs out
 * learns which request this is about: multidoc review L2). `documents`: for a request that
 * ended before all its documents were signed (cancelled, declined, expired), what became of
 * each at the provider — the cancel notice says the signers can no longer sign only when
 * every document still out was withdrawn.
 */
export function composeRequesterNotice(request: RequestRow, kind: NoticeKind, detail: string, from: string, fileNames: readonly string[], documents: WithdrawalSummary = NOTHING_OUT): SendMailOptions {
  const record = recordValue(request.recordNumber ?? (request.recordSysId ? `${request.recordTable}/${request.recordSysId}` : 'the record'));
  const about = recordValue(request.subject, MAX_SUBJECT_CHARS) || record;
  const subjects: Record<NoticeKind, string> = {
    delivered: `Signed: ${about}`,
    declined: `Not signed (declined): ${about}`,
    expired: `Not signed (expired): ${about}`,
    failed: `Not sent for signature: ${about}`,
    cancelled: `Signature request withdrawn: ${about}`,
  };
  const one = fileNames.length <= 1;
  const bodies: Record<NoticeKind, string> = {
    delivered: one ? `The document you sent for signature is signed and attached to ${record}.` : `The ${fileNames.length} documents you sent for signature are signed and attached to ${record}.`,
    declined: `${one ? 'The document you sent for signature' : 'Your signature request'} was declined, so nothing was attached to ${record}.`,
    expired: `${one ? 'The document you sent for signature was' : 'Your signature request was'} not signed by its due date (${recordValue(request.dueDate)}), so nothing was attached to ${record}. Send it again with a later "Due:" date if it is still needed.`,
    failed: `Your request could not be sent for signature; the signrelay administrators have been told and can retry it.`,
    cancelled: !everyOpenWithdrawn(documents)
      ? `The signrelay administrators withdrew your signature request, and nothing will be attached to ${record}.`
      : `The signrelay administrators withdrew your signature request: the signers can no longer sign ${documents.signed.length > 0 ? 'what was still open' : 'it'}, and nothing will be attached to ${record}.`,
  };
  const after = kind === 'cancelled' || kind === 'declined' || kind === 'expired' ? withdrawalSentences(documents, providerDisplayName(request.provider), kind) : '';
  const said = [recordValue(detail, MAX_DETAIL_CHARS), after].filter((s) => s !== '').join('\n\n');
  const signers = recordPeople(request.signers);
  const named = fileNames.map((name) => recordValue(name)).join(', ');
  return {
    from,
    to: request.requester,
    subject: subjects[kind],
    ...threadTo(request.messageId),
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Signrelay': 'notice' },
    text: `Hello,\n\n${bodies[kind]}\n${said ? `\n${said}\n` : ''}${named ? `\n${one ? 'Document' : 'Documents'}: ${named}.\n` : ''}${signers ? `${named ? '' : '\n'}Signers: ${signers}.\n` : ''}\nRequest ${request.id}.\n\n-- \nsignrelay\n`,
  };
}

/**
 * The requester was told the request ended with documents its signers might still sign (the
 * withdrawals failing for ten minutes); a later attempt withdrew them, or found them signed:
 * said, so they need not chase those signers, and know where a signed one is. Threaded to the
 * request like the notice it follows — or, `told`, to the one whose cancel by reply was
 * answered instead (the requester got no notice then), in that reply's thread.
 */
export function composeSettledSinceNotice(request: RequestRow, after: 'cancelled' | 'declined' | 'expired', settled: Pick<WithdrawalSummary, 'withdrawn' | 'signed'>, from: string, told?: { address: string; messageId: string | null }): SendMailOptions {
  const about = recordValue(request.subject, MAX_SUBJECT_CHARS) || recordValue(request.recordNumber ?? 'the record');
  const ended = { cancelled: 'withdrawn', declined: 'declined', expired: 'expired' }[after];
  return {
    from,
    to: told?.address ?? request.requester,
    subject: `${settled.signed.length > 0 ? 'Signed before its withdrawal' : 'Withdrawn since'}: ${about}`,
    ...threadTo(told ? told.messageId : request.messageId),
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Signrelay': 'notice' },
    text: `Hello,\n\nWhen signrelay told you the signature request was ${ended}, some of its documents were still out for signing. ${settledSinceSentences(settled, providerDisplayName(request.provider))}\n\nRequest ${request.id}.\n\n-- \nsignrelay\n`,
  };
}

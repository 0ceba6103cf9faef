// Mails to the requester about the outcome of their request, pure: the signed document is
// on the record, a signer declined, the request expired, or it could not be sent at all. Automatic (RFC 3834) and
// marked as ours, so nothing answers them and intake never takes them for a request.
import type { SendMailOptions } from 'nodemailer';
import type { RequestRow } from '../store/requests.ts';

export type NoticeKind = 'delivered' | 'declined' | 'expired' | 'failed' | 'cancelled';

export function composeRequesterNotice(request: RequestRow, kind: NoticeKind, detail: string, from: string): SendMailOptions {
  const record = request.recordNumber ?? (request.recordSysId ? `${request.recordTable}/${request.recordSysId}` : 'the record');
  const subjects: Record<NoticeKind, string> = {
    delivered: `Signed: ${request.subject || record}`,
    declined: `Not signed (declined): ${request.subject || record}`,
    expired: `Not signed (expired): ${request.subject || record}`,
    failed: `Not sent for signature: ${request.subject || record}`,
    cancelled: `Signature request withdrawn: ${request.subject || record}`,
  };
  const bodies: Record<NoticeKind, string> = {
    delivered: `The document you sent for signature is signed and attached to ${record}.`,
    declined: `The document you sent for signature was declined, so nothing was attached to ${record}.`,
    expired: `The document you sent for signature was not signed by its due date (${request.dueDate}), so nothing was attached to ${record}. Send it again with a later "Due:" date if it is still needed.`,
    failed: `Your request could not be sent for signature; the signrelay administrators have been told and can retry it.`,
    cancelled: `The signrelay administrators withdrew your signature request: the signers can no longer sign it, and nothing will be attached to ${record}.`,
  };
  return {
    from,
    to: request.requester,
    subject: subjects[kind],
    inReplyTo: request.messageId ?? undefined,
    references: request.messageId ? [request.messageId] : undefined,
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Signrelay': 'notice' },
    text: `Hello,\n\n${bodies[kind]}\n${detail ? `\n${detail}\n` : ''}\nRequest ${request.id}.\n\n-- \nsignrelay\n`,
  };
}

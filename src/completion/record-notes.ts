// The work notes signrelay writes on a record, pure: signed (also the body of the mail to
// the instance in email mode), refused (declined, expired) and withdrawn. Each names its
// request and the request's signers. Every outside value in them — signer names and
// addresses, provider references and words, reasons — goes through record-text.ts, so a
// note is our own sentence with inert, bounded values in it, never markup, a mention or
// a line someone else wrote.
import { MAX_RECORD_REASON_CHARS, recordPeople, recordValue } from '../servicenow/record-text.ts';
import { providerDisplayName } from '../providers/provider-traits.ts';
import type { DocumentRow, RequestRow } from '../store/requests.ts';

/** The words in a work note that name its request: how a note is found in the journal again. */
export function noteMarker(request: Pick<RequestRow, 'id'>): string {
  return `signrelay, request ${request.id}`;
}

export function signedNote(request: Pick<RequestRow, 'id' | 'signers' | 'provider' | 'providerOrderId'>, documents: Array<Pick<DocumentRow, 'providerRef'>>): string {
  const signers = recordPeople(request.signers);
  const refs = request.providerOrderId ? `order ${recordValue(request.providerOrderId)}` : `reference ${documents.map((d) => recordValue(d.providerRef)).join(', ')}`;
  return `Signed${signers ? ` by ${signers}` : ''} via ${providerDisplayName(request.provider)} (${refs}); attached by ${noteMarker(request)}.`;
}

/**
 * Why a document was not signed, as the provider put it: its status word, the document and
 * the signers' decline reasons — each value inert and bounded. Goes to the request's
 * reason, the requester's notice, the operator's alert and the note.
 */
export function refusalDetail(status: { raw: string; reference: string; signers: ReadonlyArray<{ declinedReason?: string | undefined }> }): string {
  const reasons = status.signers.map((s) => s.declinedReason).filter((r): r is string => !!r && r.trim() !== '');
  const said = reasons.length ? `: ${recordValue(reasons.join('; '), MAX_RECORD_REASON_CHARS)}` : '';
  return `The provider reports "${recordValue(status.raw)}" for document ${recordValue(status.reference)}${said}.`;
}

export function refusalNote(request: Pick<RequestRow, 'id' | 'signers'>, outcome: 'declined' | 'expired', detail: string): string {
  return `Signature request ${outcome} (signrelay ${request.id}). ${detail}${signersSentence(request)}`;
}

export function withdrawnNote(request: Pick<RequestRow, 'id' | 'signers'>, reason: string): string {
  const said = recordValue(reason, MAX_RECORD_REASON_CHARS);
  return `Signature request withdrawn by the signrelay administrators (signrelay ${request.id}).${said ? ` ${sentence(said)}` : ''}${signersSentence(request)}`;
}

/** " Signers: Ann Lee <…>, Bob Stone <…>." or nothing. */
function signersSentence(request: Pick<RequestRow, 'signers'>): string {
  const signers = recordPeople(request.signers);
  return signers ? ` Signers: ${signers}.` : '';
}

function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

// S/MIME that packs the mail: opaque-signed (`signed-data`, "send clear-text signed" off) or
// encrypted (`enveloped-data`) mail is one application/pkcs7-mime part, smime.p7m, with the
// whole message — its text, its PDFs — inside. signrelay does not unpack it (an encrypted one
// it cannot), so it must say so: "no PDF attached" to someone who attached one, or "no command"
// to a reply whose first line is one, sends the writer looking for the wrong mistake.
// Clear-signed mail (multipart/signed with a detached smime.p7s) is read as any other. Pure.
import type { Attachment } from 'mailparser';

const PACKED_TYPES = ['application/pkcs7-mime', 'application/x-pkcs7-mime'];

/** Whether the part is an S/MIME package of a message (smime.p7m), not a certificate bundle (.p7c). */
export function isSmimePackage(part: Pick<Attachment, 'contentType' | 'filename'>): boolean {
  const name = part.filename?.toLowerCase() ?? '';
  if (name.endsWith('.p7c')) return false;
  return PACKED_TYPES.includes(part.contentType.toLowerCase()) || name.endsWith('.p7m');
}

/** What the writer is told: why the mail was not read, and what to send instead. */
export function smimeProblem(what: 'request' | 'reply'): string {
  const inside = what === 'request' ? 'its PDF and its Signer lines' : 'its first line';
  return `your ${what === 'request' ? 'mail' : 'reply'} is S/MIME signed or encrypted (smime.p7m), which packs ${inside} where signrelay cannot read them: send it again without signing or encrypting it (a clear-signed mail works too)`;
}

// Secured Signing's Document object → signrelay's normalised DocumentStatus. Pure; the
// reconcile sweep and the submit job's "did that send happen?" check both rest on it, so
// the Status words (SECURED-SIGNING.md "Endpoints used") are mapped in one table here.
import type { DocumentPhase, DocumentStatus } from '../provider.ts';
import { providerTime } from '../provider-time.ts';

const PHASE_BY_STATUS: Record<string, DocumentPhase> = {
  notstart: 'uploaded',
  notstarted: 'uploaded',
  inprogress: 'in-progress',
  signing: 'in-progress',
  filling: 'in-progress',
  fillingform: 'in-progress',
  // Every signature is on, but the official sample waits for Complete before downloading:
  // "Signed" is treated as still being finalised so we never fetch a half-made copy.
  signed: 'in-progress',
  complete: 'completed',
  completed: 'completed',
  declined: 'declined',
  expired: 'expired',
  rejected: 'rejected',
};

/** "2 of 3 Signed", "3 of 3 Signed": progress words, never final (see "Signed" above). */
const COUNT_SIGNED_RE = /^\d+\s*of\s*\d+\s*signed$/i;

export function phaseFromStatus(raw: string): DocumentPhase {
  const text = raw.trim();
  if (COUNT_SIGNED_RE.test(text)) return 'in-progress';
  return PHASE_BY_STATUS[text.toLowerCase().replace(/[\s_-]+/g, '')] ?? 'unknown';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function signerFrom(value: unknown): DocumentStatus['signers'][number] | null {
  if (value === null || typeof value !== 'object') return null;
  const s = value as Record<string, unknown>;
  // SignedStatus is an enum that may arrive as its name or its number (6 Signed, 7 Complete).
  const signedStatus = s.SignedStatus;
  const hasSigned = s.HasSigned === true || signedStatus === 'Signed' || signedStatus === 'Complete' || signedStatus === 6 || signedStatus === 7;
  const declinedReason = text(s.DeclinedReason);
  const reference = text(s.SignerReference);
  return { email: text(s.Email), hasSigned, ...(declinedReason ? { declinedReason } : {}), ...(reference ? { reference } : {}) };
}

/**
 * `sent` errs towards "not sent" only where the service says so explicitly (NotStart): a
 * wrong "sent" would silently never invite anyone, a wrong "not sent" (a status that lags
 * its send) makes the next SmartTag/Send refused, and the submit job asks again before it
 * counts the refusal. An unknown word counts as sent when signers exist. An answer with no
 * Status at all is not a Document: the client refuses it before it gets here.
 */
export function documentStatusFrom(document: unknown, reference: string): DocumentStatus {
  const doc = document !== null && typeof document === 'object' ? (document as Record<string, unknown>) : {};
  const raw = text(doc.Status);
  const phase = phaseFromStatus(raw);
  const signers = (Array.isArray(doc.Signers) ? doc.Signers : []).map(signerFrom).filter((s) => s !== null);
  const sent = phase === 'uploaded' ? false : phase === 'unknown' ? signers.length > 0 : true;
  // LastSignedDate: the one signing time the Document carries (its Signers have none); when
  // nobody signed yet, whatever it says is no signature's time.
  const lastSignedAt = phase === 'completed' || signers.some((s) => s.hasSigned) ? providerTime(doc.LastSignedDate) : undefined;
  return { reference: text(doc.Reference) || reference, phase, raw, sent, signers, ...(lastSignedAt ? { lastSignedAt } : {}) };
}

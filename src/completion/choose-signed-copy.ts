// Where a completed document's signed copy comes from. By default the provider's API: the
// authoritative copy. With completion.trust_attachment a PDF from the request's completion
// mails may stand in for the download — but a completion mail's From is forgeable and every
// signer has the token, so only a PDF that verifies against the document that was sent
// (verify-signed-copy.ts: token, pages, the original pages unchanged) counts, whichever
// mail brought it and in whatever order. Every PDF of every completion mail the request got
// is weighed (store/completion-triggers.ts); exactly one that verifies is taken, none or
// several (which one would be a guess) mean the download. What was checked, what was
// taken and why are recorded with the copy.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { verifySignedCopy, type SignedCopyVerdict } from '../pdf/pdf-tasks.ts';
import type { BlobStore } from '../store/blobs.ts';
import { mailedPdfs, type MailedPdf } from '../store/completion-triggers.ts';
import type { Db } from '../store/open-database.ts';
import type { DocumentRow, RequestRow } from '../store/requests.ts';

/** The latest mailed PDFs looked at, at most: each costs a pass through the PDF worker. */
export const MAX_MAILED_CANDIDATES = 10;

export interface CheckedPdf extends MailedPdf {
  verified: boolean;
  problem?: string;
}

export type SignedCopySource =
  | { from: 'mail attachment'; sha256: string; checked: CheckedPdf[] }
  | { from: 'provider download'; why: string; checked: CheckedPdf[] };

export interface ChooseDeps {
  db: Db;
  blobs: BlobStore;
  config: Config;
  logger: Logger;
}

export async function chooseSignedCopy(deps: ChooseDeps, request: RequestRow, doc: DocumentRow): Promise<SignedCopySource> {
  if (!deps.config.completion.trust_attachment) return { from: 'provider download', why: 'completion.trust_attachment is off', checked: [] };
  const candidates = mailedPdfs(deps.db, request.id).slice(-MAX_MAILED_CANDIDATES);
  if (candidates.length === 0) return { from: 'provider download', why: 'no completion mail carried a PDF', checked: [] };
  if (!doc.stampedSha256) return { from: 'provider download', why: 'the stamped document is not on record to compare with', checked: [] };

  let sent;
  try {
    sent = { original: deps.blobs.get(doc.originalSha256), stamped: deps.blobs.get(doc.stampedSha256), token: request.token };
  } catch {
    return { from: 'provider download', why: 'the document sent is no longer on disk to compare with', checked: [] };
  }
  const checked: CheckedPdf[] = [];
  for (const candidate of candidates) {
    const verdict = await verifyStored(deps.blobs, candidate, sent);
    checked.push({ ...candidate, verified: verdict.verified, ...(verdict.verified ? {} : { problem: verdict.problem }) });
  }
  const verified = checked.filter((c) => c.verified);
  if (verified.length === 1) return { from: 'mail attachment', sha256: verified[0]!.sha256, checked };
  const why = verified.length === 0
    ? `the completion mails' PDFs did not verify against the document sent (${checked.map((c) => `${c.fileName}: ${c.problem}`).join('; ')})`
    : `${verified.length} different PDFs verified against the document sent; the provider's copy decides`;
  deps.logger.warn('a completion mail\'s PDF is not taken as the signed copy; downloading it from the provider', { requestId: request.id, document: doc.seq, why });
  return { from: 'provider download', why, checked };
}

async function verifyStored(blobs: BlobStore, candidate: MailedPdf, sent: { original: Uint8Array; stamped: Uint8Array; token: string }): Promise<SignedCopyVerdict> {
  let bytes: Uint8Array;
  try {
    bytes = blobs.get(candidate.sha256);
  } catch {
    return { verified: false, problem: 'the file is no longer on disk' };
  }
  return verifySignedCopy(bytes, sent);
}

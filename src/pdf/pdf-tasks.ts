// What the daemon asks of PDFs, each answered in the PDF worker pool (pdf-pool.ts) under
// its time, heap and buffer limits: inspect a received PDF, stamp it (or both at once), read a completed
// document's token, check a completion mail's copy against what was sent. This module is
// the daemon's only door to the parsers: it imports none of them (pdf-lib, pdf.js and
// fontkit cost ~1 s and ~100 MB to load), and cheap refusals — a file over the size limit,
// a stamp without its token — are made here, before anything is copied to a worker.
import { describeError, isSignrelayError } from '../errors.ts';
import type { PdfFacts, PdfLimits } from './inspect-pdf.ts';
import type { PreparedPdf } from './prepare-pdf.ts';
import { tooLargePdfError } from './pdf-errors.ts';
import { runPdfTask, type PdfWorkerLimits } from './pdf-pool.ts';
import type { SignedCopyVerdict } from './signed-copy-check.ts';
import { checkStampToken, type StampInput } from './stamp-tags.ts';
import type { SentCopy } from './verify-signed-copy.ts';

export type { PdfFacts, PdfLimits } from './inspect-pdf.ts';
export type { PreparedPdf } from './prepare-pdf.ts';
export type { SignedCopyVerdict } from './signed-copy-check.ts';
export type { StampInput } from './stamp-tags.ts';

/**
 * What a received PDF is (inspect-pdf.ts): a file that takes longer than the time limit or
 * more memory than the heap limit is refused as too complex (pdf_too_complex) and the
 * worker is killed. `worker` overrides the limits (tests).
 */
export async function inspectPdf(bytes: Uint8Array, limits: PdfLimits, worker: Partial<PdfWorkerLimits> = {}): Promise<PdfFacts> {
  if (bytes.byteLength > limits.maxPdfBytes) throw tooLargePdfError(bytes.byteLength, limits.maxPdfBytes, limits.fileName);
  return runPdfTask({ op: 'inspect', bytes, limits }, limits.fileName, worker);
}

/**
 * What a received PDF is and its stamp, in one task (prepare-pdf.ts): the facts are those of
 * inspectPdf, read in the stamped file; the stamp was made taking the document to carry its
 * own sign tags exactly when `input` names no signers — the caller uses it only when the
 * facts agree and its input is the one it would stamp with.
 */
export async function preparePdf(bytes: Uint8Array, limits: PdfLimits, input: StampInput, worker: Partial<PdfWorkerLimits> = {}): Promise<PreparedPdf> {
  if (bytes.byteLength > limits.maxPdfBytes) throw tooLargePdfError(bytes.byteLength, limits.maxPdfBytes, limits.fileName);
  checkStampToken(input);
  return runPdfTask({ op: 'prepare', bytes, limits, input }, limits.fileName, worker);
}

/** The stamped PDF (stamp-pdf.ts); one too complex for the limits is refused like in inspection. */
export async function stampPdf(bytes: Uint8Array, input: StampInput, worker: Partial<PdfWorkerLimits> = {}): Promise<Uint8Array> {
  checkStampToken(input);
  return runPdfTask({ op: 'stamp', bytes, input }, input.request.fileName, worker);
}

/**
 * The token of a document signrelay stamped (pdf-token.ts): metadata first, then the text
 * layer. Undefined when none is found or the file cannot be read — also when reading it
 * hits the worker's time or memory limit (an input error). A failure of the worker itself
 * (it could not be started, it crashed) is thrown: the mail is tried again, not matched
 * with a clue missing.
 */
export async function readTokenFromPdf(bytes: Uint8Array, worker: Partial<PdfWorkerLimits> = {}, overlayPage?: number): Promise<string | undefined> {
  try {
    return await runPdfTask<string | undefined>({ op: 'token', bytes, overlayPage }, undefined, worker);
  } catch (err) {
    if (isSignrelayError(err) && err.kind === 'input') return undefined;
    throw err;
  }
}

/**
 * Whether a completion mail's PDF is the document that was sent, signed (verify-signed-copy.ts).
 * Anything that keeps the check from being made (a PDF that cannot be read, one too complex
 * for the worker's limits) is a copy that did not verify, with the reason; only a failure of
 * the worker itself is thrown, for the job to try again.
 */
export async function verifySignedCopy(candidate: Uint8Array, sent: SentCopy, worker: Partial<PdfWorkerLimits> = {}): Promise<SignedCopyVerdict> {
  try {
    return await runPdfTask<SignedCopyVerdict>({ op: 'verify-signed', bytes: candidate, sent }, undefined, worker);
  } catch (err) {
    if (isSignrelayError(err) && err.kind === 'input') return { verified: false, problem: describeError(err) };
    throw err;
  }
}

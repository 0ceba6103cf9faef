// Checks a completion mail's PDF against the document that was sent (signed-copy-check.ts),
// in the PDF worker under its limits (pdf-tasks.ts verifySignedCopy): the PDF is hostile
// input — its From is forgeable — and reading it must not stall or crash the daemon.
// Anything that keeps the check from being made (a PDF that cannot be read, too much to
// unpack) is a copy that did not verify, with the reason.
import { describeError } from '../errors.ts';
import { MAX_INFLATED_BYTES, measureInflatedSize } from './measure-inflated-size.ts';
import { fingerprintPdf } from './pdf-fingerprint.ts';
import { checkSignedCopy, type SignedCopyVerdict } from './signed-copy-check.ts';

export type { SignedCopyVerdict } from './signed-copy-check.ts';

/** What was sent for signing: the requester's PDF, the stamped PDF uploaded, and the request's token. */
export interface SentCopy {
  original: Uint8Array;
  stamped: Uint8Array;
  token: string;
}

/** Checks in this process, without limits: the PDF worker's side of pdf-tasks.ts verifySignedCopy, and tests. */
export async function verifySignedCopyInProcess(candidate: Uint8Array, sent: SentCopy): Promise<SignedCopyVerdict> {
  let original, stamped;
  try {
    [original, stamped] = [await fingerprintPdf(sent.original), await fingerprintPdf(sent.stamped)];
  } catch (err) {
    return { verified: false, problem: `the document sent could not be read to compare (${describeError(err)})` };
  }
  try {
    if ((await measureInflatedSize(candidate, MAX_INFLATED_BYTES)) > MAX_INFLATED_BYTES) {
      return { verified: false, problem: `its streams unpack to more than ${MAX_INFLATED_BYTES / (1024 * 1024)} MB` };
    }
    return checkSignedCopy({ original, stamped, token: sent.token }, await fingerprintPdf(candidate));
  } catch (err) {
    return { verified: false, problem: `it cannot be read as a PDF (${describeError(err)})` };
  }
}

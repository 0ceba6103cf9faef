// The simulator's "signed" document: the uploaded PDF with a page appended that says who
// signed and when (the page itself: ../certificate-page.ts); and its signing completion
// certificate, the same facts as a PDF of its own.
import { appendCertificatePage } from '../certificate-page.ts';

export interface SignedPageInput {
  name: string;
  reference: string;
  signers: Array<{ FirstName: string; LastName: string; Email: string }>;
  signedAt: number;
}

function page(heading: string, input: SignedPageInput) {
  return {
    heading,
    facts: [`Document: ${input.name}`, `Reference: ${input.reference}`, `Completed: ${new Date(input.signedAt).toISOString()}`],
    signatures: input.signers.map((s) => `Signed by ${s.FirstName} ${s.LastName} <${s.Email}>`),
    at: input.signedAt,
  };
}

export function appendSignedPage(original: Uint8Array, input: SignedPageInput): Promise<Uint8Array> {
  return appendCertificatePage(original, page('Signing certificate (Secured Signing simulator)', input));
}

/** GET /Download/SigningCompletionCertificate/{ref}: a PDF of its own. */
export function completionCertificate(input: SignedPageInput): Promise<Uint8Array> {
  return appendCertificatePage(null, page('Signing Completion Certificate (Secured Signing simulator)', input));
}

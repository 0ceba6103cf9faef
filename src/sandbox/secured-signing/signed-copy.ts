// The simulator's "signed" document: the uploaded PDF with a page appended that says who
// signed and when (the page itself: ../certificate-page.ts).
import { appendCertificatePage } from '../certificate-page.ts';

export interface SignedPageInput {
  name: string;
  reference: string;
  signers: Array<{ FirstName: string; LastName: string; Email: string }>;
  signedAt: number;
}

export function appendSignedPage(original: Uint8Array, input: SignedPageInput): Promise<Uint8Array> {
  return appendCertificatePage(original, {
    heading: 'Signing certificate (Secured Signing simulator)',
    facts: [`Document: ${input.name}`, `Reference: ${input.reference}`, `Completed: ${new Date(input.signedAt).toISOString()}`],
    signatures: input.signers.map((s) => `Signed by ${s.FirstName} ${s.LastName} <${s.Email}>`),
    at: input.signedAt,
  });
}

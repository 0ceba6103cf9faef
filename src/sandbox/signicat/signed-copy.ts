// The simulator's signing results. A task's result for a document is the uploaded PDF
// with a page saying who signed it "via Signicat (simulated)"; a PAdES packaging result is
// the packaged documents' PDFs one after the other with one page naming every signer. A
// text/plain document (the SDS takes those too) becomes a PDF of that page alone, quoting
// the text. Real results carry real signatures (SDO/PAdES); these only look different.
import { PDFDocument } from 'pdf-lib';
import { appendCertificatePage } from '../certificate-page.ts';

export interface StoredFile {
  bytes: Uint8Array;
  contentType: string;
}

const HEADING = 'Signing certificate (Signicat simulator)';
const signedBy = (signer: string) => `Signed by ${signer} via Signicat (simulated)`;

function textFacts(file: StoredFile | undefined): string[] {
  if (!file || file.contentType === 'application/pdf') return [];
  const text = new TextDecoder().decode(file.bytes).replace(/\s+/g, ' ').trim();
  return [`Signed text: ${text.length > 80 ? `${text.slice(0, 80)}...` : text}`];
}

/** `original` undefined: an UPLOAD document, provided by the signer (the simulator makes none). */
export function signedTaskCopy(original: StoredFile | undefined, input: { orderId: string; taskId: string; documentId: string; signer: string; at: number }): Promise<Uint8Array> {
  const pdf = original?.contentType === 'application/pdf' ? original.bytes : null;
  return appendCertificatePage(pdf, {
    heading: HEADING,
    facts: [
      `Signing order: ${input.orderId}`, `Task: ${input.taskId}, document: ${input.documentId}`,
      `Completed: ${new Date(input.at).toISOString()}`, ...textFacts(original),
      ...(original ? [] : ['Document provided by the signer (simulated upload)']),
    ],
    signatures: [signedBy(input.signer)],
    at: input.at,
  });
}

export async function packagedCopy(originals: StoredFile[], input: { orderId: string; packagingTaskId: string; signers: string[]; at: number }): Promise<Uint8Array> {
  const merged = await PDFDocument.create();
  for (const file of originals.filter((f) => f.contentType === 'application/pdf')) {
    const source = await PDFDocument.load(file.bytes, { ignoreEncryption: true });
    for (const page of await merged.copyPages(source, source.getPageIndices())) merged.addPage(page);
  }
  return appendCertificatePage(merged, {
    heading: HEADING,
    facts: [`Signing order: ${input.orderId}`, `Packaging task: ${input.packagingTaskId} (PAdES)`, `Completed: ${new Date(input.at).toISOString()}`, ...originals.flatMap(textFacts)],
    signatures: input.signers.map(signedBy),
    at: input.at,
  });
}

// The page the simulators append to an uploaded document to make their "signed" copy: a
// heading, a few facts, and one "Signed by …" line per signer. Visible and different
// from the upload, so tests (and the demo) can tell the signed copy from the original —
// it is not a real signature and does not pretend to be one. Shared by the Secured
// Signing and Signicat simulators; each words its own heading and lines.
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';

export interface CertificatePage {
  heading: string;
  /** Facts about the document (name, reference, completion time). */
  facts: string[];
  /** One line per signature, drawn after a gap. */
  signatures: string[];
  /** Becomes the PDF's modification date. */
  at: number;
}

/** The standard fonts only encode WinAnsi; anything else would make pdf-lib throw. */
function winAnsi(text: string): string {
  return text.replace(/[^\x20-\x7E\u00A0-\u00FF]/g, '?');
}

/** `original` null = a document of its own (the upload was not a PDF). */
export async function appendCertificatePage(original: Uint8Array | PDFDocument | null, page: CertificatePage): Promise<Uint8Array> {
  const doc = original === null ? await PDFDocument.create()
    : original instanceof PDFDocument ? original : await PDFDocument.load(original, { ignoreEncryption: true });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const added = doc.addPage([595, 842]);
  let y = 770;
  const line = (text: string, size = 11, f = font) => {
    added.drawText(winAnsi(text), { x: 60, y, size, font: f, color: rgb(0, 0, 0) });
    y -= size + 9;
  };
  line(page.heading, 16, bold);
  for (const fact of page.facts) line(fact);
  y -= 10;
  for (const signature of page.signatures) line(signature);
  doc.setModificationDate(new Date(page.at));
  return doc.save();
}

// The simulator's "signed" document: the uploaded PDF with a page appended that says who
// signed and when. Visible and different from the upload, so tests can tell the signed
// copy from the original — it is not a real signature and does not pretend to be one.
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';

export interface SignedPageInput {
  name: string;
  reference: string;
  signers: Array<{ FirstName: string; LastName: string; Email: string }>;
  signedAt: number;
}

/** The standard fonts only encode WinAnsi; anything else would make pdf-lib throw. */
function winAnsi(text: string): string {
  return text.replace(/[^\x20-\x7E\u00A0-\u00FF]/g, '?');
}

export async function appendSignedPage(original: Uint8Array, input: SignedPageInput): Promise<Uint8Array> {
  const doc = await PDFDocument.load(original, { ignoreEncryption: true });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const page = doc.addPage([595, 842]);
  let y = 770;
  const line = (text: string, size = 11, f = font) => {
    page.drawText(winAnsi(text), { x: 60, y, size, font: f, color: rgb(0, 0, 0) });
    y -= size + 9;
  };
  line('Signing certificate (Secured Signing simulator)', 16, bold);
  line(`Document: ${input.name}`);
  line(`Reference: ${input.reference}`);
  line(`Completed: ${new Date(input.signedAt).toISOString()}`);
  y -= 10;
  for (const s of input.signers) line(`Signed by ${s.FirstName} ${s.LastName} <${s.Email}>`);
  doc.setModificationDate(new Date(input.signedAt));
  return doc.save();
}

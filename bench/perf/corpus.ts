// What the bench sends: the seventeen real-world PDFs of fixtures/real-world/ (used round
// robin), one ~20 MB PDF made here deterministically (pages of incompressible image data
// from a seeded PRNG, so no compression shrinks it and every run sends the same bytes), and
// the request mail around a PDF: from an allowed requester, the record in the subject, one
// signer, the PDF attached.
import { readdirSync, readFileSync } from 'node:fs';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

export const REQUESTER = 'helen.officer@corp.example';
export const REQUEST_ADDRESS = 'sign@corp.example';

export interface CorpusPdf {
  name: string;
  bytes: Uint8Array;
}

const REAL_WORLD = new URL('../../fixtures/real-world/', import.meta.url);

export function realWorldPdfs(): CorpusPdf[] {
  return readdirSync(REAL_WORLD).filter((name) => name.endsWith('.pdf')).sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(new URL(name, REAL_WORLD))) }));
}

/** The i-th PDF of a round-robin over the corpus. */
export const roundRobin = (corpus: readonly CorpusPdf[], i: number) => corpus[i % corpus.length]!;

/** xorshift32: the same bytes on every run and machine. */
function fillRandom(bytes: Uint8Array, seed: number): void {
  let x = seed | 0 || 1;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4));
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
}

/**
 * A PDF of about `targetBytes` (default 20,000,000 — under the 20 MiB max_pdf_bytes and
 * the simulator's upload limit even once stamped): `pages` A4 pages, each a line of text
 * and one unfiltered RGB image of random bytes, as a scan would be (it cannot be inflated
 * or compressed away).
 */
export async function bigPdf(targetBytes = 20_000_000, pages = 8): Promise<CorpusPdf> {
  const { PDFDocument, StandardFonts, drawObject, popGraphicsState, pushGraphicsState, concatTransformationMatrix } = await import('pdf-lib');
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const side = Math.floor(Math.sqrt((targetBytes - 60_000) / pages / 3));
  for (let n = 0; n < pages; n++) {
    const pixels = new Uint8Array(side * side * 3);
    fillRandom(pixels, 0x5eed + n);
    const image = doc.context.register(doc.context.stream(pixels, {
      Type: 'XObject', Subtype: 'Image', Width: side, Height: side, ColorSpace: 'DeviceRGB', BitsPerComponent: 8,
    }));
    const page = doc.addPage([595, 842]);
    page.drawText(`Scanned contract - page ${n + 1} of ${pages}`, { x: 72, y: 800, size: 14, font });
    const name = page.node.newXObject('Scan', image);
    page.pushOperators(pushGraphicsState(), concatTransformationMatrix(451, 0, 0, 451, 72, 300), drawObject(name), popGraphicsState());
  }
  return { name: 'scanned-contract.pdf', bytes: await doc.save({ useObjectStreams: false }) };
}

/** A request mail for `record` with `pdf` attached (unique Message-ID per record). */
export function requestMail(record: string, pdf: CorpusPdf): Promise<Buffer> {
  const composer = new MailComposer({
    from: `Helen Officer <${REQUESTER}>`,
    to: REQUEST_ADDRESS,
    subject: `Please sign: ${pdf.name} for ${record}`,
    text: 'Hello,\n\nplease get this signed.\n\nSigner: Ann Lee <ann.lee@example.com>\nDue: 30d\n',
    messageId: `<bench-${record}@corp.example>`,
    attachments: [{ filename: pdf.name, content: Buffer.from(pdf.bytes.buffer, pdf.bytes.byteOffset, pdf.bytes.byteLength), contentType: 'application/pdf' }],
  });
  return composer.compile().build();
}

// Test PDFs built with pdf-lib: plain documents of any size and page count, documents with
// the requester's own smart tags, and the realistic contract the committed fixtures come
// from (make-fixtures.ts). Helvetica only, so the tests' own PDFs never depend on the
// stamping font. And a scan-like PDF of a given size.
import { randomBytes } from 'node:crypto';
import { degrees, drawObject, PDFDocument, PageSizes, StandardFonts } from 'pdf-lib';

/** Fixed dates keep generated files byte-stable (committed fixtures stay unchanged). */
const FIXED_DATE = new Date('2026-01-15T09:00:00Z');

export interface MakePdfOptions {
  /** Text lines per page; one page per entry. */
  pages?: string[][];
  size?: [number, number];
  /** Page rotation in degrees (0, 90, 180, 270) applied to every page. */
  rotate?: number;
  keywords?: string[];
  title?: string;
  /** Save with object streams and a cross-reference stream, as most modern producers do. */
  objectStreams?: boolean;
}

export async function makePdf(options: MakePdfOptions = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const pages = options.pages ?? [['A plain test document.']];
  for (const lines of pages) {
    const page = doc.addPage(options.size ?? PageSizes.Letter);
    if (options.rotate) page.setRotation(degrees(options.rotate));
    const { height } = page.getSize();
    lines.forEach((line, i) => page.drawText(line, { x: 60, y: height - 80 - i * 16, size: 11, font }));
  }
  if (options.keywords) doc.setKeywords(options.keywords);
  if (options.title) doc.setTitle(options.title);
  doc.setCreationDate(FIXED_DATE);
  doc.setModificationDate(FIXED_DATE);
  doc.setProducer('signrelay test suite');
  doc.setCreator('signrelay test suite');
  return doc.save({ useObjectStreams: options.objectStreams ?? false });
}

/** A PDF with `count` pages, each saying its number. */
export function makePages(count: number): Promise<Uint8Array> {
  return makePdf({ pages: Array.from({ length: count }, (_, i) => [`Page ${i + 1}`]) });
}

const CONTRACT_PAGE_1 = [
  'SERVICES AGREEMENT',
  '',
  'This Services Agreement ("Agreement") is made on 15 January 2026 between',
  'Corp Example Ltd, 1 Example Street, Exampletown ("Customer") and',
  'Northwind Consulting GmbH, Hauptstrasse 5, 10115 Berlin ("Supplier").',
  '',
  '1. Services. Supplier shall provide the consulting services described in',
  '   Schedule A with reasonable skill and care.',
  '2. Term. This Agreement starts on 1 February 2026 and runs for twelve months',
  '   unless terminated earlier under clause 7.',
  '3. Fees. Customer shall pay the fees set out in Schedule B within thirty (30)',
  '   days of a correct invoice. Fees exclude value added tax.',
  '4. Confidentiality. Each party shall keep the other party\'s confidential',
  '   information secret and use it only to perform this Agreement.',
];

const CONTRACT_PAGE_2 = [
  '5. Data protection. Supplier processes personal data only on documented',
  '   instructions from Customer.',
  '6. Liability. Neither party limits liability for death or personal injury',
  '   caused by negligence, or for fraud.',
  '7. Termination. Either party may terminate on thirty (30) days\' written notice.',
  '8. Governing law. This Agreement is governed by the laws of England and Wales.',
  '',
  'Signed for and on behalf of Corp Example Ltd:',
  '',
  '______________________________    Date: ______________',
  '',
  'Signed for and on behalf of Northwind Consulting GmbH:',
  '',
  '______________________________    Date: ______________',
];

/** The two-page contract of fixtures/pdf/sample-contract.pdf. */
export function makeContract(): Promise<Uint8Array> {
  return makePdf({ pages: [CONTRACT_PAGE_1, CONTRACT_PAGE_2], title: 'Services Agreement', keywords: ['contract', 'services'] });
}

/** The contract with the requester's own tags on page 2 (fixtures/pdf/with-tags.pdf). */
export const REQUESTER_TAGS = ['[!Sign.1,Ann,Lee,ann.lee@corp.example]', '[!Sign.2,Bruno,Diaz,bruno.diaz@northwind.example]'];

export function makeTaggedContract(): Promise<Uint8Array> {
  const page2 = [...CONTRACT_PAGE_2];
  page2.splice(9, 1, REQUESTER_TAGS[0]!);
  page2.splice(13, 1, REQUESTER_TAGS[1]!);
  return makePdf({ pages: [CONTRACT_PAGE_1, page2], title: 'Services Agreement (tagged)' });
}

/** A one-page PDF about `bytes` long: an unfiltered image of random bytes, as a scan would be (nothing to compress away). */
export async function scannedPdf(bytes: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const side = Math.ceil(Math.sqrt(bytes / 3));
  const image = doc.context.register(doc.context.stream(randomBytes(side * side * 3), {
    Type: 'XObject', Subtype: 'Image', Width: side, Height: side, ColorSpace: 'DeviceRGB', BitsPerComponent: 8,
  }));
  const page = doc.addPage([595, 842]);
  page.pushOperators(drawObject(page.node.newXObject('Scan', image)));
  return doc.save();
}

// Whether a completion mail's PDF is the request's own document, signed: the pure page
// comparison as a table, then the whole check on real PDFs — stamped by signrelay in both
// modes and signed by the Secured Signing simulator (its copy must verify), and forged in
// the ways a signer holding the stamped PDF could forge it (each must not).
import { PDFDict, PDFDocument, PDFName, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { configSchema, type StampingConfig } from '../../src/config/schema.ts';
import { TOKEN_INFO_KEY } from '../../src/pdf/token-places.ts';
import { checkSignedCopy, type PageFingerprint, type PdfFingerprint } from '../../src/pdf/signed-copy-check.ts';
import { stampPdfInProcess, type StampInput } from '../../src/pdf/stamp-pdf.ts';
import { verifySignedCopy } from '../../src/pdf/pdf-tasks.ts';
import { verifySignedCopyInProcess } from '../../src/pdf/verify-signed-copy.ts';
import { appendSignedPage } from '../../src/sandbox/secured-signing/signed-copy.ts';
import { makePdf } from './make-pdf.ts';

const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
const OTHER_TOKEN = 'aaaaaaaaaaaaaaaaaaaa';
const bytes = (text: string) => new TextEncoder().encode(text);
const page = (content: string, extra: Partial<PageFingerprint> = {}): PageFingerprint => ({
  content: bytes(content), resources: { 'Font/F1': 'helvetica' }, geometry: 'letter', annotations: 'none', ...extra,
});
const pdf = (pages: PageFingerprint[], tokens = [TOKEN]): PdfFingerprint => ({ pages, tokens });

// The requester's two pages; signrelay appended a signature page.
const ORIGINAL = pdf([page('BT (page one) Tj ET'), page('BT (page two) Tj ET')], []);
const STAMPED = pdf([...ORIGINAL.pages, page('BT ([!Sign.1,Ann,Lee,ann@x]) Tj ET', { resources: { 'Font/F2': 'dejavu' } })]);
const SENT = { original: ORIGINAL, stamped: STAMPED, token: TOKEN };
const SIGNATURE_PAGE = STAMPED.pages[2]!;

describe('checkSignedCopy', () => {
  it.each<[string, PdfFingerprint, string | undefined]>([
    ['the stamped pages and a signing certificate page', pdf([...STAMPED.pages, page('BT (certificate) Tj ET')]), undefined],
    ['a signature drawn on the signature page', pdf([...STAMPED.pages.slice(0, 2), { ...SIGNATURE_PAGE, content: bytes('BT ([!Sign.1,Ann,Lee,ann@x]) Tj ET\nq /Sig Do Q'), resources: { ...SIGNATURE_PAGE.resources, 'XObject/Sig': 'ink' } }]), undefined],
    ['the signature page wrapped in q … Q before the signature', pdf([...STAMPED.pages.slice(0, 2), { ...SIGNATURE_PAGE, content: bytes('q\n\nBT ([!Sign.1,Ann,Lee,ann@x]) Tj ET\nQ\nq /Sig Do Q') }]), undefined],
    ['no token', pdf([...STAMPED.pages, page('x')], []), 'the request\'s token is not in its metadata'],
    ['another request\'s token beside ours', pdf([...STAMPED.pages, page('x')], [TOKEN, OTHER_TOKEN]), 'its metadata names another request\'s token'],
    ['fewer pages', pdf(STAMPED.pages.slice(0, 2)), 'it has 2 page(s), fewer than the 3 sent'],
    ['page 1 with other text', pdf([page('BT (other terms) Tj ET'), ...STAMPED.pages.slice(1), page('x')]), 'page 1 differs from the page sent (its content)'],
    ['page 2 with something added', pdf([STAMPED.pages[0]!, page('BT (page two) Tj ET\nBT (and more) Tj ET'), ...STAMPED.pages.slice(2), page('x')]), 'page 2 differs from the page sent (its content)'],
    ['page 1 with its image swapped', pdf([page('BT (page one) Tj ET', { resources: { 'Font/F1': 'helvetica', 'XObject/Im0': 'other scan' } }), ...STAMPED.pages.slice(1), page('x')]), 'page 1 differs from the page sent (its resources)'],
    ['page 2 rotated', pdf([STAMPED.pages[0]!, page('BT (page two) Tj ET', { geometry: 'letter rotated' }), ...STAMPED.pages.slice(2), page('x')]), 'page 2 differs from the page sent (its size or rotation)'],
    ['page 1 with an annotation over it', pdf([page('BT (page one) Tj ET', { annotations: 'free text' }), ...STAMPED.pages.slice(1), page('x')]), 'page 1 differs from the page sent (its annotations)'],
    ['the signature page with its tags replaced', pdf([...STAMPED.pages.slice(0, 2), page('BT (Signed by CEO) Tj ET', { resources: SIGNATURE_PAGE.resources }), page('x')]), 'page 3 differs from the page sent (its content)'],
    ['the stamped document as it was sent', STAMPED, 'nothing was added to the document sent: it is not signed'],
  ])('%s', (_name, candidate, problem) => {
    const verdict = checkSignedCopy(SENT, candidate);
    expect(verdict).toEqual(problem === undefined ? { verified: true } : { verified: false, problem });
  });
});

const STAMPING: StampingConfig = configSchema.shape.stamping.parse(undefined);
const SIGNERS = [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com' }];

async function stamp(original: Uint8Array, stamping: Partial<StampingConfig> = {}): Promise<Uint8Array> {
  const input: StampInput = {
    token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C', signers: SIGNERS,
    request: { fileName: 'contract.pdf', subject: 'Please sign RITM0010001', record: 'RITM0010001', due: '2026-12-24', requester: 'pat@corp.example', route: 'default' },
    stamping: { ...STAMPING, ...stamping }, ownText: { tags: [] }, now: new Date('2026-02-01T10:00:00Z'),
  };
  return stampPdfInProcess(original, input);
}

const simulatorSigned = (stamped: Uint8Array) => appendSignedPage(stamped, {
  name: 'contract.pdf', reference: 'gBeueUBEgsG5wnzI', signedAt: Date.parse('2026-02-03T10:00:00Z'),
  signers: [{ FirstName: 'Ann', LastName: 'Lee', Email: 'ann.lee@example.com' }],
});

async function edit(pdfBytes: Uint8Array, change: (doc: PDFDocument) => Promise<void> | void, objectStreams = false): Promise<Uint8Array> {
  const doc = await PDFDocument.load(pdfBytes, { updateMetadata: false });
  await change(doc);
  return doc.save({ useObjectStreams: objectStreams });
}

describe('verifySignedCopy on real PDFs', () => {
  it.each([['signature-page'], ['overlay']] as const)('%s mode: the simulator\'s signed copy verifies, a signature drawn on the stamped page too', async (mode) => {
    const original = await makePdf({ pages: [['Contract, page 1'], ['Contract, page 2']] });
    const stamped = await stamp(original, { mode });
    const sent = { original, stamped, token: TOKEN };
    expect(await verifySignedCopyInProcess(await simulatorSigned(stamped), sent)).toEqual({ verified: true });
    // A service that draws the signature onto the page that carries the tags (pdf-lib wraps what is there in q … Q first).
    const drawn = await edit(stamped, async (doc) => {
      const font = await doc.embedFont(StandardFonts.HelveticaOblique);
      doc.getPage(doc.getPageCount() - 1).drawText('Ann Lee', { x: 100, y: 100, size: 18, font });
    }, true);
    expect(await verifySignedCopyInProcess(drawn, sent)).toEqual({ verified: true });
  });

  it.each<[string, (stamped: Uint8Array, signed: Uint8Array) => Promise<Uint8Array>, RegExp]>([
    ['another PDF', () => makePdf({ pages: [['Forged terms']] }), /token is not in its metadata/],
    ['the signed copy with page 1 drawn on', (_s, signed) => edit(signed, async (doc) => {
      doc.getPage(0).drawText('The contractor waives every claim.', { x: 60, y: 300, size: 11, font: await doc.embedFont(StandardFonts.Helvetica) });
    }), /^page 1 differs from the page sent/],
    ['the signed copy with page 2 removed', (_s, signed) => edit(signed, (doc) => doc.removePage(1)), /^page 2 differs/],
    ['the signed copy without its token', (_s, signed) => edit(signed, (doc) => {
      doc.setKeywords([]);
      (doc.context.lookup(doc.context.trailerInfo.Info) as PDFDict).delete(PDFName.of(TOKEN_INFO_KEY));
    }), /token is not in its metadata/],
    ['the stamped document unsigned', (stamped) => Promise.resolve(stamped), /nothing was added/],
    ['a file that is not a PDF', () => Promise.resolve(bytes('%PDF-1.7\nnot really')), /cannot be read as a PDF/],
  ])('a forged copy: %s, does not verify', async (_name, forge, problem) => {
    const original = await makePdf({ pages: [['Contract, page 1'], ['Contract, page 2']] });
    const stamped = await stamp(original);
    const forged = await forge(stamped, await simulatorSigned(stamped));
    const verdict = await verifySignedCopyInProcess(forged, { original, stamped, token: TOKEN });
    expect(verdict.verified).toBe(false);
    expect(verdict.verified === false && verdict.problem).toMatch(problem);
  });

  it('runs in the PDF worker, with the same answer', async () => {
    const original = await makePdf({ pages: [['Contract, page 1']] });
    const stamped = await stamp(original);
    const sent = { original, stamped, token: TOKEN };
    expect(await verifySignedCopy(await simulatorSigned(stamped), sent)).toEqual({ verified: true });
    expect(await verifySignedCopy(await makePdf(), sent)).toMatchObject({ verified: false, problem: expect.stringMatching(/token/) });
  }, 180_000);
});

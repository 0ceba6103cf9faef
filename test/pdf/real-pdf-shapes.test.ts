// PDFs in the shapes real people send beyond plain pages: forms drawn from XFA, portfolios,
// stamped copies sent again, odd boxes and sizes. Each is either stamped so that what the
// signers see is what is signed, or refused with one reply saying what to send instead.
import { PDFDict, PDFDocument, PDFHexString, PDFName } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { configSchema, type StampingConfig } from '../../src/config/schema.ts';
import { isSignrelayError } from '../../src/errors.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { ownTagProblems } from '../../src/pdf/own-tag-rules.ts';
import { preparePdf, stampPdf } from '../../src/pdf/pdf-tasks.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';
import { makePdf } from './make-pdf.ts';
import { pdftotextBoxes } from './pdftotext.ts';
import { portfolio, withAttachment, xfaForm } from './real-pdf-fixtures.ts';

const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
const DEFAULT_STAMPING: StampingConfig = configSchema.shape.stamping.parse(undefined);
const LIMITS = { maxPages: 500, maxPdfBytes: 20 * 1024 * 1024, fileName: 'form.pdf' };
const SIGN_TAG = '[!Sign.1,Ann,Lee,ann.lee@corp.example]';

function input(stamping: Partial<StampingConfig> = {}, overrides: Partial<StampInput> = {}): StampInput {
  return {
    token: TOKEN, returnAddress: `returns+${TOKEN}@corp.example`, recipientLetter: 'C',
    signers: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' }],
    request: { fileName: 'form.pdf', subject: 'Please sign RITM0010001', record: 'RITM0010001', due: '2026-12-24', requester: 'pat@corp.example', route: 'default' },
    stamping: { ...DEFAULT_STAMPING, ...stamping }, now: new Date('2026-02-01T10:00:00Z'), ...overrides,
  };
}

/** The refusal a call ends in, as kind, code and message. */
async function refusal(work: Promise<unknown>): Promise<{ kind: string; code: string; message: string } | 'stamped'> {
  const err = await work.then(() => 'stamped' as const, (e: unknown) => e);
  if (err === 'stamped') return err;
  if (!isSignrelayError(err)) throw err;
  return { kind: err.kind, code: err.code, message: err.message };
}

describe('XFA forms', () => {
  it.each(['dynamic', 'placeholder-only'] as const)('refuses a %s XFA form (its page only the "Please wait..." placeholder), saying to print it to PDF', async (kind) => {
    for (const mode of ['signature-page', 'overlay'] as const) {
      const refused = await refusal(preparePdf(await xfaForm(kind), LIMITS, input({ mode })));
      expect(refused).toMatchObject({ kind: 'input', code: 'pdf_xfa_form' });
      expect((refused as { message: string }).message).toMatch(/^form\.pdf is an XFA form .*Fill it in, then print it to PDF \(Microsoft Print to PDF, or Save as PDF\) and send that$/);
    }
  });

  it('stamps a static XFA form without its XFA, so viewers show the pages that were signed', async () => {
    const stamped = await stampPdf(await xfaForm('static'), input());
    const doc = await PDFDocument.load(stamped);
    expect(doc.catalog.lookup(PDFName.of('AcroForm'), PDFDict).has(PDFName.of('XFA'))).toBe(false);
    expect(doc.catalog.has(PDFName.of('NeedsRendering'))).toBe(false);
    const pages = await extractPdfText(stamped);
    expect(pages[0]).toContain('Maria Gonzalez');
    expect(pages[1]).toContain(SIGN_TAG);
  });
});

describe('PDF portfolios', () => {
  it('refuses a portfolio (only its cover sheet is a page), saying to send the documents in it as PDFs of their own or combined into one', async () => {
    const refused = await refusal(preparePdf(await portfolio(), LIMITS, input()));
    expect(refused).toMatchObject({ kind: 'input', code: 'pdf_portfolio' });
    expect((refused as { message: string }).message).toMatch(/^form\.pdf is a PDF portfolio: .*Attach the documents in it as separate PDFs, or combine them into one ordinary PDF .*and send that$/);
  });

  it('stamps one whose collection view is hidden (/View /H): viewers open it on its own pages, which are the document (diff review 22 L7)', async () => {
    const stamped = await stampPdf(await portfolio('H'), input());
    const pages = await extractPdfText(stamped);
    expect(pages[0]).toContain('SERVICES AGREEMENT');
    expect(pages[1]).toContain(SIGN_TAG);
  });

  it('stamps an ordinary PDF with a file attached inside it, keeping the attachment', async () => {
    const stamped = await stampPdf(await withAttachment(), input());
    const doc = await PDFDocument.load(stamped);
    expect(doc.catalog.lookup(PDFName.of('Names'), PDFDict).has(PDFName.of('EmbeddedFiles'))).toBe(true);
    expect((await extractPdfText(stamped))[1]).toContain(SIGN_TAG);
  });
});

describe('a copy signrelay stamped, sent in again', () => {
  const again = 'form.pdf: this copy was already prepared for signing (reference k7q2mzx4bd5fh6jn3wpa) and carries the signature page signrelay added: send the original document without the signature page';

  it('is answered that the copy was prepared already, with signers in the mail or without, not told to look for a hidden tag', async () => {
    const once = await stampPdf(await makePdf({ pages: [['Contract']] }), input());
    const mailSigners = { source: 'your mail', signers: [{ firstName: 'Bo', lastName: 'Ek', email: 'bo.ek@corp.example' }], useTagsFix: 'To have the document\'s signers sign, send it again without Signer: lines' };
    const withSigners = await preparePdf(once, LIMITS, { ...input(), token: 'aaaabbbbccccddddeeee', returnAddress: 'returns+aaaabbbbccccddddeeee@corp.example' });
    expect(ownTagProblems('form.pdf', withSigners.facts.tags, mailSigners)).toEqual([again]);
    const without = await preparePdf(once, LIMITS, { ...input(), signers: [] });
    expect(ownTagProblems('form.pdf', without.facts.tags, null)).toEqual([again]);
  });

  it('is refused as such when the stamp itself judges the document\'s tags', async () => {
    const once = await stampPdf(await makePdf({ pages: [['Contract']] }), input());
    const tags = (await preparePdf(once, LIMITS, { ...input(), signers: [] })).facts.tags;
    expect(await refusal(stampPdf(once, input({}, { ownText: { tags } })))).toEqual({ kind: 'input', code: 'pdf_own_tags', message: again });
  });

  it('a return tag in another name is still a foreign recipient tag, possibly hidden', () => {
    const problems = ownTagProblems('form.pdf', [{ family: 'recipient', text: '[!Recipient.C,Eve,Evil,returns+k7q2mzx4bd5fh6jn3wpa@corp.example]' }], null);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/contains its own completion-recipient tag .*an address signrelay did not choose.*it may be hidden, as white or tiny text/);
  });
});

describe('a page without a media box', () => {
  it('is read as Letter, as every viewer reads it, not refused as damaged; one the page tree gives its size keeps it', async () => {
    const doc = await PDFDocument.load(await makePdf({ pages: [['No media box'], ['Inherited A4']], size: [595, 842] }));
    doc.getPage(0).node.delete(PDFName.of('MediaBox'));
    doc.getPage(1).node.delete(PDFName.of('MediaBox'));
    doc.catalog.Pages().set(PDFName.of('MediaBox'), doc.context.obj([0, 0, 595, 842]));
    const inherited = await doc.save();
    doc.catalog.Pages().delete(PDFName.of('MediaBox'));
    const missing = await doc.save();

    const prepared = await preparePdf(missing, LIMITS, input());
    const stamped = await PDFDocument.load(prepared.stamped!);
    expect(stamped.getPage(0).getSize()).toEqual({ width: 612, height: 792 });
    expect(stamped.getPage(2).getSize()).toEqual({ width: 612, height: 792 });
    const pages = await extractPdfText(prepared.stamped!);
    expect(pages[0]).toContain('No media box');
    expect(pages[2]).toContain(SIGN_TAG);

    const kept = await PDFDocument.load(await stampPdf(inherited, input()));
    expect(kept.getPage(0).getSize()).toEqual({ width: 595, height: 842 });
    expect(kept.getPage(0).node.has(PDFName.of('MediaBox'))).toBe(false);
  });
});

describe('a Reader-extended form', () => {
  async function readerExtended(alsoCertified: boolean): Promise<Uint8Array> {
    const doc = await PDFDocument.load(await makePdf({ pages: [['Government form']] }));
    const signature = (method: string) => doc.context.register(doc.context.obj({
      Type: 'Sig', Filter: 'Adobe.PPKLite', SubFilter: 'adbe.pkcs7.detached', ByteRange: [0, 100, 200, 300], Contents: PDFHexString.of('00'),
      Reference: [{ Type: 'SigRef', TransformMethod: method, TransformParams: { Type: 'TransformParams', V: '2.2', Form: ['FillIn', 'Export'] } }],
    }));
    const docMdp = alsoCertified ? { DocMDP: signature('DocMDP') } : {};
    doc.catalog.set(PDFName.of('Perms'), doc.context.obj({ UR3: signature('UR3'), UR: signature('UR'), ...docMdp }));
    return doc.save();
  }

  it('loses its usage rights (/Perms /UR3, /UR), which the rewrite breaks, and /Perms when nothing else is left in it', async () => {
    const stamped = await PDFDocument.load(await stampPdf(await readerExtended(false), input()));
    expect(stamped.catalog.has(PDFName.of('Perms'))).toBe(false);
    const certified = await PDFDocument.load(await stampPdf(await readerExtended(true), input()));
    expect(certified.catalog.lookup(PDFName.of('Perms'), PDFDict).keys().map(String)).toEqual(['/DocMDP']);
  });
});

describe('the signature page\'s size', () => {
  const A4 = { width: 595.28, height: 841.89 };
  const lastPageSize = async (bytes: Uint8Array) => {
    const doc = await PDFDocument.load(bytes);
    return doc.getPage(doc.getPageCount() - 1).getSize();
  };

  it('is A4 portrait for a photo-sized page (3024×4032 pt from an image-to-PDF export): its tags are readable, not a speck', async () => {
    const stamped = await stampPdf(await makePdf({ pages: [['Scanned contract']], size: [3024, 4032] }), input());
    expect(await lastPageSize(stamped)).toEqual(A4);
    const tag = (await pdftotextBoxes(stamped)).find((b) => b.word.startsWith('[!Sign.1'))!;
    expect((tag.yMax - tag.yMin) / tag.pageHeight).toBeGreaterThan(0.01);
  });

  it('is A4 portrait for a page past 1.5 × A3 on one side or too short for a signer\'s block; a landscape slide or an A3 page keeps its size', async () => {
    expect(await lastPageSize(await stampPdf(await makePdf({ pages: [['Strip']], size: [2000, 300] }), input()))).toEqual(A4);
    expect(await lastPageSize(await stampPdf(await makePdf({ pages: [['Banner']], size: [1000, 2000] }), input()))).toEqual(A4);
    // 320 pt holds one signer's block at 10 pt, not at 24 pt (stamping.font_size; the page's own text is drawn at 14 at most).
    const short = await makePdf({ pages: [['Short']], size: [700, 320] });
    expect(await lastPageSize(await stampPdf(short, input()))).toEqual({ width: 700, height: 320 });
    expect(await lastPageSize(await stampPdf(short, input({ font_size: 24 })))).toEqual(A4);
    expect(await lastPageSize(await stampPdf(await makePdf({ pages: [['Slide']], size: [720, 405] }), input()))).toEqual({ width: 720, height: 405 });
    expect(await lastPageSize(await stampPdf(await makePdf({ pages: [['A3']], size: [1191, 842] }), input()))).toEqual({ width: 1191, height: 842 });
  });

  it('is the size the page is displayed at: its crop box, cut to its media box', async () => {
    const doc = await PDFDocument.load(await makePdf({ pages: [['Cropped']], size: [2000, 2000] }));
    doc.getPage(0).setCropBox(100, 100, 612, 792);
    const stamped = await stampPdf(await doc.save(), input());
    expect(await lastPageSize(stamped)).toEqual({ width: 612, height: 792 });
    const past = await PDFDocument.load(await makePdf({ pages: [['Crop past the page']], size: [612, 792] }));
    past.getPage(0).setCropBox(-50, 0, 800, 900);
    expect(await lastPageSize(await stampPdf(await past.save(), input()))).toEqual({ width: 612, height: 792 });
  });
});

describe('the stamped copy\'s size', () => {
  /** A tagged PDF as Word or LibreOffice exports it for accessibility: thousands of small structure objects. */
  async function tagged(objectStreams: boolean): Promise<Uint8Array> {
    const doc = await PDFDocument.load(await makePdf({ pages: Array.from({ length: 20 }, (_, i) => [`Page ${i + 1}`]) }));
    const elements = Array.from({ length: 4_000 }, (_, i) => doc.context.register(doc.context.obj({ Type: 'StructElem', S: 'P', K: i % 100, Pg: doc.getPage(i % 20).ref })));
    doc.catalog.set(PDFName.of('StructTreeRoot'), doc.context.obj({ Type: 'StructTreeRoot', K: elements }));
    doc.catalog.set(PDFName.of('MarkInfo'), doc.context.obj({ Marked: true }));
    return doc.save({ useObjectStreams: objectStreams });
  }
  const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

  it('keeps object streams when the original had a cross-reference stream, so a tagged PDF does not grow several times over; a classic table stays one', async () => {
    const modern = await tagged(true);
    const stamped = await stampPdf(modern, input());
    expect(latin1(stamped)).toContain('/ObjStm');
    expect(stamped.length / modern.length).toBeLessThan(1.3);
    expect((await extractPdfText(stamped))[20]).toContain(SIGN_TAG);
    const classic = await stampPdf(await makePdf({ pages: [['Classic']] }), input());
    expect(latin1(classic)).not.toContain('/ObjStm');
    expect(latin1(classic)).toMatch(/\nxref\n/);
  });

  it('refuses a PDF within limits.max_pdf_bytes as sent that its stamp takes past it, before the request is accepted', async () => {
    const original = await makePdf({ pages: [['Contract']] });
    const refused = await refusal(preparePdf(original, { ...LIMITS, maxPdfBytes: original.length + 1_000 }, input()));
    expect(refused).toMatchObject({ kind: 'input', code: 'pdf_stamped_too_large' });
    expect((refused as { message: string }).message).toMatch(/^form\.pdf would be \d+\.\d MB once prepared for signing, more than the \d+\.\d MB signrelay accepts: send a smaller file .*or split the document$/);
  });
});

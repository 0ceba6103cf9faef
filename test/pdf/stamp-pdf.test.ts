// Stamping, checked from the outside: every tag must be found whole by pdf.js AND by
// poppler's pdftotext, the original pages must keep their content streams, and the token
// must come back out of the metadata.
import { readFileSync } from 'node:fs';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef, PDFString } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { configSchema, type StampingConfig } from '../../src/config/schema.ts';
import { isSignrelayError } from '../../src/errors.ts';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { inspectPdf, preparePdf, readTokenFromPdf, stampPdf } from '../../src/pdf/pdf-tasks.ts';
import { stampTags, type StampInput } from '../../src/pdf/stamp-tags.ts';
import type { Signer } from '../../src/signer.ts';
import { makePages, makePdf, REQUESTER_TAGS } from './make-pdf.ts';
import { pdftotextBoxes, pdftotextPages } from './pdftotext.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/pdf/${name}`, import.meta.url)));
const TOKEN = 'k7q2mzx4bd5fh6jn3wpa';
const DEFAULT_STAMPING: StampingConfig = configSchema.shape.stamping.parse(undefined);
const SIGNERS: Signer[] = [
  { firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@corp.example' },
  { firstName: 'Bruno', lastName: 'Diaz', email: 'bruno.diaz@northwind.example' },
];
const SIGN_TAGS = ['[!Sign.1,Ann,Lee,ann.lee@corp.example]', '[!Sign.2,Bruno,Diaz,bruno.diaz@northwind.example]'];
const RECIPIENT_TAG = `[!Recipient.C,signrelay,Returns,returns+${TOKEN}@corp.example]`;

function input(overrides: Partial<StampInput> = {}, stamping: Partial<StampingConfig> = {}): StampInput {
  return {
    token: TOKEN,
    returnAddress: `returns+${TOKEN}@corp.example`,
    recipientLetter: 'C',
    signers: SIGNERS,
    request: { fileName: 'contract.pdf', subject: 'Please sign RITM0010001', record: 'RITM0010001', due: '2026-12-24', requester: 'pat@corp.example', route: 'default' },
    stamping: { ...DEFAULT_STAMPING, ...stamping },
    now: new Date('2026-02-01T10:00:00Z'),
    ...overrides,
  };
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

/** Both extractors, one string per page; every test checks tags against both. */
async function texts(bytes: Uint8Array): Promise<{ pdfjs: string[]; poppler: string[] }> {
  return { pdfjs: await extractPdfText(bytes), poppler: await pdftotextPages(bytes) };
}

/** The decoded-as-stored bytes of each content stream of each page. */
async function contentStreams(bytes: Uint8Array): Promise<string[][]> {
  const doc = await PDFDocument.load(bytes);
  return doc.getPages().map((page) => {
    const contents = page.node.get(PDFName.of('Contents'));
    const refs = contents instanceof PDFArray ? contents.asArray() : [contents];
    return refs.map((ref) => {
      const stream = doc.context.lookup(ref as PDFRef);
      return stream instanceof PDFRawStream ? Buffer.from(stream.contents).toString('latin1') : 'generated';
    });
  });
}

describe('stampPdf, signature-page mode', () => {
  it('appends a page with every tag, found whole by pdf.js and by pdftotext', async () => {
    const stamped = await stampPdf(fixture('sample-contract.pdf'), input());
    const { pdfjs, poppler } = await texts(stamped);
    expect(pdfjs).toHaveLength(3);
    for (const pages of [pdfjs, poppler]) {
      for (const tag of [...SIGN_TAGS, RECIPIENT_TAG]) expect(count(pages[2]!, tag)).toBe(1);
      expect(pages.slice(0, 2).join('')).not.toContain('[!');
    }
    expect(pdfjs[2]).toContain('RITM0010001');
    expect(pdfjs[2]).toContain(TOKEN);
  });

  it('keeps the original pages\' content streams byte for byte', async () => {
    const original = fixture('sample-contract.pdf');
    const before = await contentStreams(original);
    const after = await contentStreams(await stampPdf(original, input()));
    expect(after.slice(0, 2)).toEqual(before);
  });

  it('gives the added page the size of the last page, as displayed', async () => {
    const a5Landscape = await makePdf({ pages: [['one']], size: [595, 420] });
    const rotated = await makePdf({ pages: [['one']], size: [612, 792], rotate: 90 });
    for (const [bytes, size] of [[a5Landscape, { width: 595, height: 420 }], [rotated, { width: 792, height: 612 }]] as const) {
      const doc = await PDFDocument.load(await stampPdf(bytes, input()));
      expect(doc.getPage(doc.getPageCount() - 1).getSize()).toEqual(size);
    }
  });

  it('gives the added page its own crop box and no rotation: a page tree that crops or turns its pages does not crop or turn it', async () => {
    const doc = await PDFDocument.load(await makePdf({ pages: [['one']], size: [612, 792] }));
    // Inheritable, on the tree's root: Ghostscript's extracts crop every page to a small window.
    doc.catalog.Pages().set(PDFName.of('CropBox'), doc.context.obj([0, 0, 120, 90]));
    doc.catalog.Pages().set(PDFName.of('Rotate'), doc.context.obj(90));
    const stamped = await stampPdf(await doc.save(), input());
    const after = await PDFDocument.load(stamped);
    const page = after.getPage(after.getPageCount() - 1);
    expect(page.getCropBox()).toEqual({ x: 0, y: 0, width: page.getWidth(), height: page.getHeight() });
    expect(page.getRotation().angle).toBe(0);
    const { pdfjs, poppler } = await texts(stamped);
    for (const all of [pdfjs.join('\n'), poppler.join('\n')]) for (const tag of [...SIGN_TAGS, RECIPIENT_TAG]) expect(count(all, tag)).toBe(1);
  });

  it('continues on more pages for many signers, every tag whole and on a page', async () => {
    const signers = Array.from({ length: 20 }, (_, i) => ({ firstName: `Signer${i + 1}`, lastName: 'Example', email: `signer${i + 1}@corp.example` }));
    const stamped = await stampPdf(await makePages(1), input({ signers }));
    const { pdfjs, poppler } = await texts(stamped);
    expect(pdfjs.length).toBeGreaterThan(2);
    for (const all of [pdfjs.join('\n'), poppler.join('\n')]) {
      signers.forEach((s, i) => expect(count(all, `[!Sign.${i + 1},Signer${i + 1},Example,${s.email}]`)).toBe(1));
      expect(count(all, RECIPIENT_TAG)).toBe(1);
    }
  });

  it('shrinks a very long tag instead of wrapping it, and keeps it on the page', async () => {
    const long: Signer = { firstName: 'Maximiliane Alexandra Konstantina', lastName: 'von Hohenzollern-Sigmaringen', email: `${'a'.repeat(60)}.very.long.mailbox@subdomain.corp.example` };
    const stamped = await stampPdf(await makePages(1), input({ signers: [long] }));
    const tag = stampTags(input({ signers: [long] }), false).signTags[0]!;
    const { pdfjs, poppler } = await texts(stamped);
    expect(pdfjs[1]).toContain(tag);
    expect(poppler[1]!.replace(/ {2,}/g, ' ')).toContain(tag);
    for (const box of await pdftotextBoxes(stamped)) {
      expect(box.xMin).toBeGreaterThanOrEqual(0);
      expect(box.xMax).toBeLessThanOrEqual(box.pageWidth);
    }
  });

  it('prints Latin diacritics, Greek and ligature-prone names, and the derived name for CJK', async () => {
    const signers: Signer[] = [
      { firstName: 'Zoë', lastName: 'Ångström', email: 'zoe.angstrom@corp.example' },
      { firstName: 'Ηλέκτρα', lastName: 'Παπαδοπούλου', email: 'electra@corp.example' },
      { firstName: '山田', lastName: '太郎', email: 'taro.yamada@corp.example' },
      { firstName: 'Griffin', lastName: 'Fläffle', email: 'griffin@corp.example' },
    ];
    const expected = [
      '[!Sign.1,Zoë,Ångström,zoe.angstrom@corp.example]',
      '[!Sign.2,Ηλέκτρα,Παπαδοπούλου,electra@corp.example]',
      '[!Sign.3,Taro,Yamada,taro.yamada@corp.example]',
      '[!Sign.4,Griffin,Fläffle,griffin@corp.example]',
    ];
    const stamped = await stampPdf(await makePages(1), input({ signers }));
    expect(stampTags(input({ signers }), false).signTags).toEqual(expected);
    const { pdfjs, poppler } = await texts(stamped);
    for (const page of [pdfjs[1]!, poppler[1]!]) {
      for (const tag of expected) expect(count(page.normalize('NFC'), tag)).toBe(1);
      expect(page).not.toContain('山田');
    }
  });

  it('draws the signature page in the Unicode font when outside text needs it only once normalised', async () => {
    // "½" is Latin-1, but the page draws text normalised (NFKC: "1⁄2", with U+2044, which
    // Helvetica's encoding lacks): the font is chosen for the text as drawn, not as received.
    const request = { fileName: 'Vertrag ½.pdf', subject: 'Договор для Дмитрия', requester: 'pat@corp.example' };
    const stamped = await stampPdf(await makePages(1), input({ request }));
    const { pdfjs } = await texts(stamped);
    const page = pdfjs[1]!.normalize('NFC');
    expect(page).toContain('1⁄2');
    expect(page).toContain('Договор для Дмитрия');
    for (const tag of [...SIGN_TAGS, RECIPIENT_TAG]) expect(count(page, tag)).toBe(1);
  });

  it('stamps a PDF stored with object streams and a cross-reference stream', async () => {
    const modern = await makePdf({ pages: [['Modern layout']], objectStreams: true });
    expect(Buffer.from(modern).toString('latin1')).toContain('/ObjStm');
    const { pdfjs, poppler } = await texts(await stampPdf(modern, input()));
    for (const pages of [pdfjs, poppler]) {
      expect(pages[0]).toContain('Modern layout');
      for (const tag of [...SIGN_TAGS, RECIPIENT_TAG]) expect(count(pages[1]!, tag)).toBe(1);
    }
  });

  it('refuses a document with neither signers nor tags of its own', async () => {
    await expect(stampPdf(await makePages(1), input({ signers: [] }))).rejects.toMatchObject({ kind: 'input', code: 'no_signers' });
  });

  it('refuses an encrypted PDF even when called without inspection', async () => {
    await expect(stampPdf(fixture('encrypted-owner-only.pdf'), input())).rejects.toMatchObject({ kind: 'input', code: 'pdf_encrypted' });
  });

  it('refuses a return address that does not carry the token', async () => {
    await expect(stampPdf(await makePages(1), input({ returnAddress: 'returns@corp.example' }))).rejects.toThrow(RangeError);
  });
});

describe('stampPdf, overlay mode', () => {
  it('draws the tags on the configured page without adding pages', async () => {
    const stamped = await stampPdf(await makePages(3), input({}, { mode: 'overlay', overlay: { page: 2, x: 72, y: 72, line_height: 18 } }));
    const { pdfjs, poppler } = await texts(stamped);
    expect(pdfjs).toHaveLength(3);
    for (const pages of [pdfjs, poppler]) {
      for (const tag of [...SIGN_TAGS, RECIPIENT_TAG]) expect(count(pages[1]!, tag)).toBe(1);
      expect(pages[0]! + pages[2]!).not.toContain('[!');
      expect(pages[1]).toContain('Page 2');
    }
  });

  it.each([[-1, 2], [1, 0], [9, 2], [-9, 0]])('page %i of 3 means page index %i (clamped)', async (page, index) => {
    const stamped = await stampPdf(await makePages(3), input({}, { mode: 'overlay', overlay: { page, x: 72, y: 72, line_height: 18 } }));
    const pdfjs = await extractPdfText(stamped);
    expect(pdfjs.findIndex((p) => p.includes(RECIPIENT_TAG))).toBe(index);
  });

  it('stacks the tags upward from y, first signer on top, at x', async () => {
    const stamped = await stampPdf(await makePages(1), input({}, { mode: 'overlay', overlay: { page: 1, x: 100, y: 50, line_height: 20 } }));
    const boxes = (await pdftotextBoxes(stamped)).filter((b) => b.word.startsWith('[!'));
    expect(boxes.map((b) => b.word.slice(0, 7))).toEqual(['[!Sign.', '[!Sign.', '[!Recip']);
    for (const box of boxes) expect(Math.round(box.xMin)).toBe(100);
    // pdftotext measures from the top: the last tag's baseline is 50 pt above the bottom.
    expect(boxes[2]!.pageHeight - boxes[2]!.yMax).toBeGreaterThan(45);
    expect(boxes[2]!.pageHeight - boxes[2]!.yMax).toBeLessThan(50);
    expect(Math.round(boxes[1]!.yMax - boxes[0]!.yMax)).toBe(20);
  });

  it('refuses a position whose tags would leave the page, as a config error', async () => {
    const err = await stampPdf(await makePages(1), input({}, { mode: 'overlay', overlay: { page: 1, x: 72, y: 780, line_height: 18 } })).catch((e: unknown) => e);
    expect(isSignrelayError(err) && err.kind === 'config' && err.code === 'overlay_off_page').toBe(true);
  });

  it('refuses a PDF that already carries a digital signature, which rewriting it would break; an empty signature field is no signature', async () => {
    const withField = async (signed: boolean) => {
      const doc = await PDFDocument.load(await makePages(1));
      const value = signed ? { V: doc.context.obj({ Type: 'Sig', Filter: 'Adobe.PPKLite', SubFilter: 'adbe.pkcs7.detached', ByteRange: [0, 10, 20, 30], Contents: PDFString.of('00') }) } : {};
      // The field nests under a parent that names its type: the kid inherits /FT, as forms write it.
      const field = doc.context.register(doc.context.obj({ T: PDFString.of('Approval'), ...value }));
      const parent = doc.context.register(doc.context.obj({ FT: 'Sig', T: PDFString.of('Signatures'), Kids: [field] }));
      doc.catalog.set(PDFName.of('AcroForm'), doc.context.obj({ Fields: [parent], SigFlags: signed ? 3 : 0 }));
      return doc.save();
    };
    const err = await stampPdf(await withField(true), input()).catch((e: unknown) => e);
    expect(isSignrelayError(err) && { kind: err.kind, code: err.code, message: err.message }).toEqual({
      kind: 'input', code: 'pdf_signed', message: 'contract.pdf already carries a digital signature, which adding the signature page would break: send the document as it was before it was signed, or have it countersigned at the signing service directly',
    });
    const { pdfjs } = await texts(await stampPdf(await withField(false), input()));
    expect(count(pdfjs.join('\n'), RECIPIENT_TAG)).toBe(1);
  });

  it('takes a page too narrow for a tag at any readable size for the overlay not fitting (intake then appends a signature page), not for the requester\'s mistake', async () => {
    const card = await makePdf({ pages: [['Label']], size: [120, 250] });
    const err = await stampPdf(card, input({}, { mode: 'overlay', overlay: { page: 1, x: 20, y: 40, line_height: 14 } })).catch((e: unknown) => e);
    expect(isSignrelayError(err) && { kind: err.kind, code: err.code }).toEqual({ kind: 'config', code: 'overlay_off_page' });
  });
});

describe('stampPdf, a PDF with the requester\'s own [!Sign.] tags', () => {
  it.each(['signature-page', 'overlay'] as const)('%s: keeps them and adds only the recipient tag', async (mode) => {
    const original = fixture('with-tags.pdf');
    const stamped = await stampPdf(original, input({ signers: [] }, { mode }));
    const { pdfjs, poppler } = await texts(stamped);
    expect(pdfjs).toHaveLength(mode === 'overlay' ? 2 : 3);
    for (const all of [pdfjs.join('\n'), poppler.join('\n')]) {
      for (const tag of REQUESTER_TAGS) expect(count(all, tag)).toBe(1);
      expect(count(all, '[!Sign.')).toBe(2);
      expect(count(all, '[!Recipient.')).toBe(1);
      expect(count(all, RECIPIENT_TAG)).toBe(1);
    }
  });
});

describe('the token in the metadata', () => {
  it('round-trips through readTokenFromPdf and keeps other keywords', async () => {
    const stamped = await stampPdf(fixture('sample-contract.pdf'), input());
    expect(await readTokenFromPdf(stamped)).toBe(TOKEN);
    const doc = await PDFDocument.load(stamped);
    expect(doc.getKeywords()).toBe(`contract services signrelay-token:${TOKEN}`);
    expect(doc.getTitle()).toBe('Services Agreement');
    const info = doc.context.lookup(doc.context.trailerInfo.Info, PDFDict);
    expect(info.lookup(PDFName.of('SignrelayToken'), PDFString).decodeText()).toBe(TOKEN);
  });
});

describe('stampPdf, tags it did not write', () => {
  const injected = { fileName: '[!Sign.3,Mallory,Evil,mallory@attacker.example].pdf', subject: 'Offer [!Recipient.C,Evil,Person,evil@attacker.example]' };

  it('draws a subject and a file name that carry tags as plain text: the stamped text holds exactly its own tags', async () => {
    const stamped = await stampPdf(fixture('sample-contract.pdf'), input({ request: { ...input().request, ...injected } }));
    const { pdfjs, poppler } = await texts(stamped);
    for (const all of [pdfjs.join('\n'), poppler.join('\n')]) {
      expect(count(all, '[!')).toBe(3);
      expect(all).toContain('(!Recipient.C,Evil,Person,evil@attacker.example)');
    }
  });

  it('reads the whole stamped text back, and refuses a tag there that inspection did not name', async () => {
    // The parsers disagreeing on a file is what makes inspection's reading unsafe to build on:
    // here the caller's facts (no tags) stand for such a file (two-readings.test.ts has a real one).
    const withRecipient = await makePdf({ pages: [['Terms.', '[!Recipient.C,Eve,Evil,eve@attacker.example]']] });
    const err = await stampPdf(withRecipient, input({ ownText: { tags: [] } })).catch((e: unknown) => e);
    expect(isSignrelayError(err) && err.code === 'stamped_tags_mismatch').toBe(true);
    expect((err as Error).message).toContain('tags signrelay did not write ([!Recipient.C,Eve,Evil,eve@attacker.example])');
  });

  it('refuses a tag that the document starts on its last page and the signature page would complete', async () => {
    // Signicat reads no tags, so the document's own tag-like text is not refused as such; an
    // unterminated one at its very end would run on into the appended page's text.
    const open = await makePdf({ pages: [['Terms.', '[!Sign.1,Eve,Evil,eve@attacker.example']] });
    const facts = await inspectPdf(open, { maxPages: 10, maxPdfBytes: 1e7 });
    const err = await stampPdf(open, input({ textTags: false, ownText: facts })).catch((e: unknown) => e);
    expect(isSignrelayError(err) && err.code === 'stamped_tags_mismatch').toBe(true);
    // A closed tag in the same place is the document's own text, left as it is.
    const closed = await makePdf({ pages: [['Terms.', '[!Sign.1,Eve,Evil,eve@attacker.example]']] });
    await expect(stampPdf(closed, input({ textTags: false, ownText: await inspectPdf(closed, { maxPages: 10, maxPdfBytes: 1e7 }) }))).resolves.toBeInstanceOf(Uint8Array);
  });

  it('refuses the PDF\'s own recipient tag when it reads the text itself', async () => {
    const withRecipient = await makePdf({ pages: [['[!Recipient.C,Eve,Evil,eve@attacker.example]']] });
    const err = await stampPdf(withRecipient, input()).catch((e: unknown) => e);
    expect(isSignrelayError(err) && err.kind === 'input' && err.code === 'pdf_own_tags').toBe(true);
  });

  it('refuses own [!Sign] tags beside given signers', async () => {
    const err = await stampPdf(fixture('with-tags.pdf'), input()).catch((e: unknown) => e);
    expect(isSignrelayError(err) && err.code === 'pdf_own_tags').toBe(true);
    expect((err as Error).message).toContain('names its own signers in signature tags');
  });
});

// The other half of the read-back: every tag signrelay drew must be read in the stamped file.
// A tag that does not read back is one the signing service cannot find either — a [!Sign…]
// nobody is invited by, a return tag no completion mail comes to — so the stamp is refused.
describe('stampPdf, tags it wrote that do not read back', () => {
  /**
   * A page whose last content stream ends inside a string, as a cut-off producer leaves it:
   * the streams of a page are read as one, so what the overlay draws after it is read as that
   * string's text, not shown — to pdf.js and to poppler alike.
   */
  async function endsInsideString(): Promise<Uint8Array> {
    const doc = await PDFDocument.load(await makePages(1));
    doc.getPage(0).node.addContentStream(doc.context.register(doc.context.stream('BT /F1 11 Tf 60 600 Td (Terms continue')));
    return doc.save();
  }
  const overlay = { mode: 'overlay', overlay: { page: 1, x: 72, y: 72, line_height: 18 } } as const;
  const notEveryTag = (unreadable: number) => ({
    kind: 'input', code: 'stamped_tags_mismatch',
    message: `contract.pdf could not be prepared for signing safely: once stamped, its text would hold not every tag signrelay wrote (${unreadable} unreadable), so it was not sent. Check the document for text that looks like a signing tag, remove it, and send it again`,
  });
  const refusal = async (stamping: Promise<unknown>) => {
    const err = await stamping.then(() => undefined, (e: unknown) => e);
    return isSignrelayError(err) ? { kind: err.kind, code: err.code, message: err.message } : err;
  };

  it('refuses an overlay none of whose tags reads back as the overlay not serving the PDF (intake then appends a signature page), the document\'s text read first or only in the stamped file', async () => {
    const pdf = await endsInsideString();
    expect((await extractPdfText(pdf))[0]).toContain('Page 1');
    // Not the requester's to fix (there is no tag-like text to remove): the setting's.
    const unreadable = {
      kind: 'config', code: 'overlay_unreadable',
      message: '3 of the tags stamping.overlay drew on contract.pdf do not read back (its page leaves text or a transform open, which what is drawn after it joins): use mode signature-page for such documents',
    };
    // Its text read before the stamp (stampPdfInProcess), then held against the stamped file's.
    expect(await refusal(stampPdf(pdf, input({}, overlay)))).toEqual(unreadable);
    // Its own tags read only in the stamped file, as intake does (prepare-pdf.ts): ours must each be found there.
    expect(await refusal(preparePdf(pdf, { maxPages: 10, maxPdfBytes: 1e7, fileName: 'contract.pdf' }, input({}, overlay)))).toEqual(unreadable);
    // On a signature page of their own the same tags read back whole.
    const { pdfjs, poppler } = await texts(await stampPdf(pdf, input()));
    for (const all of [pdfjs.join('\n'), poppler.join('\n')]) {
      for (const tag of [...SIGN_TAGS, RECIPIENT_TAG]) expect(count(all, tag)).toBe(1);
    }
  });

  it('refuses a stamped file that lacks a tag of the document\'s own that inspection named', async () => {
    // As for a tag inspection did not name (above): the caller's facts stand for a file the
    // parsers read apart (two-readings.test.ts), here one whose sign tag the rewrite lost.
    const plain = await makePages(1);
    const own = { family: 'sign', text: REQUESTER_TAGS[0]! };
    expect(await refusal(stampPdf(plain, input({ signers: [], ownText: { tags: [own] } })))).toEqual(notEveryTag(1));
    expect(await refusal(stampPdf(plain, input({ signers: [], ownText: { tags: [own] } }, overlay)))).toEqual(notEveryTag(1));
  });
});

describe('stampPdf: a file pdf.js reads but pdf-lib cannot', () => {
  it('is refused as damaged, in the words inspection uses (a PDF cut just before its end)', async () => {
    const bytes = fixture('sample-contract.pdf');
    const cut = bytes.subarray(0, bytes.byteLength - 30);
    const facts = await inspectPdf(cut, { maxPages: 10, maxPdfBytes: 1e7, fileName: 'contract.pdf' });
    expect(facts.pages).toBe(2);
    const err = await stampPdf(cut, input({ ownText: facts, request: { fileName: 'contract.pdf' } })).catch((e: unknown) => e);
    expect(isSignrelayError(err) && [err.kind, err.code]).toEqual(['input', 'pdf_damaged']);
    expect((err as Error).message).toBe('contract.pdf could not be read as a PDF (it may be damaged): export it again and resend');
  });

  it('is refused as damaged when its page tree breaks only as a page is added (a /Count that is a stream), never retried as our failure', async () => {
    // Found in pdf.js's own test files (poppler-91414-0-53.pdf): pdf-lib loads the file and
    // walks its pages, and failed only when the signature page was inserted; the tree's
    // counts are checked as it is loaded now (page-tree.ts), in either mode.
    const doc = await PDFDocument.load(fixture('sample-contract.pdf'));
    doc.catalog.Pages().set(PDFName.of('Count'), doc.context.register(doc.context.stream('2')));
    const damaged = await doc.save({ useObjectStreams: false });
    for (const mode of ['signature-page', 'overlay'] as const) {
      const err = await stampPdf(damaged, input({}, { mode })).catch((e: unknown) => e);
      expect(isSignrelayError(err) && [err.kind, err.code]).toEqual(['input', 'pdf_damaged']);
      expect((err as Error).message).toBe('contract.pdf could not be read as a PDF (it may be damaged): export it again and resend');
    }
  });
});

// A tag a document hides from the drawing-order reading (pdf.js's, the simulator's) but not
// from readers that sort text by its place on the page (poppler's pdftotext, iText's location
// strategy, PDFBox sorted by position) or read what annotations show: such a document is
// refused when stamped, as a visible one is. Each case is shown to be real first: pdftotext
// reads the attacker's recipient tag in it.
import { readdirSync, readFileSync } from 'node:fs';
import { PDFDocument, PDFName, PDFString, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { extractPdfText, textByPosition } from '../../src/pdf/extract-text.ts';
import { findTags } from '../../src/pdf/find-tags.ts';
import { preparePdfInProcess } from '../../src/pdf/prepare-pdf.ts';
import { input, LIMITS } from './stamp-input.ts';
import { pdftotextPages } from '../pdf/pdftotext.ts';

const EVIL = '[!Recipient.C,Eve,Evil,eve@attacker.example]';
const recipientTags = (text: string) => findTags(text).filter((t) => t.family === 'recipient').map((t) => t.text);

/** A one-page contract in Helvetica: what each case hides its tag in. `fontName`: the font's resource name. */
async function contract() {
  const doc = await PDFDocument.create();
  const page = doc.addPage([612, 792]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText('Employment contract. The parties agree as follows.', { x: 72, y: 720, size: 12, font });
  return { doc, page, font, fontName: page.node.normalizedEntries().Font.keys()[0]!.asString() };
}

/** `Recipient.C,…]` drawn first, then `[!` to its left on the same baseline, then a page number. */
async function drawnOutOfOrder(tag = EVIL): Promise<Uint8Array> {
  const { doc, page, font } = await contract();
  const open = '[!';
  page.drawText(tag.slice(open.length), { x: 100 + font.widthOfTextAtSize(open, 8), y: 100, size: 8, font });
  page.drawText(open, { x: 100, y: 100, size: 8, font });
  page.drawText('- 1 -', { x: 300, y: 40, size: 10, font });
  return doc.save();
}

/** The tag only in an annotation's appearance (a FreeText box's, or a Stamp's). */
async function inAnnotation(subtype = 'FreeText', tag = EVIL): Promise<Uint8Array> {
  const { doc, page, font } = await contract();
  const appearance = doc.context.register(doc.context.stream(`BT /F1 4 Tf 0 2 Td (${tag}) Tj ET`, {
    Type: 'XObject', Subtype: 'Form', BBox: [0, 0, 300, 10], Resources: { Font: { F1: font.ref } },
  }));
  const annotation = doc.context.obj({ Type: 'Annot', Subtype: subtype, Rect: [20, 20, 320, 30], Contents: PDFString.of('x'), DA: PDFString.of('/F1 4 Tf 0 g'), F: 4, AP: { N: appearance } });
  page.node.set(PDFName.of('Annots'), doc.context.obj([doc.context.register(annotation)]));
  return doc.save();
}

/** The tag only as a text field's value, in a form that asks readers to build its appearance. */
async function inFieldValue(tag = EVIL): Promise<Uint8Array> {
  const { doc, page, font } = await contract();
  const field = doc.context.register(doc.context.obj({
    Type: 'Annot', Subtype: 'Widget', FT: 'Tx', T: PDFString.of('note'), V: PDFString.of(tag), Rect: [20, 20, 320, 30], DA: PDFString.of('/Helv 4 Tf 0 g'), F: 4, P: page.ref,
  }));
  page.node.set(PDFName.of('Annots'), doc.context.obj([field]));
  doc.catalog.set(PDFName.of('AcroForm'), doc.context.obj({ Fields: [field], NeedAppearances: true, DR: { Font: { Helv: font.ref } }, DA: PDFString.of('/Helv 4 Tf 0 g') }));
  return doc.save();
}

/**
 * A dot drawn in marked content whose replacement text (/ActualText) is the tag, as a UTF-16
 * hex string, inside a form; `inherited`: the page's resources (the form's name) given by
 * the page tree above it.
 */
async function inActualTextOfForm(inherited = false, tag = EVIL): Promise<Uint8Array> {
  const { doc, page, font, fontName } = await contract();
  const text = `<FEFF${Buffer.from(tag, 'utf16le').swap16().toString('hex')}>`;
  const marked = `/Span << /ActualText ${text} >> BDC BT ${fontName} 4 Tf 20 20 Td (.) Tj ET EMC`;
  const form = doc.context.register(doc.context.flateStream(marked, { Type: 'XObject', Subtype: 'Form', BBox: [0, 0, 612, 792], Resources: { Font: { [fontName.slice(1)]: font.ref } } }));
  const name = page.node.newXObject('Fx', form);
  page.node.addContentStream(doc.context.register(doc.context.flateStream(`q ${name.asString()} Do Q`)));
  if (inherited) {
    page.node.Parent()!.set(PDFName.of('Resources'), page.node.get(PDFName.of('Resources'))!);
    page.node.delete(PDFName.of('Resources'));
  }
  return doc.save();
}

/** The contract with `content` added to its page (Helvetica as /F1), compressed, with `parms` as its DecodeParms. */
async function withContent(content: string, parms?: Record<string, number>): Promise<Uint8Array> {
  const { doc, page, fontName } = await contract();
  page.node.addContentStream(doc.context.register(doc.context.flateStream(content.replaceAll('/F1', fontName), parms ? { DecodeParms: parms } : {})));
  return doc.save();
}

describe('a tag hidden from the drawing-order reading', () => {
  it.each([
    ['drawn out of order', drawnOutOfOrder],
    ['only in a FreeText annotation', () => inAnnotation()],
    ['only in a Stamp annotation\'s appearance', () => inAnnotation('Stamp')],
    ['only as a form field\'s value', inFieldValue],
    ['only in a replacement text (/ActualText)', () => withContent(`/Span << /ActualText (${EVIL}) >> BDC BT /F1 4 Tf 20 20 Td (.) Tj ET EMC`)],
    ['only in a replacement text in UTF-16, inside a form', () => inActualTextOfForm()],
    ['only in a replacement text inside a form named by the page tree\'s resources', () => inActualTextOfForm(true)],
    ['in a replacement text whose name is spelled with #xx, after a comment', () => withContent(`/Span << /ActualT#65xt % a comment\n (${EVIL}) >> BDC BT /F1 4 Tf 20 20 Td (.) Tj ET EMC`)],
  ])('%s: pdftotext reads it, pdf.js does not, and the stamp is refused', async (_name, make) => {
    const bytes = await make();
    expect(recipientTags((await pdftotextPages(bytes)).join('\n'))).toEqual([EVIL]);
    expect(recipientTags((await extractPdfText(bytes)).join('\n'))).toEqual([]);
    const refused = await preparePdfInProcess(bytes, LIMITS, input).then(() => undefined, (err: unknown) => err);
    expect(refused).toMatchObject({ kind: 'input', code: 'stamped_tags_mismatch' });
    expect(String((refused as Error).message)).toContain(`tags signrelay did not write (${EVIL}) when read in the order it stands on the page, from its annotations, from its replacement texts (/ActualText) or by another PDF reader`);
  });

  it('refuses content it cannot read in full: page content compressed with a predictor', async () => {
    const bytes = await withContent(`/Span << /ActualText (${EVIL}) >> BDC BT /F1 4 Tf 20 20 Td (.) Tj ET EMC`, { Predictor: 12, Columns: 8 });
    await expect(preparePdfInProcess(bytes, LIMITS, input)).rejects.toMatchObject({ kind: 'input', code: 'pdf_content_uncheckable' });
  });

  it('reads a damaged resources entry (a number) as holding nothing: the document stamps', async () => {
    const { doc, page } = await contract();
    doc.addPage([612, 792]).node.set(PDFName.of('Resources'), doc.context.obj(3));
    page.node.set(PDFName.of('Annots'), doc.context.obj([doc.context.register(doc.context.obj({ Type: 'Annot', Subtype: 'Stamp', Rect: [0, 0, 1, 1], AP: { N: doc.context.register(doc.context.stream('BT ET', { Type: 'XObject', Subtype: 'Form', BBox: [0, 0, 1, 1], Resources: 7 })) } }))]));
    await expect(preparePdfInProcess(await doc.save(), LIMITS, input)).resolves.toMatchObject({ stamped: expect.any(Uint8Array) });
  });

  it('stamps an ordinary document, in two columns and with its own prepared tags, as before', async () => {
    const doc = await PDFDocument.create();
    const page = doc.addPage([612, 792]);
    const font = await doc.embedFont(StandardFonts.Helvetica);
    for (let line = 0; line < 20; line++) {
      page.drawText(`Left column, line ${line}.`, { x: 72, y: 700 - 14 * line, size: 10, font });
      page.drawText(`Right column, line ${line}.`, { x: 320, y: 700 - 14 * line, size: 10, font });
    }
    page.drawText('Signature: [!Sign.1,Ann,Lee,ann.lee@corp.example]', { x: 72, y: 300, size: 10, font });
    const prepared = await preparePdfInProcess(await doc.save(), LIMITS, { ...input, signers: [] });
    expect(prepared.facts.tags.map((t) => t.text)).toEqual(['[!Sign.1,Ann,Lee,ann.lee@corp.example]']);
    expect(prepared.stamped).toBeDefined();
  });

  it('stamps the real-world corpus as before (no tag read by position that the drawing order does not read)', async () => {
    const corpus = new URL('../../fixtures/real-world/', import.meta.url);
    for (const name of readdirSync(corpus).filter((file) => file.endsWith('.pdf'))) {
      const bytes = new Uint8Array(readFileSync(new URL(name, corpus)));
      await expect(preparePdfInProcess(bytes, LIMITS, input), name).resolves.toMatchObject({ stamped: expect.any(Uint8Array) });
    }
  });
});

describe('a second copy of a tag signrelay writes, hidden where only another reading sees it (variants review L1)', () => {
  // What signrelay draws for Ann: a copy on the requester's page, hidden from the drawing
  // order, is a second signing place for her that whoever wrote the document placed.
  const SIGN1 = '[!Sign.1,Ann,Lee,ann.lee@corp.example]';
  const signTags = (text: string) => findTags(text).filter((t) => t.family === 'sign').map((t) => t.text);

  it('a visible copy is the document\'s own tag (intake refuses the signer named twice)', async () => {
    const { doc, page, font } = await contract();
    page.drawText(SIGN1, { x: 72, y: 700, size: 4, font });
    const prepared = await preparePdfInProcess(await doc.save(), LIMITS, input);
    expect(prepared.facts.tags.map((t) => t.text)).toEqual([SIGN1]);
  });

  it.each([
    ['drawn out of order', () => drawnOutOfOrder(SIGN1)],
    ['in a FreeText annotation', () => inAnnotation('FreeText', SIGN1)],
    ['in a Stamp annotation\'s appearance', () => inAnnotation('Stamp', SIGN1)],
    ['as a form field\'s value', () => inFieldValue(SIGN1)],
    ['in a replacement text (/ActualText)', () => withContent(`/Span << /ActualText (${SIGN1}) >> BDC BT /F1 4 Tf 20 20 Td (.) Tj ET EMC`)],
    ['in a replacement text in UTF-16, inside a form', () => inActualTextOfForm(false, SIGN1)],
  ])('%s: the stamp is refused', async (_name, make) => {
    const bytes = await make();
    expect(signTags((await extractPdfText(bytes)).join('\n'))).toEqual([]);
    const refused = await preparePdfInProcess(bytes, LIMITS, input).then(() => undefined, (err: unknown) => err);
    expect(refused).toMatchObject({ kind: 'input', code: 'stamped_tags_mismatch' });
    expect(String((refused as Error).message)).toContain(`a tag more often than it is drawn (${SIGN1}): a copy hidden where another PDF reader, its annotations or its replacement texts (/ActualText) show it`);
  });
});

describe('textByPosition', () => {
  const at = (str: string, x: number, y: number, height = 10) => ({ str, x, y, height });
  it('reads lines top to bottom and each left to right, pieces joined as they are', () => {
    expect(textByPosition([at('Recipient.C]', 110, 100), at('Title', 72, 700), at('[!', 100, 100), at('- 1 -', 300, 40)])).toBe('Title\n[!Recipient.C]\n- 1 -');
  });
  it('takes baselines within half a line height as one line', () => {
    expect(textByPosition([at('b', 20, 99), at('a', 10, 103), at('c', 10, 90)])).toBe('ab\nc');
  });
});

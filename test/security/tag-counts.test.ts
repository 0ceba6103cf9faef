// The stamped file's readings count each tag (stamp-pdf.ts checkTagCounts, variants review
// L1), and count it soundly (diff review 24): a document whose own tag carries /ActualText —
// one replacement text in resources shared by its pages or inherited from the page tree, or
// marked again on its structure element — stamps (every reader reads the tag once); a copy of
// signrelay's own tag drawn out of order in an annotation's appearance that poppler does not
// draw is refused, as a stranger's tag there is.
import { PDFDict, PDFDocument, PDFName, PDFString, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { extractPdfText } from '../../src/pdf/extract-text.ts';
import { findTags } from '../../src/pdf/find-tags.ts';
import { preparePdfInProcess } from '../../src/pdf/prepare-pdf.ts';
import type { StampInput } from '../../src/pdf/stamp-tags.ts';
import { input, LIMITS } from './stamp-input.ts';
import { pdftotext } from '../pdf/pdftotext.ts';

/** The document's own signer (the requester names no other: signrelay draws no tags for it). */
const OWN = '[!Sign.1,Bob,Roe,bob.roe@corp.example]';
const ownOnly: StampInput = { ...input, signers: [] };
/** What signrelay draws for Ann. */
const SIGN1 = '[!Sign.1,Ann,Lee,ann.lee@corp.example]';
const EVIL = '[!Recipient.C,Eve,Evil,eve@attacker.example]';
const outcome = (bytes: Uint8Array, stampInput: StampInput) =>
  preparePdfInProcess(bytes, LIMITS, stampInput).then((p) => ({ stamped: true as const, own: p.facts.tags.map((t) => t.text) }), (err: { code?: string; message?: string }) => ({ stamped: false as const, code: err.code, message: String(err.message) }));

/** Two pages; page 1 draws OWN inside `/Span /MC0 BDC … EMC`, /MC0 a named property list whose /ActualText is OWN. */
async function ownTagWithNamedActualText(resources: 'own' | 'shared' | 'inherited'): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const p1 = doc.addPage([612, 792]);
  p1.drawText('Employment contract. The parties agree as follows.', { x: 72, y: 720, size: 12, font });
  const p2 = doc.addPage([612, 792]);
  p2.drawText('Terms, continued.', { x: 72, y: 720, size: 12, font });
  const fontName = p1.node.normalizedEntries().Font.keys()[0]!.asString();
  const dict = doc.context.lookup(p1.node.get(PDFName.of('Resources'))) as PDFDict;
  dict.set(PDFName.of('Properties'), doc.context.obj({ MC0: { ActualText: PDFString.of(OWN) } }));
  p1.node.addContentStream(doc.context.register(doc.context.flateStream(`/Span /MC0 BDC BT ${fontName} 10 Tf 72 300 Td (${OWN}) Tj ET EMC`)));
  if (resources === 'shared') {
    const ref = doc.context.register(dict);
    p1.node.set(PDFName.of('Resources'), ref);
    p2.node.set(PDFName.of('Resources'), ref);
  } else if (resources === 'inherited') {
    p1.node.Parent()!.set(PDFName.of('Resources'), doc.context.register(dict));
    p1.node.delete(PDFName.of('Resources'));
    p2.node.delete(PDFName.of('Resources'));
  }
  return doc.save();
}

/** One page: OWN drawn inside `/Span << /ActualText OWN /MCID 0 >> BDC … EMC`; `structure`: its structure element carries the same /ActualText. */
async function ownTagWithActualTextMarked(structure: boolean): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([612, 792]);
  page.drawText('Employment contract. The parties agree as follows.', { x: 72, y: 720, size: 12, font });
  const fontName = page.node.normalizedEntries().Font.keys()[0]!.asString();
  page.node.addContentStream(doc.context.register(doc.context.flateStream(`/Span << /ActualText (${OWN}) /MCID 0 >> BDC BT ${fontName} 10 Tf 72 300 Td (${OWN}) Tj ET EMC`)));
  if (structure) {
    const span = doc.context.register(doc.context.obj({ Type: 'StructElem', S: 'Span', ActualText: PDFString.of(OWN), K: 0, Pg: page.ref }));
    doc.catalog.set(PDFName.of('StructTreeRoot'), doc.context.register(doc.context.obj({ Type: 'StructTreeRoot', K: [span] })));
    doc.catalog.set(PDFName.of('MarkInfo'), doc.context.obj({ Marked: true }));
  }
  return doc.save();
}

/** A one-page contract with `tag` drawn out of order (`Sign.1,…]` first, `[!` to its left after) in a visible annotation's appearance. */
async function outOfOrderInAnnotation(subtype: string, tag: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([612, 792]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText('Employment contract. The parties agree as follows.', { x: 72, y: 720, size: 12, font });
  const width = font.widthOfTextAtSize('[!', 4);
  const appearance = doc.context.register(doc.context.stream(`BT /F1 4 Tf ${2 + width} 2 Td (${tag.slice(2)}) Tj ET BT /F1 4 Tf 2 2 Td ([!) Tj ET`, {
    Type: 'XObject', Subtype: 'Form', BBox: [0, 0, 300, 10], Resources: { Font: { F1: font.ref } },
  }));
  const annotation = doc.context.obj({ Type: 'Annot', Subtype: subtype, Rect: [20, 20, 320, 30], F: 4, QuadPoints: [20, 30, 320, 30, 20, 20, 320, 20], AP: { N: appearance } });
  page.node.set(PDFName.of('Annots'), doc.context.obj([doc.context.register(annotation)]));
  return doc.save();
}

describe('a document whose own tag carries /ActualText, read once by every reader, stamps', () => {
  it.each(['own', 'shared', 'inherited'] as const)('its named property list in resources page 1 has (%s)', async (resources) => {
    const bytes = await ownTagWithNamedActualText(resources);
    // Every reader reads the tag once: pdf.js, and poppler (which takes the /ActualText instead of the glyphs).
    expect(findTags((await extractPdfText(bytes)).join('\n')).map((t) => t.text)).toEqual([OWN]);
    expect(findTags(await pdftotext(bytes, [])).map((t) => t.text)).toEqual([OWN]);
    expect(await outcome(bytes, ownOnly)).toEqual({ stamped: true, own: [OWN] });
  });

  it.each([false, true])('its span marked in the content (and on its structure element too: %s)', async (structure) => {
    const bytes = await ownTagWithActualTextMarked(structure);
    expect(findTags(await pdftotext(bytes, [])).map((t) => t.text)).toEqual([OWN]);
    expect(await outcome(bytes, ownOnly)).toEqual({ stamped: true, own: [OWN] });
  });
});

describe('a copy of signrelay\'s own tag drawn out of order in an annotation poppler does not draw', () => {
  it.each(['Highlight', 'Polygon', 'FileAttachment'])('%s: refused, as a stranger\'s tag there is', async (subtype) => {
    const evil = await outcome(await outOfOrderInAnnotation(subtype, EVIL), input);
    expect(evil).toMatchObject({ stamped: false, code: 'stamped_tags_mismatch' });
    const copy = await outOfOrderInAnnotation(subtype, SIGN1);
    expect(findTags(await pdftotext(copy, [])).map((t) => t.text)).toEqual([]);
    const refused = await outcome(copy, input);
    expect(refused).toMatchObject({ stamped: false, code: 'stamped_tags_mismatch' });
    expect(refused.stamped === false && refused.message).toContain(`a tag more often than it is drawn (${SIGN1})`);
  });
});

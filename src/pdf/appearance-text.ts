// What a document's annotations show, for the stamp check (stamp-pdf.ts). A reader that draws
// every annotation reads the text in each one's appearance — poppler's pdftotext reads a
// Stamp's, a Square's, a push button's, a choice field's — and one that builds a form's
// appearances from its values (`NeedAppearances`) reads each field's value. pdf.js reads
// text only from a FreeText box's and a text field's appearance. So every appearance stream
// is drawn on a page of a sheet made for the purpose, which pdf.js then reads like any page,
// with the document's own fonts and their character maps; and the form's values are taken
// as they are.
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFObjectCopier, PDFString, type PDFStream } from 'pdf-lib';
import { annotationSubtype, appearanceStreams, pageAnnotations } from './annotations.ts';
import { walkDicts } from './pdf-objects.ts';
import { uncheckableContentError } from './pdf-errors.ts';

/** Annotations that show nothing of their own. */
const WITHOUT_TEXT = new Set(['Link', 'Popup']);
/**
 * More appearance streams than a document of people's needs — a checkbox has four (on and
 * off, normal and pressed): a 50-page questionnaire of 2,550 boxes has 10,200 — while drawing
 * them is work an attacker sets. A document over it is refused as uncheckable: skipping the
 * rest let a tag in the 10,001st appearance through unread (fuzz review M1); a cap of 10,000
 * refused that questionnaire (diff review 23 M2).
 */
export const MAX_APPEARANCES = 50_000;

export interface AnnotationShows {
  /** A PDF with one page per page of the document that has appearances, each drawn on it; absent when there are none. */
  sheet?: Uint8Array;
  /** The form's field values (text, and a choice field's chosen options), and FreeText boxes' own text. */
  fieldValues: string[];
}

export async function annotationShows(doc: PDFDocument, fileName?: string): Promise<AnnotationShows> {
  const fieldValues = formValues(doc);
  let sheet: { doc: PDFDocument; copier: PDFObjectCopier } | undefined;
  let drawn = 0;
  for (const page of doc.getPages()) {
    const appearances: PDFStream[] = [];
    for (const annotation of pageAnnotations(page)) {
      const subtype = annotationSubtype(annotation);
      if (subtype !== undefined && WITHOUT_TEXT.has(subtype)) continue;
      appearances.push(...appearanceStreams(doc.context, annotation));
      if (drawn + appearances.length > MAX_APPEARANCES) throw uncheckableContentError(fileName, `it has more than ${MAX_APPEARANCES.toLocaleString('en')} annotation appearances`);
      // A FreeText box without an appearance is drawn from its text by a reader that builds one.
      const contents = subtype === 'FreeText' ? annotation.lookup(PDFName.of('Contents')) : undefined;
      if (contents instanceof PDFString || contents instanceof PDFHexString) fieldValues.push(contents.decodeText());
    }
    if (appearances.length === 0) continue;
    if (!sheet) {
      const made = await PDFDocument.create({ updateMetadata: false });
      sheet = { doc: made, copier: PDFObjectCopier.for(doc.context, made.context) };
    }
    const { width, height } = page.getSize();
    const sheetPage = sheet.doc.addPage([Math.max(width, 1), Math.max(height, 1)]);
    const names = appearances.map((stream) => sheetPage.node.newXObject('Ap', sheet!.doc.context.register(sheet!.copier.copy(stream))));
    const content = names.map((name) => `q ${name.asString()} Do Q`).join('\n');
    sheetPage.node.addContentStream(sheet.doc.context.register(sheet.doc.context.stream(content)));
    drawn += appearances.length;
  }
  if (!sheet) return { fieldValues };
  return { sheet: await sheet.doc.save({ useObjectStreams: false, objectsPerTick: Number.POSITIVE_INFINITY }), fieldValues };
}

/** Every field's value (/V: a string, or a list of them), through the field tree. */
function formValues(doc: PDFDocument): string[] {
  const acroForm = doc.catalog.lookup(PDFName.of('AcroForm'));
  const values: string[] = [];
  walkDicts(doc.context, acroForm instanceof PDFDict ? acroForm.get(PDFName.of('Fields')) : undefined, (field) => field.get(PDFName.of('Kids')), (field) => {
    const value = field.lookup(PDFName.of('V'));
    for (const v of value instanceof PDFArray ? value.asArray() : [value]) {
      if (v instanceof PDFString || v instanceof PDFHexString) values.push(v.decodeText());
    }
  }, MAX_APPEARANCES);
  return values;
}

// What a PDF is beyond its pages, judged on the loaded document before it is stamped. Pure.
// Some PDFs show a reader something other than their pages: a dynamic XFA form (Adobe
// LiveCycle / AEM Designer) is drawn from the XML in /AcroForm /XFA, its one page only the
// "Please wait..." placeholder; the signers would sign the placeholder, and Acrobat, which
// draws the form (/NeedsRendering), would never show the signature page. Such a document
// is refused with what to send instead (pdf-errors.ts). A static XFA form has real pages —
// what is signed — and only loses its XFA, so that viewers show those pages. A portfolio
// (/Collection) is a cover sheet over embedded documents: the signers would sign the cover,
// and Acrobat would show the unsigned documents in front of it; it is refused too. A
// Reader-extended form's usage rights (/Perms /UR3) are a signature over the file's bytes,
// which stamping rewrites: kept, Reader warns the signed copy "has been changed since it was
// created"; they are removed, as Acrobat's own "Save a Copy" does. (A certification, /Perms
// /DocMDP, is a signature field too: the document is refused as signed, signature-fields.ts.)
import { PDFBool, PDFDict, PDFName, type PDFDocument } from 'pdf-lib';

const ACRO_FORM = PDFName.of('AcroForm');
const XFA = PDFName.of('XFA');
const NEEDS_RENDERING = PDFName.of('NeedsRendering');
const PERMS = PDFName.of('Perms');

/**
 * A PDF portfolio (Acrobat's "Combine files → PDF Portfolio"): its documents are embedded
 * files, not pages. One whose collection view is hidden (`/View /H`) opens on its own pages,
 * which are then the document, its files attachments beside it (diff review 22 L7).
 */
export function isPortfolio(doc: PDFDocument): boolean {
  const collection = doc.catalog.lookup(PDFName.of('Collection'));
  if (collection === undefined) return false;
  const view = collection instanceof PDFDict ? collection.lookup(PDFName.of('View')) : undefined;
  return view !== PDFName.of('H'); // names are interned: one object per name
}

/** Dynamic: drawn from its XFA (/NeedsRendering true); static: XFA beside real pages; none: no XFA at all. */
export type XfaKind = 'dynamic' | 'static' | 'none';

export function xfaKind(doc: PDFDocument): XfaKind {
  const needsRendering = doc.catalog.lookup(NEEDS_RENDERING);
  if (needsRendering instanceof PDFBool && needsRendering.asBoolean()) return 'dynamic';
  const form = doc.catalog.lookup(ACRO_FORM);
  return form instanceof PDFDict && form.has(XFA) ? 'static' : 'none';
}

/** The stamped copy of a static XFA form without its XFA: viewers then show the pages that were signed. */
export function dropXfa(doc: PDFDocument): void {
  const form = doc.catalog.lookup(ACRO_FORM);
  if (form instanceof PDFDict) form.delete(XFA);
  doc.catalog.delete(NEEDS_RENDERING);
}

// The text Designer puts on a dynamic form's page for readers that cannot draw XFA.
const PLACEHOLDER_RE = /not\s+eventually\s+replaced\s+by\s+the\s+proper\s+contents\s+of\s+the\s+document/i;

/** A form with XFA whose pages are Designer's placeholder: dynamic, whatever its /NeedsRendering says. */
export function showsXfaPlaceholder(pageTexts: readonly string[]): boolean {
  return pageTexts.some((text) => PLACEHOLDER_RE.test(text));
}

/** The stamped copy without the usage rights its rewrite breaks (/Perms /UR3, /UR), nor a /Perms left empty. */
export function dropUsageRights(doc: PDFDocument): void {
  const perms = doc.catalog.lookup(PERMS);
  if (!(perms instanceof PDFDict)) return;
  perms.delete(PDFName.of('UR3'));
  perms.delete(PDFName.of('UR'));
  if (perms.keys().length === 0) doc.catalog.delete(PERMS);
}

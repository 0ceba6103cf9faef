// PDFs in the shapes real people send that are not plain pages (real-pdf-shapes.test.ts,
// test/integration/real-pdf-refusals.test.ts): built with pdf-lib as their producers write them.
import { PDFDocument, PDFName } from 'pdf-lib';
import { makePdf } from './make-pdf.ts';

const XFA_PLACEHOLDER = ['Please wait...', 'If this message is not eventually replaced by the proper contents of the document,', 'your PDF viewer may not be able to display this type of document.'];
const XFA_PACKET = '<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"><subform name="form1"><field name="EmployeeName"/></subform></template>' +
  '<xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/"><xfa:data><form1><EmployeeName>Maria Gonzalez</EmployeeName></form1></xfa:data></xfa:datasets></xdp:xdp>';

/**
 * An XFA form as LiveCycle/AEM Designer saves it: dynamic (the page only the placeholder,
 * /NeedsRendering true — or, as some savers leave it, the placeholder without the flag), or
 * static (its pages real, the XFA beside them).
 */
export async function xfaForm(kind: 'dynamic' | 'placeholder-only' | 'static' = 'dynamic'): Promise<Uint8Array> {
  const lines = kind === 'static' ? ['Employee details form', 'Name: Maria Gonzalez'] : XFA_PLACEHOLDER;
  const doc = await PDFDocument.load(await makePdf({ pages: [lines] }));
  const xfa = doc.context.flateStream(XFA_PACKET);
  doc.catalog.set(PDFName.of('AcroForm'), doc.context.obj({ Fields: [], XFA: doc.context.register(xfa) }));
  if (kind === 'dynamic') doc.catalog.set(PDFName.of('NeedsRendering'), doc.context.obj(true));
  return doc.save();
}

/** A PDF portfolio (Acrobat "Combine files → PDF Portfolio"): a cover sheet page, the documents as embedded files under /Collection. */
export async function portfolio(view = 'D'): Promise<Uint8Array> {
  const doc = await PDFDocument.load(await makePdf({ pages: [[view === 'H' ? 'SERVICES AGREEMENT between Corp Example Ltd and Northwind' : 'For the best experience, open this PDF portfolio in Acrobat X or Adobe Reader X, or later.']] }));
  await doc.attach(await makePdf({ pages: [['EMPLOYMENT CONTRACT between Corp Example Ltd and Ann Lee']] }), 'employment-contract.pdf', { mimeType: 'application/pdf' });
  await doc.attach(await makePdf({ pages: [['Annex A: salary']] }), 'annex-a.pdf', { mimeType: 'application/pdf' });
  doc.catalog.set(PDFName.of('Collection'), doc.context.obj({ Type: 'Collection', View: view }));
  return doc.save();
}

/** An ordinary PDF with a PDF attached inside it (not a portfolio): its pages are the document. */
export async function withAttachment(): Promise<Uint8Array> {
  const doc = await PDFDocument.load(await makePdf({ pages: [['SERVICES AGREEMENT', 'Annex attached to this file.']] }));
  await doc.attach(await makePdf({ pages: [['Annex A: prices']] }), 'annex-a.pdf', { mimeType: 'application/pdf' });
  return doc.save();
}

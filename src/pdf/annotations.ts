// A page's annotations and the appearance streams each one draws, read defensively (a
// damaged entry — not a dict, not a stream — is passed over, never thrown): shared by the
// readings of what annotations show (appearance-text.ts) and of replacement texts
// (actual-text.ts).
import { PDFArray, PDFDict, PDFName, PDFStream, type PDFContext, type PDFPage } from 'pdf-lib';
import { resolved } from './pdf-objects.ts';

/** The page's annotation dicts, in order. */
export function pageAnnotations(page: PDFPage): PDFDict[] {
  const annots = page.node.lookup(PDFName.of('Annots'));
  if (!(annots instanceof PDFArray)) return [];
  return annots.asArray().flatMap((entry) => {
    const annotation = resolved(page.doc.context, entry);
    return annotation instanceof PDFDict ? [annotation] : [];
  });
}

/** An annotation's subtype (`FreeText`, `Stamp`, `Widget` …), or undefined. */
export function annotationSubtype(annotation: PDFDict): string | undefined {
  const subtype = annotation.lookup(PDFName.of('Subtype'));
  return subtype instanceof PDFName ? subtype.decodeText() : undefined;
}

/** The streams its /AP draws: normal, rollover and down — each one stream, or a dict of states (/On, /Off …). */
export function appearanceStreams(context: PDFContext, annotation: PDFDict): PDFStream[] {
  const ap = annotation.lookup(PDFName.of('AP'));
  if (!(ap instanceof PDFDict)) return [];
  return ['N', 'R', 'D'].flatMap((key) => {
    const entry = resolved(context, ap.get(PDFName.of(key)));
    if (entry instanceof PDFStream) return [entry];
    if (!(entry instanceof PDFDict)) return [];
    return [...entry.values()].flatMap((state) => {
      const stream = resolved(context, state);
      return stream instanceof PDFStream ? [stream] : [];
    });
  });
}

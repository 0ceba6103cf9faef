// Whether a PDF already carries a digital signature: a signature field (/FT /Sig) with a
// value (/V, the signature dictionary). Stamping rewrites the file, and every signature over
// its bytes would then fail to verify ("digest mismatch") — the earlier signer's signature
// silently lost. Such a document is refused with what to send instead. Pure, on a loaded
// document; a form the walk cannot read is taken as unsigned (the stamp goes on as before).
import { PDFArray, PDFDict, PDFName, type PDFDocument } from 'pdf-lib';

/** How deep a field tree is walked (fields nest through /Kids). */
const MAX_DEPTH = 16;
/** How many fields are looked at, at most: a hostile form cannot make the walk long. */
const MAX_FIELDS = 10_000;

export function signedFieldCount(doc: PDFDocument): number {
  let seen = 0;
  let signed = 0;
  const walk = (fields: unknown, inheritedType: PDFName | undefined, depth: number): void => {
    if (!(fields instanceof PDFArray) || depth > MAX_DEPTH) return;
    for (let i = 0; i < fields.size() && seen < MAX_FIELDS; i++) {
      const field = fields.lookup(i);
      if (!(field instanceof PDFDict)) continue;
      seen++;
      const ownType = field.lookup(PDFName.of('FT'));
      const type = ownType instanceof PDFName ? ownType : inheritedType;
      if (type === PDFName.of('Sig') && field.lookup(PDFName.of('V')) instanceof PDFDict) signed++;
      walk(field.lookup(PDFName.of('Kids')), type, depth + 1);
    }
  };
  try {
    const form = doc.catalog.lookup(PDFName.of('AcroForm'));
    if (form instanceof PDFDict) walk(form.lookup(PDFName.of('Fields')), undefined, 0);
  } catch {
    return signed;
  }
  return signed;
}

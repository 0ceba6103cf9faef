// References to objects a file does not have, made the null the PDF standard says they mean.
// Left in place, they name whatever pdf-lib numbers next: it numbers the objects the stamp adds
// from the largest number the file defines, so a page whose /Annots named a missing object 9
// had it name signrelay's Info dictionary — poppler then gave up the page ("wrong type"), and
// the sender of a file every reader shows was told to export it again (diff review 23 L1).
// Works on the loaded document's objects, without recursion. Pure but for the nulls it sets.
import { PDFArray, PDFDict, PDFNull, PDFRef, PDFStream, type PDFDocument, type PDFObject } from 'pdf-lib';

/** Sets every reference to a missing object to null; returns how many there were. */
export function nullDanglingRefs(doc: PDFDocument): number {
  const { context } = doc;
  const missing = (value: PDFObject | undefined) => value instanceof PDFRef && context.lookup(value) === undefined;
  let nulled = 0;
  const pending: Array<PDFDict | PDFArray> = [];
  const enter = (value: PDFObject | undefined) => {
    if (value instanceof PDFStream) pending.push(value.dict);
    else if (value instanceof PDFDict || value instanceof PDFArray) pending.push(value);
  };
  for (const [, object] of context.enumerateIndirectObjects()) enter(object);
  while (pending.length > 0) {
    const container = pending.pop()!;
    if (container instanceof PDFArray) {
      for (let i = 0; i < container.size(); i++) {
        const value = container.get(i);
        if (missing(value)) {
          container.set(i, PDFNull);
          nulled++;
        } else if (!(value instanceof PDFRef)) enter(value);
      }
    } else {
      for (const [key, value] of container.entries()) {
        if (missing(value)) {
          container.set(key, PDFNull);
          nulled++;
        } else if (!(value instanceof PDFRef)) enter(value);
      }
    }
  }
  return nulled;
}

// Reading a loaded document's objects defensively (pdf-lib): a reference resolved, a tree of
// dicts walked once each, however its entries refer to each other — shared by the readings
// of annotations, replacement texts and form values (annotations.ts, actual-text.ts,
// appearance-text.ts).
import { PDFArray, PDFDict, PDFRef, type PDFContext, type PDFObject } from 'pdf-lib';

/** The object a value stands for: a reference looked up, anything else as it is. */
export function resolved(context: PDFContext, value: PDFObject | undefined): PDFObject | undefined {
  return value instanceof PDFRef ? context.lookup(value) : value;
}

/**
 * Visits every dict reachable from `root` through `children` (a dict, an array of them, or
 * references to either), each once, at most `max` dicts: a cycle or a hostile file's
 * millions of nodes end the walk, never the process.
 */
export function walkDicts(context: PDFContext, root: PDFObject | undefined, children: (dict: PDFDict) => PDFObject | undefined, visit: (dict: PDFDict) => void, max: number): void {
  const queue: PDFObject[] = root ? [root] : [];
  const seen = new Set<PDFObject>();
  let visited = 0;
  // Dicts counted against `max`, as the walks it replaced counted fields and elements; arrays
  // are bounded by what they hold (a seen one is never read again).
  while (queue.length > 0 && visited < max) {
    const value = resolved(context, queue.pop());
    if (!value || seen.has(value)) continue;
    seen.add(value);
    if (value instanceof PDFArray) {
      for (let i = 0; i < value.size(); i++) queue.push(value.get(i));
    } else if (value instanceof PDFDict) {
      visited++;
      visit(value);
      const next = children(value);
      if (next) queue.push(next);
    }
  }
}

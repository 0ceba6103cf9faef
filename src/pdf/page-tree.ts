// The page tree of a loaded document made safe to stamp, or what is wrong with it. pdf-lib
// walks the tree as it finds it: a page listed twice in /Kids is two of its pages (poppler
// and pdf.js read one), and it places an added page by the /Count entries the file supplies —
// one lower than the pages under it (0, negative) made it throw "Invalid targetIndex" while
// adding the signature page, a plain Error that was retried as our own failure and the mail
// filed without a reply (fuzz review M2). Readers show only as many pages as the root's
// /Count says, so a /Count lower than the pages is damage (the requester did not see them
// all); one higher is a producer's slip every reader survives, and is set right in the copy —
// kept and raised by one, poppler and qpdf read a blank page pdf.js did not (fuzz review L2).
// Works on the document's own objects, without recursion (a tree nested deep, or one that
// contains itself, ends the walk, never the stack). Pure but for the counts it sets.
import { PDFArray, PDFDict, PDFName, PDFNumber, PDFPageLeaf, PDFPageTree, type PDFDocument } from 'pdf-lib';

const KIDS = PDFName.of('Kids');
const COUNT = PDFName.of('Count');

/**
 * Checks that every page and every node is in the tree once, and sets each node's /Count to
 * the pages under it where it says more. Returns what is wrong, or undefined.
 * `pdf-lib`'s own notion of a page is kept: a kid of type /Page is one, a /Pages node is
 * walked, anything else is skipped (as pdf-lib skips it; pdf.js's reading of the stamped copy
 * is compared with pdf-lib's pages after, stamp-pdf.ts).
 */
export function settlePageTree(doc: PDFDocument): string | undefined {
  const root = doc.catalog.Pages();
  const seen = new Set<PDFDict>([root]);
  // Pre-order: a node comes before the nodes under it, so the reverse order counts kids first.
  const nodes: PDFPageTree[] = [];
  const pending: PDFPageTree[] = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    nodes.push(node);
    const kids = node.lookup(KIDS);
    if (!(kids instanceof PDFArray)) return 'a page tree node without a list of pages';
    for (let i = 0; i < kids.size(); i++) {
      const kid = kids.lookup(i);
      if (!(kid instanceof PDFPageTree || kid instanceof PDFPageLeaf)) continue;
      if (seen.has(kid)) return 'a page or a part of the page tree listed twice';
      seen.add(kid);
      if (kid instanceof PDFPageTree) pending.push(kid);
    }
  }
  const leaves = new Map<PDFDict, number>();
  for (let n = nodes.length - 1; n >= 0; n--) {
    const node = nodes[n]!;
    const kids = node.lookup(KIDS, PDFArray);
    let under = 0;
    for (let i = 0; i < kids.size(); i++) {
      const kid = kids.lookup(i);
      if (kid instanceof PDFPageLeaf) under += 1;
      else if (kid instanceof PDFPageTree) under += leaves.get(kid)!;
    }
    leaves.set(node, under);
    const count = node.lookup(COUNT);
    if (!(count instanceof PDFNumber)) return 'a page count that is not a number';
    if (count.asNumber() < under) return `a page count of ${count.asNumber()} over ${under} pages`;
    if (count.asNumber() !== under) node.set(COUNT, PDFNumber.of(under));
  }
  return undefined;
}

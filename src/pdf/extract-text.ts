// Reads a PDF's text layer the way a signing service does (pdfjs-dist, pure JS, no system
// packages), one string per page. Used to find smart tags in PDFs we receive and by the
// Secured Signing simulator to find the tags in what we upload.
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import * as pdfjsWorker from 'pdfjs-dist/legacy/build/pdf.worker.mjs';

// pdf.js runs its parser in a "fake worker" on this thread in Node. Handed its module here:
// told the module's file instead (GlobalWorkerOptions.workerSrc), pdf.js imports it as a URL
// at the first PDF — under an install path holding `#`, `%` or `?` that named another file,
// and every PDF was refused to its requester as damaged (install review M1). A module that
// cannot be loaded now fails this import, which the PDF worker reports as the machine's
// failure (pdf-worker.ts), not a PDF's.
(globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = pdfjsWorker;

export interface PdfTextOptions {
  /** Password for encrypted PDFs; absent = fail on encryption. */
  password?: string;
  /** Told the page count before any page is read; may throw to stop there (a page limit). */
  onPageCount?: (pages: number) => void;
  /** Told each page's object ("12 0"), in reading order. */
  onPageRef?: (ref: string) => void;
  /** Only the first and the last this many pages are read, and only theirs returned: where a page stamped by signrelay is. */
  endPages?: number;
  /** With endPages, this page too (1 = the first, -1 = the last, as stamping.overlay.page). */
  alsoPage?: number;
}

/** The page numbers to read, in order: every one, or with `endPages` the first and last that many and `alsoPage`. */
export function pagesToRead(count: number, options: Pick<PdfTextOptions, 'endPages' | 'alsoPage'> = {}): Iterable<number> {
  const { endPages: ends, alsoPage } = options;
  if (ends === undefined) return (function* every() { for (let n = 1; n <= count; n++) yield n; })();
  const wanted = new Set<number>();
  for (let n = 1; n <= Math.min(ends, count); n++) wanted.add(n);
  for (let n = Math.max(1, count - ends + 1); n <= count; n++) wanted.add(n);
  const also = alsoPage !== undefined && alsoPage < 0 ? count + alsoPage + 1 : alsoPage;
  if (also !== undefined && also >= 1 && also <= count) wanted.add(also);
  return [...wanted].sort((a, b) => a - b);
}

export async function extractPdfText(bytes: Uint8Array, options: PdfTextOptions = {}): Promise<string[]> {
  return (await extractPdfReadings(bytes, { ...options, otherReadings: false })).pages;
}

export interface PdfReadings {
  /** Each page's text in the order the page draws it (pdf.js's reading, as the simulator's). */
  pages: string[];
  /**
   * Another way a reader may take the same text (with `otherReadings`, else empty): each
   * page's text in the order it stands on the page — lines top to bottom, each left to right,
   * as poppler's pdftotext and position-sorting extractors read. A document can draw
   * `Recipient.C,…]` first and `[!` to its left afterwards: in drawing order no tag, by
   * position a tag.
   */
  byPosition: string[];
}

interface PlacedText {
  str: string;
  x: number;
  y: number;
  height: number;
}

export interface ReadingOptions extends PdfTextOptions {
  otherReadings: boolean;
}

export async function extractPdfReadings(bytes: Uint8Array, options: ReadingOptions): Promise<PdfReadings> {
  // pdfjs takes ownership of (and detaches) the buffer it is given: pass a copy.
  const task = getDocument({
    data: new Uint8Array(bytes),
    password: options.password,
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  });
  try {
    const doc = await task.promise;
    options.onPageCount?.(doc.numPages);
    const readings: PdfReadings = { pages: [], byPosition: [] };
    // With endPages the middle is skipped at once, not page by page: a page tree may name a million pages.
    for (const n of pagesToRead(doc.numPages, options)) {
      const page = await doc.getPage(n);
      if (options.onPageRef) options.onPageRef(page.ref ? `${page.ref.num} ${page.ref.gen}` : '');
      const content = await page.getTextContent();
      const parts: string[] = [];
      const placed: PlacedText[] = [];
      for (const item of content.items) {
        if ('str' in item) {
          parts.push(item.str);
          if (item.hasEOL) parts.push('\n');
          if (item.str !== '') placed.push({ str: item.str, x: item.transform[4] as number, y: item.transform[5] as number, height: Math.abs(item.height) });
        }
      }
      readings.pages.push(parts.join(''));
      if (options.otherReadings) readings.byPosition.push(textByPosition(placed));
      page.cleanup();
    }
    return readings;
  } finally {
    await task.destroy();
  }
}

/**
 * The page's text lines top to bottom, each left to right: pieces whose baselines are within
 * half a line's height of each other are one line. Pieces are joined as they are (pdf.js puts
 * the spaces a gap stands for into the pieces), so text drawn in pieces reads as it does in
 * drawing order.
 */
export function textByPosition(placed: readonly PlacedText[]): string {
  const sorted = [...placed].sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: PlacedText[][] = [];
  for (const piece of sorted) {
    const line = lines.at(-1);
    const tolerance = Math.max(1, 0.5 * Math.max(piece.height, line?.[0]?.height ?? 0));
    if (line && Math.abs(line[0]!.y - piece.y) <= tolerance) line.push(piece);
    else lines.push([piece]);
  }
  return lines.map((line) => line.sort((a, b) => a.x - b.x).map((piece) => piece.str).join('')).join('\n');
}

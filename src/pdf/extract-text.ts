// Reads a PDF's text layer the way a signing service does (pdfjs-dist, pure JS, no system
// packages), one string per page. Used to find smart tags in PDFs we receive and by the
// Secured Signing simulator to find the tags in what we upload.
import { getDocument, GlobalWorkerOptions } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { createRequire } from 'node:module';

// pdfjs runs its parser in a "fake worker" on the main thread in Node; it needs to know
// where the worker module is.
GlobalWorkerOptions.workerSrc = createRequire(import.meta.url).resolve('pdfjs-dist/legacy/build/pdf.worker.mjs');

export interface PdfTextOptions {
  /** Password for encrypted PDFs; absent = fail on encryption. */
  password?: string;
  /** Told the page count before any page is read; may throw to stop there (a page limit). */
  onPageCount?: (pages: number) => void;
  /** Told each page's object ("12 0"), in reading order. */
  onPageRef?: (ref: string) => void;
}

export async function extractPdfText(bytes: Uint8Array, options: PdfTextOptions = {}): Promise<string[]> {
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
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      if (options.onPageRef) options.onPageRef(page.ref ? `${page.ref.num} ${page.ref.gen}` : '');
      const content = await page.getTextContent();
      const parts: string[] = [];
      for (const item of content.items) {
        if ('str' in item) {
          parts.push(item.str);
          if (item.hasEOL) parts.push('\n');
        }
      }
      pages.push(parts.join(''));
      page.cleanup();
    }
    return pages;
  } finally {
    await task.destroy();
  }
}

// The replacement texts a document carries (`/ActualText`): marked content in a page's
// content stream, `/Span << /ActualText (…) >> BDC … EMC`, tells a reader to take that text
// instead of the glyphs drawn — poppler's pdftotext does, pdf.js does not. So a document can
// draw a dot and have such a reader see a tag. Found where they can be: the inline property
// lists of the content streams of every page, of the forms they draw and of their
// annotations' appearances; the named property lists of their resources; and the structure
// tree's elements. Reads the loaded document (pdf-lib); decodes only content streams.
import {
  decodePDFRawStream, PDFArray, PDFDict, PDFHexString, PDFName, PDFRawStream, PDFRef, PDFStream, PDFString, type PDFContext, type PDFDocument, type PDFObject,
} from 'pdf-lib';

const ACTUAL_TEXT = PDFName.of('ActualText');
/** Content streams decoded at most, and their decoded bytes at most: a hostile file's forms are bounded. */
const MAX_STREAMS = 5_000;
const MAX_DECODED_BYTES = 64 * 1024 * 1024;
const MAX_STRUCTURE_NODES = 100_000;

/** Every /ActualText of the document, as text. */
export function actualTexts(doc: PDFDocument): string[] {
  const found: string[] = [];
  const { context } = doc;
  const seen = new Set<PDFObject>();
  let streams = 0;
  let decoded = 0;

  const fromDict = (dict: PDFDict | undefined) => {
    const value = dict?.lookup(ACTUAL_TEXT);
    if (value instanceof PDFString || value instanceof PDFHexString) found.push(value.decodeText());
  };

  const content = (stream: PDFObject | undefined) => {
    if (!(stream instanceof PDFRawStream) || seen.has(stream) || streams >= MAX_STREAMS || decoded >= MAX_DECODED_BYTES) return;
    seen.add(stream);
    streams++;
    let bytes: Uint8Array;
    try {
      bytes = decodePDFRawStream(stream).decode();
    } catch {
      return; // a filter pdf-lib cannot undo: no reader sees text in it either
    }
    decoded += bytes.byteLength;
    found.push(...inlineActualTexts(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')));
  };

  const resources = (dict: PDFDict | undefined, depth: number) => {
    if (!dict || depth > 20) return;
    const properties = dict.lookup(PDFName.of('Properties'));
    if (properties instanceof PDFDict) for (const [, list] of properties.entries()) fromDict(lookupDict(context, list));
    const xobjects = dict.lookup(PDFName.of('XObject'));
    if (!(xobjects instanceof PDFDict)) return;
    for (const [, ref] of xobjects.entries()) {
      const form = context.lookup(ref);
      if (!(form instanceof PDFStream) || form.dict.lookup(PDFName.of('Subtype')) !== PDFName.of('Form') || seen.has(form)) continue;
      content(form);
      const inner = form.dict.lookup(PDFName.of('Resources'));
      resources(inner instanceof PDFDict ? inner : undefined, depth + 1);
    }
  };

  const appearance = (entry: PDFObject | undefined) => {
    const value = entry instanceof PDFRef ? context.lookup(entry) : entry;
    if (value instanceof PDFStream) {
      content(value);
      const inner = value.dict.lookup(PDFName.of('Resources'));
      resources(inner instanceof PDFDict ? inner : undefined, 1);
    } else if (value instanceof PDFDict) {
      for (const [, state] of value.entries()) appearance(state); // appearance states: /On, /Off …
    }
  };

  for (const page of doc.getPages()) {
    const contents = page.node.lookup(PDFName.of('Contents'));
    if (contents instanceof PDFArray) for (let i = 0; i < contents.size(); i++) content(contents.lookup(i));
    else content(contents);
    resources(page.node.Resources(), 0);
    const annots = page.node.lookup(PDFName.of('Annots'));
    if (!(annots instanceof PDFArray)) continue;
    for (let i = 0; i < annots.size(); i++) {
      const annotation = annots.lookup(i);
      if (!(annotation instanceof PDFDict)) continue;
      fromDict(annotation);
      const ap = annotation.lookup(PDFName.of('AP'));
      if (ap instanceof PDFDict) for (const key of ['N', 'R', 'D']) appearance(ap.get(PDFName.of(key)));
    }
  }
  structure(context, context.lookup(doc.catalog.get(PDFName.of('StructTreeRoot'))), fromDict);
  return found;
}

function lookupDict(context: PDFContext, value: PDFObject): PDFDict | undefined {
  const dict = value instanceof PDFRef ? context.lookup(value) : value;
  return dict instanceof PDFDict ? dict : undefined;
}

/** The structure tree's elements, each once, however their kids refer to each other. */
function structure(context: PDFContext, root: PDFObject | undefined, visit: (dict: PDFDict) => void): void {
  const queue: PDFObject[] = root ? [root] : [];
  const seen = new Set<PDFObject>();
  while (queue.length > 0 && seen.size < MAX_STRUCTURE_NODES) {
    const item = queue.pop()!;
    const value = item instanceof PDFRef ? context.lookup(item) : item;
    if (!value || seen.has(value)) continue;
    seen.add(value);
    if (value instanceof PDFArray) {
      for (let i = 0; i < value.size(); i++) queue.push(value.get(i));
    } else if (value instanceof PDFDict) {
      visit(value);
      const kids = value.get(PDFName.of('K'));
      if (kids) queue.push(kids);
    }
  }
}

/**
 * The /ActualText strings of a content stream's inline property lists (the stream as latin1
 * text): each a literal string, its nested parentheses and escapes undone, or a hex string.
 */
export function inlineActualTexts(source: string): string[] {
  const texts: string[] = [];
  const re = /\/ActualText\s*([(<])/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const start = m.index + m[0].length - 1;
    const token = m[1] === '(' ? literalAt(source, start) : hexAt(source, start);
    if (token === undefined) continue;
    texts.push(token.text);
    re.lastIndex = token.end;
  }
  return texts;
}

function literalAt(source: string, start: number): { text: string; end: number } | undefined {
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return { text: PDFString.of(source.slice(start + 1, i)).decodeText(), end: i + 1 };
  }
  return undefined;
}

function hexAt(source: string, start: number): { text: string; end: number } | undefined {
  const end = source.indexOf('>', start);
  if (end < 0) return undefined;
  return { text: PDFHexString.of(source.slice(start + 1, end).replace(/\s+/g, '')).decodeText(), end: end + 1 };
}

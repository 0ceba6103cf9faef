// The replacement texts a document carries (`/ActualText`): marked content in a page's
// content stream, `/Span << /ActualText (…) >> BDC … EMC`, tells a reader to take that text
// instead of the glyphs drawn — poppler's pdftotext does, pdf.js does not. So a document can
// draw a dot and have such a reader see a tag. Found where they can be: the inline property
// lists of the content streams of every page, of the forms they draw and of their
// annotations' appearances; the named property lists of their resources; and the structure
// tree's elements. Reads the loaded document (pdf-lib); decodes only content streams.
import {
  decodePDFRawStream, PDFArray, PDFDict, PDFHexString, PDFName, PDFNumber, PDFRawStream, PDFStream, PDFString, type PDFContext, type PDFDocument, type PDFObject,
} from 'pdf-lib';
import { appearanceStreams, pageAnnotations } from './annotations.ts';
import { uncheckableContentError } from './pdf-errors.ts';
import { resolved, walkDicts } from './pdf-objects.ts';

const ACTUAL_TEXT = PDFName.of('ActualText');
/**
 * Content streams decoded at most, and their decoded bytes at most: a hostile file's forms are
 * bounded — and a file past them is refused, not half read (what is past the bound could
 * carry a tag).
 */
const MAX_STREAMS = 20_000;
const MAX_DECODED_BYTES = 128 * 1024 * 1024;
const MAX_STRUCTURE_NODES = 200_000;

/** Every /ActualText of the document, as text; throws (input) when some content cannot be read. */
export function actualTexts(doc: PDFDocument, fileName?: string): string[] {
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
    if (!(stream instanceof PDFRawStream) || seen.has(stream)) return;
    seen.add(stream);
    if (++streams > MAX_STREAMS) throw uncheckableContentError(fileName, `it has more than ${MAX_STREAMS} content streams`);
    // pdf-lib does not undo a predictor, and page content never needs one: what it would hide is not read.
    const parms = stream.dict.lookup(PDFName.of('DecodeParms'));
    if (parms !== undefined && hasPredictor(context, parms)) throw uncheckableContentError(fileName, 'its page content is compressed with a predictor');
    let bytes: Uint8Array;
    try {
      bytes = decodePDFRawStream(stream).decode();
    } catch (err) {
      throw uncheckableContentError(fileName, `a content stream could not be decompressed (${err instanceof Error ? err.message : String(err)})`);
    }
    decoded += bytes.byteLength;
    if (decoded > MAX_DECODED_BYTES) throw uncheckableContentError(fileName, `its content is larger than ${MAX_DECODED_BYTES / 1024 / 1024} MB decompressed`);
    found.push(...inlineActualTexts(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')));
  };

  const resources = (dict: PDFDict | undefined, depth: number) => {
    if (!dict || depth > 20) return;
    const properties = dict.lookup(PDFName.of('Properties'));
    if (properties instanceof PDFDict) {
      for (const [, list] of properties.entries()) {
        const dict = resolved(context, list);
        if (dict instanceof PDFDict) fromDict(dict);
      }
    }
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

  for (const page of doc.getPages()) {
    const contents = page.node.lookup(PDFName.of('Contents'));
    if (contents instanceof PDFArray) for (let i = 0; i < contents.size(); i++) content(contents.lookup(i));
    else content(contents);
    // Its own or inherited from the page tree, read as it is: a damaged entry holds nothing to draw.
    const pageResources = context.lookup(page.node.getInheritableAttribute(PDFName.of('Resources')));
    resources(pageResources instanceof PDFDict ? pageResources : undefined, 0);
    for (const annotation of pageAnnotations(page)) {
      fromDict(annotation);
      for (const appearance of appearanceStreams(context, annotation)) {
        content(appearance);
        const inner = appearance.dict.lookup(PDFName.of('Resources'));
        resources(inner instanceof PDFDict ? inner : undefined, 1);
      }
    }
  }
  // The structure tree's elements, through their kids.
  walkDicts(context, doc.catalog.get(PDFName.of('StructTreeRoot')), (element) => element.get(PDFName.of('K')), fromDict, MAX_STRUCTURE_NODES);
  return found;
}

/**
 * The /ActualText strings of a content stream's inline property lists (the stream as latin1
 * text): each a literal string, its nested parentheses and escapes undone, or a hex string.
 */
export function inlineActualTexts(raw: string): string[] {
  const texts: string[] = [];
  // A name may spell its characters as #xx (`/ActualT#65xt`), and a comment may stand before
  // the value. Spelled out everywhere (in strings too, where it only errs towards finding more).
  const source = raw.replace(/#([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const re = /\/ActualText(?:\s|%[^\r\n]*)*([(<])/g;
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

/** Whether a DecodeParms (a dict, or an array of them per filter) asks for a predictor. */
function hasPredictor(context: PDFContext, parms: PDFObject): boolean {
  const one = (value: PDFObject | undefined) => {
    const dict = resolved(context, value);
    const predictor = dict instanceof PDFDict ? dict.lookup(PDFName.of('Predictor')) : undefined;
    return predictor instanceof PDFNumber && predictor.asNumber() > 1;
  };
  return parms instanceof PDFArray ? parms.asArray().some(one) : one(parms);
}

// How signrelay has pdf-lib load and save a document.
//
// In one go. pdf-lib pauses for the event loop every 100 objects it parses and every 50 it
// writes, each pause a timer of at least a millisecond. In a PDF worker, which runs one task at
// a time and is watched from outside (pdf-pool.ts, task-deadline.ts), the pauses are only
// waiting: a 3 MB PDF of ~30,000 objects spent ~0.5 s of its 2 s stamp asleep.
//
// Without copying the file's streams. pdf-lib's parser copies every stream's bytes out of the
// file it reads (`ByteStream.slice` is `Uint8Array.slice`), so a loaded document holds the file
// twice: a 20 MB scan cost the worker 20 MB more at its peak (measured: 81 → 61 MB of array
// buffers for inspecting and stamping it). A view of the file's bytes serves every reader of a
// stream — pdf-lib decodes, writes and copies them, and never writes into them — and so the
// file must not be changed while its document is in use: its owner (the PDF worker's task, the
// caller of a stamp) reads it once and never writes it.
import { createRequire } from 'node:module';
import { PDFDocument, PDFParser, ParseSpeeds, type LoadOptions, type PDFContext, type PDFCrossRefSection, type PDFRef } from 'pdf-lib';
import type { FileSection } from './xref-disagreement.ts';

/** Spread into PDFDocument.save's options. */
export const SAVE_WITHOUT_PAUSES = { objectsPerTick: Number.POSITIVE_INFINITY } as const;

interface ByteStreamPrototype {
  slice(this: { bytes: Uint8Array }, start: number, end: number): Uint8Array;
}

let viewsInstalled = false;

/** pdf-lib's parser reads stream bytes as views of the file (once per process; pdf-lib 1.17's own module, as `import 'pdf-lib'` loads it). */
function readStreamsAsViews(): void {
  if (viewsInstalled) return;
  const { default: ByteStream } = createRequire(import.meta.url)('pdf-lib/cjs/core/parser/ByteStream.js') as { default: { prototype: ByteStreamPrototype } };
  ByteStream.prototype.slice = function slice(start, end) {
    return this.bytes.subarray(start, end);
  };
  viewsInstalled = true;
}

/** PDFDocument.load in one go, its streams views of `bytes` (which must not change while the document is used). */
export function loadPdfDocument(bytes: Uint8Array, options: Omit<LoadOptions, 'parseSpeed'> = {}): Promise<PDFDocument> {
  readStreamsAsViews();
  return PDFDocument.load(withoutNegativeStartxref(bytes), { ...options, parseSpeed: ParseSpeeds.Fastest });
}

interface CrossRefEntries {
  /** pdf-lib 1.17's private list of a table's entries, in ranges. */
  subsections: ReadonlyArray<ReadonlyArray<{ ref: PDFRef; offset: number; deleted: boolean }>>;
}

/** What pdf-lib's parser met at the file's top level, in order (xref-disagreement.ts). */
interface RecordingParser {
  bytes: { offset(): number };
  parseIndirectObject(): Promise<PDFRef>;
  parseIndirectObjectHeader(): PDFRef;
  maybeParseCrossRefSection(): PDFCrossRefSection | undefined;
  maybeParseTrailer(): unknown;
  parseDocument(): Promise<PDFContext>;
}

type DocumentConstructor = new (context: PDFContext, ignoreEncryption: boolean, updateMetadata: boolean) => PDFDocument;

/**
 * loadPdfDocument, and the sections pdf-lib parsed the file into, in its order: each object
 * defined at the top level (where), each cross-reference table (what it names) and each
 * `startxref`. pdf-lib keeps the last definition of an object; readers follow the tables,
 * and the two are compared (xref-disagreement.ts). PDFDocument.load's two steps taken
 * here, its parser's methods wrapped on the instance: nothing else is changed.
 */
export async function loadPdfDocumentWithSections(bytes: Uint8Array, options: Pick<LoadOptions, 'throwOnInvalidObject' | 'updateMetadata'> = {}): Promise<{ doc: PDFDocument; sections: FileSection[] }> {
  readStreamsAsViews();
  const parser = PDFParser.forBytesWithOptions(withoutNegativeStartxref(bytes), Number.POSITIVE_INFINITY, options.throwOnInvalidObject ?? false) as unknown as RecordingParser;
  const sections: FileSection[] = [];
  // An object is recorded as its header is parsed, synchronously at the start of its
  // definition (a header parsed while skipping junk, a probe, is not one).
  const parseObject = parser.parseIndirectObject.bind(parser);
  const parseHeader = parser.parseIndirectObjectHeader.bind(parser);
  let definitionAt: number | undefined;
  parser.parseIndirectObject = () => {
    definitionAt = parser.bytes.offset();
    try {
      return parseObject();
    } finally {
      definitionAt = undefined;
    }
  };
  parser.parseIndirectObjectHeader = () => {
    const ref = parseHeader();
    if (definitionAt !== undefined) {
      sections.push({ kind: 'object', number: ref.objectNumber, generation: ref.generationNumber, offset: definitionAt });
      definitionAt = undefined;
    }
    return ref;
  };
  const parseTable = parser.maybeParseCrossRefSection.bind(parser);
  parser.maybeParseCrossRefSection = () => {
    const table = parseTable();
    // What a table names is read only when an object is defined twice (most files: never).
    if (table) sections.push({ kind: 'xref', offsets: () => inUseOffsets(table as unknown as CrossRefEntries) });
    return table;
  };
  const parseTrailer = parser.maybeParseTrailer.bind(parser);
  parser.maybeParseTrailer = () => {
    const trailer = parseTrailer();
    if (trailer !== undefined) sections.push({ kind: 'startxref' });
    return trailer;
  };
  const context = await parser.parseDocument();
  const doc = new (PDFDocument as unknown as DocumentConstructor)(context, false, options.updateMetadata ?? true);
  return { doc, sections };
}

/** A table's in-use entries: "12 0" → the offset it names. */
function inUseOffsets(table: CrossRefEntries): Map<string, number> {
  const offsets = new Map<string, number>();
  for (const range of table.subsections) {
    for (const entry of range) if (!entry.deleted) offsets.set(`${entry.ref.objectNumber} ${entry.ref.generationNumber}`, entry.offset);
  }
  return offsets;
}

const STARTXREF = Buffer.from('startxref');
const WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);

/**
 * Some producers write `startxref -1` (an older TUGboat article's TeX tools): every reader
 * opens such a file — the offset is only a hint, and pdf-lib never uses it — but pdf-lib
 * fails to parse the number and the PDF was refused as damaged. The file's last trailer's
 * sign is blanked (the words in a page or a stream never are: one standing as a trailer
 * would inside a stream comes before the file's own), in a copy — the caller's bytes never
 * change; a file without one is passed on as it is.
 */
export function withoutNegativeStartxref(bytes: Uint8Array): Uint8Array {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = view.lastIndexOf(STARTXREF);
  // The keyword of the file's own trailer: at a line's start, its number and %%EOF after it.
  if (at < 0 || (at > 0 && view[at - 1] !== 0x0a && view[at - 1] !== 0x0d)) return bytes;
  let sign = at + STARTXREF.length;
  while (sign < view.length && WHITESPACE.has(view[sign]!)) sign++;
  if (view[sign] !== 0x2d) return bytes; // '-'
  let digits = sign + 1;
  while (digits < view.length && view[digits]! >= 0x30 && view[digits]! <= 0x39) digits++;
  let end = digits;
  while (end < view.length && WHITESPACE.has(view[end]!)) end++;
  if (digits === sign + 1 || view.toString('latin1', end, end + 5) !== '%%EOF') return bytes;
  const copy = Buffer.from(view);
  copy[sign] = 0x20;
  return new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
}

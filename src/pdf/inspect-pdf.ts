// Decides whether a received PDF can be stamped and sent, and what is already in it. Every
// refusal is a SignrelayError of kind 'input' whose message tells the requester what to
// do; the checks run cheapest first (size, header, encryption, how much the streams unpack
// to) so a bad file costs little. The parsing runs in a worker process with time and memory
// limits (pdf-tasks.ts inspectPdf, pdf-pool.ts): a PDF is the one input an attacker shapes freely.
import { SignrelayError } from '../errors.ts';
import { extractPdfText } from './extract-text.ts';
import { findTags, ownSigners, type FoundTag, type OwnSigner } from './find-tags.ts';
import { MAX_INFLATED_BYTES, measureInflatedSize } from './measure-inflated-size.ts';
import { encryptedPdfError, tooComplexPdfError, tooLargePdfError, tooManyPagesError, unreadablePdfError, workerUnavailable } from './pdf-errors.ts';
import { isPdfContent } from './is-pdf.ts';

export { encryptedPdfError, tooComplexPdfError, unreadablePdfError } from './pdf-errors.ts';
export { MAX_INFLATED_BYTES } from './measure-inflated-size.ts';

export interface PdfLimits {
  maxPages: number;
  maxPdfBytes: number;
  /** Names the file in messages ("contract.pdf could not be read…"); default "the PDF". */
  fileName?: string;
  /** What the streams may unpack to in all (default MAX_INFLATED_BYTES). */
  maxInflatedBytes?: number;
}

export interface PdfFacts {
  pages: number;
  /** Always false: an encrypted PDF is refused. Kept so the facts can be logged whole. */
  encrypted: boolean;
  hasSignTags: boolean;
  signTagCount: number;
  hasRecipientTag: boolean;
  /** Everything in its text a signing service could take for a tag (find-tags.ts), in order. */
  tags: FoundTag[];
  /** The signers its own well-formed [!Sign.N,…] tags name, in signing order. */
  ownSigners: OwnSigner[];
}

// The trailer (or cross-reference stream dictionary) of an encrypted file names its
// encryption dictionary: `/Encrypt 12 0 R` or an inline `/Encrypt <<…>>`. Searched in the
// raw bytes, because parsers disagree on encrypted files; the words "/Encrypt" in page text
// do not match (they are not followed by a reference), and content streams are compressed.
const ENCRYPT_ENTRY_RE = /\/Encrypt\s*(?:\d+\s+\d+\s+R|<<)/;

export function hasEncryptEntry(bytes: Uint8Array): boolean {
  return ENCRYPT_ENTRY_RE.test(rawSyntax(bytes));
}

/** The file as text, one character per byte (latin1), so a regex sees the raw syntax: a copy of the file — made once per use. */
function rawSyntax(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

// A cross-reference stream's dictionary, never compressed itself: the file was written for
// PDF 1.5 readers, which read object streams.
const XREF_STREAM_RE = /\/Type\s*\/XRef\b/;

/** Whether the file is encrypted, and whether it was written with a cross-reference stream: one copy of it read for both (the stamp asks both). */
export function syntaxFacts(bytes: Uint8Array): { encrypted: boolean; xrefStream: boolean } {
  const text = rawSyntax(bytes);
  return { encrypted: ENCRYPT_ENTRY_RE.test(text), xrefStream: XREF_STREAM_RE.test(text) };
}

/**
 * The checks made before any parser sees the file, cheapest first: its size, that it is a
 * PDF, that it is not encrypted, what its streams unpack to. Shared with preparation
 * (prepare-pdf.ts), which goes on to stamp.
 */
export async function checkBeforeParsing(bytes: Uint8Array, limits: PdfLimits): Promise<void> {
  const fileName = limits.fileName ?? 'the PDF';
  if (bytes.byteLength > limits.maxPdfBytes) throw tooLargePdfError(bytes.byteLength, limits.maxPdfBytes, limits.fileName);
  if (!isPdfContent(bytes)) throw unreadablePdfError(fileName, 'pdf_not_a_pdf');
  // pdf-lib half-loads many encrypted files (and fails on others with unrelated errors),
  // and pdf.js opens owner-password-only files silently: look at the trailer ourselves.
  if (hasEncryptEntry(bytes)) throw encryptedPdfError(fileName);
  const maxInflated = limits.maxInflatedBytes ?? MAX_INFLATED_BYTES;
  if ((await measureInflatedSize(bytes, maxInflated)) > maxInflated) {
    throw tooComplexPdfError(fileName, `its compressed content unpacks to more than ${Math.round(maxInflated / (1024 * 1024))} MB`);
  }
}

/** Inspects in this process, without time or memory limits: the PDF worker's side of pdf-tasks.ts inspectPdf, and tests. */
export async function inspectPdfInProcess(bytes: Uint8Array, limits: PdfLimits): Promise<PdfFacts> {
  const fileName = limits.fileName ?? 'the PDF';
  await checkBeforeParsing(bytes, limits);

  // The page count and the text in one pass of pdf.js; pdf-lib, which stamping loads the
  // document with, refuses what it cannot read then (the same reply to the requester).
  let pages = 0;
  const countPages = (count: number) => {
    pages = count;
    if (count === 0) throw unreadablePdfError(fileName, 'pdf_no_pages');
    if (count > limits.maxPages) throw tooManyPagesError(fileName, count, limits.maxPages);
  };
  let text: string;
  try {
    text = (await extractPdfText(bytes, { onPageCount: countPages })).join('\n');
  } catch (err) {
    throw pdfJsRefusal(err, fileName);
  }
  return { pages, encrypted: false, ...tagFacts(findTags(text)) };
}

/** What pdf.js failing to read a file tells the requester. */
export function pdfJsRefusal(err: unknown, fileName: string | undefined): SignrelayError {
  if (err instanceof SignrelayError) return err;
  // pdf.js names a password it was not given: encrypted (the trailer check saw no /Encrypt entry it recognised).
  if (err instanceof Error && err.name === 'PasswordException') return encryptedPdfError(fileName);
  // pdf.js without its parser module (an installation it cannot read): the machine's failure, not the file's.
  if (err instanceof Error && err.message.startsWith('Setting up fake worker failed')) return workerUnavailable(`pdf.js could not set up its parser (${err.message})`, err);
  return unreadablePdfError(fileName, 'pdf_damaged', err);
}

/** What a document's own tags amount to. */
export function tagFacts(tags: FoundTag[]): Omit<PdfFacts, 'pages' | 'encrypted'> {
  const signTagCount = tags.filter((t) => t.family === 'sign').length;
  return {
    hasSignTags: signTagCount > 0,
    signTagCount,
    hasRecipientTag: tags.some((t) => t.family === 'recipient'),
    tags,
    ownSigners: ownSigners(tags),
  };
}

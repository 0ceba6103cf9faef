// Stamping: PDF bytes in, stamped PDF bytes out, no other I/O. Adds the smart tags the
// signing service reads (one [!Sign.N,…] per signer and the [!Recipient.C,…] return tag),
// and the request token in the metadata (the upload name comes from stampedFileName). The
// original pages' content streams are kept as they are: pages are only appended
// (signature-page mode) or given extra content streams (overlay mode).
//
// A PDF that already contains [!Sign. tags is sent as the requester prepared it — only when
// no signers are given besides: its tags decide who signs and only the recipient tag is
// placed, on an appended page in signature-page mode (listing the request, saying the
// places to sign are in the document), at the configured position in overlay mode. Any
// other tag of its own (a completion recipient, another family) is refused (own-tag-rules.ts).
//
// After saving, the stamped PDF's text is read back and must hold exactly the tags written
// here plus the document's own sign tags — nothing else that a signing service could read
// as a tag, whatever a subject, a file name or the document itself carried. Otherwise it is
// refused, never sent.
//
// Stamping loads the whole document with pdf-lib (which unpacks object streams) and reads
// its text layer: it runs in the PDF worker under the same limits as inspection
// (run-pdf-worker.ts).
import { PDFDocument } from 'pdf-lib';
import type { StampingConfig } from '../config/schema.ts';
import { SignrelayError } from '../errors.ts';
import type { Signer } from '../signer.ts';
import { recipientTag, RETURN_RECIPIENT_NAME, signTag, tokenFromReturnAddress } from './build-tags.ts';
import { drawSignaturePages, type SignaturePageDetails } from './draw-signature-page.ts';
import { drawOverlayTags, parseColor, type TagStyle } from './draw-tags.ts';
import { extractPdfText } from './extract-text.ts';
import { findTags, tagDifference, type FoundTag } from './find-tags.ts';
import { hasEncryptEntry } from './inspect-pdf.ts';
import { ownTagProblems } from './own-tag-rules.ts';
import { encryptedPdfError, unreadablePdfError } from './pdf-errors.ts';
import { writeTokenMetadata } from './pdf-token.ts';
import { runPdfTask, type PdfWorkerLimits } from './run-pdf-worker.ts';
import { embedTagFonts, nameInTags, tagFontCanDraw, type TagFonts } from './tag-font.ts';
import { EMPTY_NAME_PART, type TagName } from './tag-name.ts';
import { quoteOutside } from '../outside-text.ts';

export type { SignaturePageDetails } from './draw-signature-page.ts';
export { readTokenFromPdf, stampedFileName, tokenFromFileName } from './pdf-token.ts';

export interface StampInput {
  token: string;
  /** The full return address, token included: returns+TOKEN@corp.example. */
  returnAddress: string;
  /** provider.recipient_letter, e.g. "C". */
  recipientLetter: string;
  /**
   * Whether the provider reads smart tags (default true). When false (Signicat: who signs
   * is in the order), the signature page lists the signers without tags, in signature-page
   * mode whatever `stamping.mode` says, and nothing in the text is a tag of ours.
   */
  textTags?: boolean;
  /** Name on the recipient tag; RETURN_RECIPIENT_NAME when absent. */
  recipientName?: { firstName: string; lastName: string };
  /** In signing order; empty when the PDF has its own [!Sign.] tags. */
  signers: readonly Signer[];
  /** What the signature page shows about the request. */
  request: SignaturePageDetails;
  stamping: StampingConfig;
  /** The tags inspectPdf found in the document (PdfFacts.tags); when absent the text layer is read again. */
  ownTags?: FoundTag[];
  /** Modification date written to the metadata (tests pin it). */
  now?: Date;
}

export interface StampTags {
  /** One per signer, in order; empty when the PDF has its own tags. */
  signTags: string[];
  /** The names the tags use (see tag-name.ts), parallel to signTags. */
  names: TagName[];
  recipientTag: string;
}

/** The tags a stamp will carry, exactly as drawn (throws on an unusable signer address). */
export function stampTags(input: Pick<StampInput, 'signers' | 'returnAddress' | 'recipientLetter' | 'recipientName'>, hasSignTags: boolean): StampTags {
  const signers = hasSignTags ? [] : input.signers;
  return {
    signTags: signers.map((signer, i) => signTag(i + 1, signer, tagFontCanDraw)),
    names: signers.map((signer) => nameInTags(signer)),
    recipientTag: recipientTag(input.recipientLetter, input.recipientName ?? RETURN_RECIPIENT_NAME, input.returnAddress, tagFontCanDraw),
  };
}

function displayName(name: TagName): string {
  return [name.firstName, name.lastName].filter((part) => part !== EMPTY_NAME_PART).join(' ');
}

/** Stamps in the PDF worker; a PDF that takes too long or too much memory is refused as too complex. */
export async function stampPdf(bytes: Uint8Array, input: StampInput, worker: Partial<PdfWorkerLimits> = {}): Promise<Uint8Array> {
  checkToken(input);
  return runPdfTask({ op: 'stamp', bytes, input }, input.request.fileName, worker);
}

function checkToken(input: StampInput): void {
  if (tokenFromReturnAddress(input.returnAddress) !== input.token) {
    throw new RangeError(`return address ${input.returnAddress} does not carry token ${input.token}`);
  }
}

/** The same in this process, without limits: for the worker itself and for tests. */
export async function stampPdfInProcess(bytes: Uint8Array, input: StampInput): Promise<Uint8Array> {
  checkToken(input);
  const fileName = input.request.fileName;
  if (hasEncryptEntry(bytes)) throw encryptedPdfError(fileName);
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, { updateMetadata: false, throwOnInvalidObject: true });
  } catch (err) {
    throw unreadablePdfError(fileName, 'pdf_damaged', err);
  }
  if (doc.getPageCount() === 0) throw unreadablePdfError(fileName, 'pdf_no_pages');

  const ownTags = input.ownTags ?? findTags((await extractPdfText(bytes)).join('\n'));
  const fonts = await embedTagFonts(doc);
  const tagStyle = { font: fonts.regular, fontSize: input.stamping.font_size, color: parseColor(input.stamping.color) };
  if (input.textTags === false) return stampWithoutTags(doc, input, ownTags, fonts, tagStyle);

  const problems = ownTagProblems(fileName ?? 'the PDF', ownTags, { source: 'the request', signers: input.signers, useTagsFix: 'To have the document\'s signers sign, name no signers' });
  if (problems.length > 0) throw new SignrelayError('input', 'pdf_own_tags', problems.join('\n'));
  const hasSignTags = ownTags.some((t) => t.family === 'sign');
  if (!hasSignTags && input.signers.length === 0) {
    throw new SignrelayError('input', 'no_signers',
      'the request names no signer and the PDF has no [!Sign.…] tags: add a line like "Signer: First Last <first.last@corp.example>"');
  }
  const tags = stampTags(input, hasSignTags);
  if (input.stamping.mode === 'overlay') {
    drawOverlayTags(doc, [...tags.signTags, tags.recipientTag], input.stamping.overlay, tagStyle);
  } else {
    const signers = tags.signTags.map((tag, i) => ({ tag, name: displayName(tags.names[i]!), email: input.signers[i]!.email }));
    drawSignaturePages(doc, { details: input.request, token: input.token, signers, recipientTag: tags.recipientTag }, fonts, tagStyle);
  }

  const written = [...tags.signTags, tags.recipientTag].map((tag) => findTags(tag)[0]!.text);
  return finish(doc, input, [...ownTags.map((t) => t.text), ...written]);
}

/**
 * For a provider without text tags: the signature page lists who signs and where the
 * document goes, with no tag, and the document's own tag-like text stays plain text (the
 * provider does not read it) — the check after saving still proves nothing was added.
 */
async function stampWithoutTags(doc: PDFDocument, input: StampInput, ownTags: FoundTag[], fonts: TagFonts, tagStyle: TagStyle): Promise<Uint8Array> {
  if (input.signers.length === 0) {
    throw new SignrelayError('input', 'no_signers', 'the request names no signer: add a line like "Signer: First Last <first.last@corp.example>"');
  }
  const signers = input.signers.map((signer) => ({ name: displayName(nameInTags(signer)), email: signer.email }));
  drawSignaturePages(doc, { details: input.request, token: input.token, signers, recipientTag: null }, fonts, tagStyle);
  return finish(doc, input, ownTags.map((t) => t.text));
}

/** The token in the metadata, saved, and the saved text checked against the tags expected. */
async function finish(doc: PDFDocument, input: StampInput, expectedTags: string[]): Promise<Uint8Array> {
  writeTokenMetadata(doc, input.token);
  doc.setModificationDate(input.now ?? new Date());
  // A classic cross-reference table rather than object streams: the most widely readable.
  const stamped = await doc.save({ useObjectStreams: false });
  await checkStampedTags(stamped, input.request.fileName ?? 'the PDF', expectedTags);
  return stamped;
}

/** The stamped PDF's text holds exactly the expected tags, or it is refused. */
async function checkStampedTags(stamped: Uint8Array, fileName: string, expected: string[]): Promise<void> {
  const found = findTags((await extractPdfText(stamped)).join('\n')).map((t) => t.text);
  const { unexpected, missing } = tagDifference(found, expected);
  if (unexpected.length === 0 && missing.length === 0) return;
  const what = [
    ...(unexpected.length > 0 ? [`tags signrelay did not write (${unexpected.slice(0, 3).map((t) => quoteOutside(t, 80)).join(', ')})`] : []),
    ...(missing.length > 0 ? [`not every tag signrelay wrote (${missing.length} unreadable)`] : []),
  ].join(' and ');
  throw new SignrelayError('input', 'stamped_tags_mismatch',
    `${fileName} could not be prepared for signing safely: once stamped, its text would hold ${what}, so it was not sent. Check the document for text that looks like a signing tag, remove it, and send it again`);
}

// Stamping: PDF bytes in, stamped PDF bytes out, no other I/O. Adds the smart tags the
// signing service reads (one [!Sign.N,…] per signer and the [!Recipient.C,…] return tag),
// and the request token in the metadata (the upload name comes from stampedFileName). The
// original pages' content streams are kept as they are: pages are only appended
// (signature-page mode) or given extra content streams (overlay mode).
//
// A PDF that already contains [!Sign. tags is sent as the requester prepared it: its tags
// are kept, no signer tags are added (the signers given are ignored for tagging) and only
// the recipient tag is placed — on an appended page in signature-page mode (listing the
// request, saying the places to sign are in the document), at the configured position in
// overlay mode. So the placement mode means the same thing with or without existing tags.
//
// Stamping loads the whole document with pdf-lib (which unpacks object streams) and, when
// the caller does not know whether the PDF has tags, reads its text layer: it runs in the
// PDF worker under the same limits as inspection (run-pdf-worker.ts).
import { PDFDocument } from 'pdf-lib';
import type { StampingConfig } from '../config/schema.ts';
import { SignrelayError } from '../errors.ts';
import type { Signer } from '../signer.ts';
import { recipientTag, RETURN_RECIPIENT_NAME, signTag, tokenFromReturnAddress } from './build-tags.ts';
import { drawSignaturePages, type SignaturePageDetails } from './draw-signature-page.ts';
import { drawOverlayTags, parseColor } from './draw-tags.ts';
import { extractPdfText } from './extract-text.ts';
import { hasEncryptEntry } from './inspect-pdf.ts';
import { encryptedPdfError, unreadablePdfError } from './pdf-errors.ts';
import { writeTokenMetadata } from './pdf-token.ts';
import { runPdfTask, type PdfWorkerLimits } from './run-pdf-worker.ts';
import { embedTagFonts, nameInTags, tagFontCanDraw } from './tag-font.ts';
import { EMPTY_NAME_PART, type TagName } from './tag-name.ts';

export type { SignaturePageDetails } from './draw-signature-page.ts';
export { readTokenFromPdf, stampedFileName, tokenFromFileName } from './pdf-token.ts';

export interface StampInput {
  token: string;
  /** The full return address, token included: returns+TOKEN@corp.example. */
  returnAddress: string;
  /** provider.recipient_letter, e.g. "C". */
  recipientLetter: string;
  /** Name on the recipient tag; RETURN_RECIPIENT_NAME when absent. */
  recipientName?: { firstName: string; lastName: string };
  /** In signing order. Ignored for tagging when the PDF has its own [!Sign.] tags. */
  signers: readonly Signer[];
  /** What the signature page shows about the request. */
  request: SignaturePageDetails;
  stamping: StampingConfig;
  /** inspectPdf's finding; when absent the text layer is read again to find out. */
  hasSignTags?: boolean;
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

  const hasSignTags = input.hasSignTags ?? (await extractPdfText(bytes)).some((page) => page.includes('[!Sign.'));
  if (!hasSignTags && input.signers.length === 0) {
    throw new SignrelayError('input', 'no_signers',
      'the request names no signer and the PDF has no [!Sign.…] tags: add a line like "Signer: First Last <first.last@corp.example>"');
  }
  const tags = stampTags(input, hasSignTags);

  const fonts = await embedTagFonts(doc);
  const tagStyle = { font: fonts.regular, fontSize: input.stamping.font_size, color: parseColor(input.stamping.color) };
  if (input.stamping.mode === 'overlay') {
    drawOverlayTags(doc, [...tags.signTags, tags.recipientTag], input.stamping.overlay, tagStyle);
  } else {
    const signers = tags.signTags.map((tag, i) => ({ tag, name: displayName(tags.names[i]!), email: input.signers[i]!.email }));
    drawSignaturePages(doc, { details: input.request, token: input.token, signers, recipientTag: tags.recipientTag }, fonts, tagStyle);
  }

  writeTokenMetadata(doc, input.token);
  doc.setModificationDate(input.now ?? new Date());
  // A classic cross-reference table rather than object streams: the most widely readable.
  return doc.save({ useObjectStreams: false });
}

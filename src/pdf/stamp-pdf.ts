// Stamping: PDF bytes in, stamped PDF bytes out, no other I/O but the second reader's process
// (poppler-text.ts); it runs in the PDF worker
// (pdf-tasks.ts stampPdf) under the same limits as inspection. Adds the smart tags the
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
// Whatever a subject, a file name or the document carried, the stamped PDF's text must hold
// exactly the tags written here plus the document's own sign tags — nothing else a signing
// service could read as a tag. Otherwise it is refused, never sent. That is proven on the
// bytes that are sent: the whole stamped file's text is read back (finish). Nothing short of
// that is sound — inspection read the original with pdf.js, but the stamped file is pdf-lib's
// rewrite of it, and a file can read one way to one parser and another way to the other
// (test/pdf/two-readings.test.ts) — and, since it is read back whole, nothing else is: the
// signature pages are drawn straight into the document.
//
// Text is drawn in Helvetica when it is all Latin-1 and in DejaVu Sans otherwise
// (embed-fonts.ts): the Unicode font costs more than the rest of a short stamp.
import { PDFArray, PDFDocument, PDFName, PDFNumber, PDFRef, type PDFObject } from 'pdf-lib';
import { isSignrelayError, SignrelayError } from '../errors.ts';
import { drawSignaturePages, signaturePageSize, signaturePageTexts, type SignaturePageContent } from './draw-signature-page.ts';
import { drawOverlayTags, parseColor, type TagStyle } from './draw-tags.ts';
import { embedTagFonts, fontFor } from './embed-fonts.ts';
import { actualTexts } from './actual-text.ts';
import { annotationShows, type AnnotationShows } from './appearance-text.ts';
import { extractPdfReadings, type PdfReadings, type ReadingOptions } from './extract-text.ts';
import { findTags, subtractTags, tagDifference, type FoundTag } from './find-tags.ts';
import { pdfJsRefusal, syntaxFacts } from './inspect-pdf.ts';
import { ownTagProblems } from './own-tag-rules.ts';
import { changedAfterSaveError, encryptedPdfError, overlayUnreadableError, signedPdfError, tooManyPagesError, uncheckableContentError, unreadablePdfError, portfolioPdfError, xfaFormError } from './pdf-errors.ts';
import { dropUsageRights, dropXfa, isPortfolio, showsXfaPlaceholder, xfaKind } from './document-shape.ts';
import { signedFieldCount } from './signature-fields.ts';
import { loadPdfDocumentWithSections, SAVE_WITHOUT_PAUSES } from './pdf-lib-load.ts';
import { nullDanglingRefs } from './dangling-refs.ts';
import { settlePageTree } from './page-tree.ts';
import { isFileDamage } from './file-damage.ts';
import { xrefDisagreement } from './xref-disagreement.ts';
import { writeTokenMetadata } from './pdf-token.ts';
import { readWithPoppler } from './poppler-text.ts';
import { checkStampToken, stampTags, type StampInput } from './stamp-tags.ts';
import { nameInTags } from './tag-font.ts';
import { EMPTY_NAME_PART, type TagName } from './tag-name.ts';
import { quoteOutside } from '../outside-text.ts';

export type { StampInput } from './stamp-tags.ts';

function displayName(name: TagName): string {
  return [name.firstName, name.lastName].filter((part) => part !== EMPTY_NAME_PART).join(' ');
}

/** Stamps in this process, without limits: the PDF worker's side of pdf-tasks.ts stampPdf, and tests. */
export async function stampPdfInProcess(bytes: Uint8Array, input: StampInput): Promise<Uint8Array> {
  const own = input.ownText?.tags ?? findTags((await readText(bytes, input.request.fileName)).pages.join('\n'));
  return (await stampDocument(bytes, input, own)).bytes;
}

/** A stamped document, and what its own text holds besides what signrelay drew. */
export interface StampedPdf {
  bytes: Uint8Array;
  /** The original's page count. */
  pages: number;
  /** The document's own tags, read in the stamped file. */
  ownTags: FoundTag[];
}

/**
 * Stamps a document whose text has not been read, and reads its own tags in the stamped
 * file (prepare-pdf.ts): one pass of pdf.js instead of two. The document is taken to carry
 * its own sign tags exactly when no signers are given; the caller judges the tags found
 * (own-tag-rules.ts), so nothing here refuses them. What is the document's and what is
 * ours is told apart where it cannot be confused: the appended signature pages must hold
 * exactly the tags drawn on them — request details, names and file names are outside text
 * — and the original's pages hold the document's own; in overlay mode only tags are drawn,
 * and each must be found.
 */
export async function stampUnreadPdfInProcess(bytes: Uint8Array, input: StampInput, maxPages = Number.POSITIVE_INFINITY): Promise<StampedPdf> {
  return stampDocument(bytes, input, undefined, maxPages);
}

async function stampDocument(bytes: Uint8Array, input: StampInput, known: FoundTag[] | undefined, maxPages = Number.POSITIVE_INFINITY): Promise<StampedPdf> {
  checkStampToken(input);
  const fileName = input.request.fileName;
  const syntax = syntaxFacts(bytes);
  if (syntax.encrypted) throw encryptedPdfError(fileName);
  const doc = await loadDocument(bytes, fileName, { tablesOnly: !syntax.xrefStream });
  try {
    return await stampLoaded(doc, input, { known, maxPages, objectStreams: syntax.xrefStream });
  } catch (err) {
    if (isFileDamage(err)) throw unreadablePdfError(fileName, 'pdf_damaged', err);
    throw err;
  }
}

async function stampLoaded(doc: PDFDocument, input: StampInput, original: { known: FoundTag[] | undefined; maxPages: number; objectStreams: boolean }): Promise<StampedPdf> {
  const { known, maxPages, objectStreams } = original;
  const fileName = input.request.fileName;
  const pageList = pageRefs(doc);
  const pages = pageList.length;
  if (pages === 0) throw unreadablePdfError(fileName, 'pdf_no_pages');
  if (pages > maxPages) throw tooManyPagesError(fileName, pages, maxPages);
  if (signedFieldCount(doc) > 0) throw signedPdfError(fileName);
  if (isPortfolio(doc)) throw portfolioPdfError(fileName);
  const xfa = xfaKind(doc);
  if (xfa === 'dynamic') throw xfaFormError(fileName);
  // A static form's pages are what is signed; its text, read back, tells a dynamic one that
  // does not say so (finish).
  if (xfa === 'static') dropXfa(doc);
  dropUsageRights(doc);
  const shape = { original: pageList, known, xfa: xfa === 'static', objectStreams };

  const style = { fontSize: input.stamping.font_size, color: parseColor(input.stamping.color) };
  if (input.textTags === false) {
    if (input.signers.length === 0) {
      throw new SignrelayError('input', 'no_signers', 'the request names no signer: add a line like "Signer: First Last <first.last@corp.example>"');
    }
    // The signers are listed without tags, and the document's own tag-like text stays plain
    // text (the provider reads none): the check proves nothing was added.
    const signers = input.signers.map((signer) => ({ name: displayName(nameInTags(signer)), email: signer.email }));
    await appendSignaturePages(doc, { details: input.request, token: input.token, signers, recipientTag: null }, style);
    return finish(doc, input, { ...shape, drawn: [] });
  }

  if (known !== undefined) {
    const problems = ownTagProblems(fileName ?? 'the PDF', known, { source: 'the request', signers: input.signers, useTagsFix: 'To have the document\'s signers sign, name no signers' });
    if (problems.length > 0) throw new SignrelayError('input', 'pdf_own_tags', problems.join('\n'));
  }
  const hasSignTags = known !== undefined ? known.some((t) => t.family === 'sign') : input.signers.length === 0;
  if (!hasSignTags && input.signers.length === 0) {
    throw new SignrelayError('input', 'no_signers',
      'the request names no signer and the PDF has no [!Sign.…] tags: add a line like "Signer: First Last <first.last@corp.example>"');
  }
  const tags = stampTags(input, hasSignTags);
  const drawn = [...tags.signTags, tags.recipientTag];
  const drawnTexts = drawn.map((tag) => findTags(tag)[0]!.text);
  if (input.stamping.mode === 'overlay') {
    const fonts = await embedTagFonts(doc, await fontFor(drawn));
    drawOverlayTags(doc, drawn, input.stamping.overlay, { ...style, font: fonts.regular });
    return finish(doc, input, { ...shape, drawn: drawnTexts });
  }
  const signers = tags.signTags.map((tag, i) => ({ tag, name: displayName(tags.names[i]!), email: input.signers[i]!.email }));
  await appendSignaturePages(doc, { details: input.request, token: input.token, signers, recipientTag: tags.recipientTag }, style);
  return finish(doc, input, { ...shape, drawn: drawnTexts });
}

const MEDIA_BOX = PDFName.of('MediaBox');
const CROP_BOX = PDFName.of('CropBox');
const LETTER_BOX = [0, 0, 612, 792] as const;
/** PDF's largest object number (ISO 32000-1 Annex C): past it pdf-lib numbers what it adds past 2^31, which qpdf and poppler cannot read. */
const MAX_OBJECT_NUMBER = 8_388_607;

/**
 * The document, its page tree walked and settled (page-tree.ts): pdf-lib may be the first
 * parser to see the file (prepare-pdf.ts), and what it cannot load or walk is the file's
 * fault. So is a file pdf-lib reads otherwise than a viewer (xref-disagreement.ts: the
 * requester would see one document and the signers sign another), and one whose object
 * numbers pass PDF's limit (pdf-lib would number the signature page and the token's Info
 * past 2^31, where poppler read neither of our tags and qpdf failed: fuzz review L1). Past
 * this point a failure pdf-lib throws is still the file's (isFileDamage); any other is ours.
 */
async function loadDocument(bytes: Uint8Array, fileName: string | undefined, xref: { tablesOnly: boolean }): Promise<PDFDocument> {
  let loaded;
  try {
    loaded = await loadPdfDocumentWithSections(bytes, { updateMetadata: false, throwOnInvalidObject: true });
  } catch (err) {
    throw unreadablePdfError(fileName, 'pdf_damaged', err);
  }
  const disagreement = xrefDisagreement(loaded.sections, xref);
  if (disagreement !== undefined) throw changedAfterSaveError(fileName, new Error(disagreement));
  const doc = loaded.doc;
  try {
    if (doc.context.largestObjectNumber > MAX_OBJECT_NUMBER) throw new Error(`object number ${doc.context.largestObjectNumber} past ${MAX_OBJECT_NUMBER}`);
    const tree = settlePageTree(doc);
    if (tree !== undefined) throw new Error(tree);
    nullDanglingRefs(doc);
    for (const page of doc.getPages()) {
      // A page without a media box, on it or up its tree, or with one that is not four
      // numbers, is Letter to every reader (pdf.js, poppler, Acrobat); pdf-lib cannot size it,
      // and the file was refused as damaged. A crop box that is not four numbers is no crop
      // box to them (the media box shows): pdf-lib threw sizing the signature page on it.
      if (!isRectangle(doc, page.node.getInheritableAttribute(MEDIA_BOX))) page.node.set(MEDIA_BOX, doc.context.obj([...LETTER_BOX]));
      const crop = page.node.getInheritableAttribute(CROP_BOX);
      if (crop !== undefined && !isRectangle(doc, crop)) page.node.set(CROP_BOX, page.node.get(MEDIA_BOX) ?? page.node.getInheritableAttribute(MEDIA_BOX)!);
      page.getSize();
    }
    return doc;
  } catch (err) {
    throw unreadablePdfError(fileName, 'pdf_damaged', err);
  }
}

/** Four numbers, as every reader takes a page box (anything else is no box to them). */
function isRectangle(doc: PDFDocument, value: PDFObject | undefined): boolean {
  const box = value instanceof PDFRef ? doc.context.lookup(value) : value;
  if (!(box instanceof PDFArray) || box.size() !== 4) return false;
  for (let i = 0; i < 4; i++) if (!(box.lookup(i) instanceof PDFNumber)) return false;
  return true;
}

/** Draws the signature pages in Helvetica when it can draw every text on them, in DejaVu Sans otherwise. */
async function appendSignaturePages(doc: PDFDocument, content: SignaturePageContent, style: Omit<TagStyle, 'font'>): Promise<void> {
  const size = signaturePageSize(doc, style.fontSize);
  const fonts = await embedTagFonts(doc, await fontFor(signaturePageTexts(content)));
  drawSignaturePages(doc, content, fonts, { ...style, font: fonts.regular }, size);
}

/** What finish checks the stamped file against: the original's pages, its own tags when known, ours, and whether it had XFA. */
interface StampedTags {
  original: readonly string[];
  known: FoundTag[] | undefined;
  drawn: readonly string[];
  /** A form with XFA (its XFA removed): one whose pages read as Designer's placeholder is refused. */
  xfa: boolean;
  /** The original had a cross-reference stream: the stamped copy is saved with object streams. */
  objectStreams: boolean;
}

/**
 * The token in the metadata, saved, and the whole stamped text read back: it must hold exactly
 * the document's own tags and ours. Always — inspection read the original with pdf.js, but the
 * stamped file is pdf-lib's rewrite of it, and a file can read one way to one and another way
 * to the other (an object defined twice: pdf.js takes the one the table names, pdf-lib the
 * last), so only the bytes that are sent can be trusted. When the document's own tags are not
 * known yet they are read here, in the pages that are the document's (stampUnreadPdfInProcess).
 */
async function finish(doc: PDFDocument, input: StampInput, tags: StampedTags): Promise<StampedPdf> {
  const fileName = input.request.fileName;
  // The pages are told apart by place below, the original's first, then ours: pdf-lib must
  // have put ours at the end (it places a page by the /Count entries the file supplies), and
  // pdf.js must read the same pages in the same order.
  const written = pageRefs(doc);
  if (tags.original.some((ref, i) => written[i] !== ref)) throw pagesMismatchError(fileName);
  writeTokenMetadata(doc, input.token);
  doc.setModificationDate(input.now ?? new Date());
  const { replacements, shows } = await readBesideText(doc, fileName);
  // Object streams when the original had them (a cross-reference stream): every reader that
  // read it reads them, and written without, a tagged PDF's thousands of small structure
  // objects grew it up to 1.9 times (fixtures/real-world), at no measurable cost in stamp
  // time. A classic cross-reference table otherwise: the most widely readable.
  const stamped = await doc.save({ useObjectStreams: tags.objectStreams, ...SAVE_WITHOUT_PAUSES });
  // poppler reads beside pdf.js, in its own process (poppler-text.ts); awaited below — a
  // refusal from the pdf.js reading first ends it, and leaves its outcome handled.
  const stopPoppler = new AbortController();
  const byPoppler = readWithPoppler(stamped, fileName, stopPoppler.signal);
  byPoppler.catch(() => {});
  try {
    return await readBack(stamped, byPoppler, { written, input, tags, replacements, shows });
  } finally {
    stopPoppler.abort();
  }
}

/** The stamped file's readings checked against the tags written (finish), poppler's among them. */
async function readBack(stamped: Uint8Array, byPoppler: Promise<string>, context: {
  written: readonly string[]; input: StampInput; tags: StampedTags;
  replacements: string[]; shows: AnnotationShows;
}): Promise<StampedPdf> {
  const { written, input, tags, replacements, shows } = context;
  const fileName = input.request.fileName;
  const pages = tags.original.length;
  const read: string[] = [];
  const readings = await readText(stamped, fileName, { onPageRef: (ref) => read.push(ref), otherReadings: true });
  const texts = readings.pages;
  // Each reading's tags found once, for the checks below.
  const pageFound = findTags(texts.join('\n'));
  const pageTags = pageFound.map((t) => t.text);
  if (read.length !== written.length || read.some((ref, i) => ref !== written[i])) throw pagesMismatchError(fileName);
  if (tags.xfa && showsXfaPlaceholder(texts.slice(0, pages))) throw xfaFormError(fileName);
  if (input.stamping.mode === 'overlay') {
    // Drawn on the document's own page, our tags joined what its content left open: the
    // overlay does not serve this PDF (intake appends a signature page), the document is not at fault.
    const { missing } = subtractTags(pageFound, tags.drawn);
    if (missing.length > 0) throw overlayUnreadableError(fileName, missing.length);
  }
  const own = tags.known ?? ownTagsOf(texts, { pages, drawn: tags.drawn }, fileName);
  const expected = [...own.map((t) => t.text), ...tags.drawn];
  checkTags(pageTags, expected, fileName);
  const annotations = shows.sheet ? await readText(shows.sheet, fileName, { otherReadings: true }) : { pages: [], byPosition: [] };
  const popplerText = await byPoppler;
  checkPopplerPages(popplerText, written.length, fileName);
  const popplerFound = findTags(popplerText);
  // Our own signature pages are drawn plainly: the second reader must find every tag on them
  // too — a file whose objects it cannot follow (an object number past what readers keep)
  // left it reading none of ours, and only extras were judged (fuzz review L1).
  if (input.stamping.mode !== 'overlay') {
    const { missing } = subtractTags(popplerFound, tags.drawn);
    if (missing.length > 0) throw mismatchError(fileName, `not every tag signrelay wrote (${missing.length} unreadable by a second PDF reader)`);
  }
  checkOtherReadings([...readings.byPosition, ...annotations.pages, ...annotations.byPosition, ...shows.fieldValues, ...replacements, popplerText], expected, fileName);
  // As many times each, too: a copy of a tag hidden where only another reading sees it is a
  // second signing place for that signer (variants review L1). A reading of the whole page
  // counts for itself; what annotations and fields show is shown beside the page's text, so
  // it counts with it, in either order. The replacement texts are not counted: one can be
  // listed several times (shared resources, a structure element marking its span again:
  // diff review 24 M2) — poppler, counted, reads them in place.
  const fieldTags = tagTexts(shows.fieldValues);
  checkTagCounts([...pageTags, ...tagTexts(annotations.pages), ...fieldTags], expected, fileName);
  checkTagCounts([...pageTags, ...tagTexts(annotations.byPosition), ...fieldTags], expected, fileName);
  checkTagCounts(tagTexts(readings.byPosition), expected, fileName);
  checkTagCounts(popplerFound.map((t) => t.text), expected, fileName);
  return { bytes: stamped, pages, ownTags: own };
}

/** Each page's object, "12 0", in pdf-lib's order. */
function pageRefs(doc: PDFDocument): string[] {
  return doc.getPages().map((page) => `${page.ref.objectNumber} ${page.ref.generationNumber}`);
}

/** The document's own tags in a stamped file whose original text was not read (see stampUnreadPdfInProcess). */
function ownTagsOf(texts: readonly string[], tags: { pages: number; drawn: readonly string[] }, fileName: string | undefined): FoundTag[] {
  if (texts.length === tags.pages) {
    // Overlay: only tags were drawn, on the document's own pages; each must be there.
    const { left, missing } = subtractTags(findTags(texts.join('\n')), tags.drawn);
    if (missing.length > 0) throw mismatchError(fileName, `not every tag signrelay wrote (${missing.length} unreadable)`);
    return left;
  }
  // Signature pages: what is on them is ours and must be exactly what was drawn (checkTags
  // then holds the whole text to the document's tags plus ours, across the pages' seam).
  const ours = findTags(texts.slice(tags.pages).join('\n')).map((t) => t.text);
  const { unexpected, missing } = tagDifference(ours, tags.drawn);
  if (unexpected.length > 0 || missing.length > 0) throw mismatchError(fileName, describeDifference(unexpected, missing));
  return findTags(texts.slice(0, tags.pages).join('\n'));
}

/**
 * The text of each page (and, with `otherReadings`, by position on the page: extract-text.ts);
 * what pdf.js cannot read is a refusal, never a retry.
 */
async function readText(bytes: Uint8Array, fileName: string | undefined, options: ReadingOptions = { otherReadings: false }): Promise<PdfReadings> {
  try {
    return await extractPdfReadings(bytes, options);
  } catch (err) {
    throw pdfJsRefusal(err, fileName);
  }
}

/**
 * What annotations show and the replacement texts, read in the stamped document's own model.
 * A damaged object on the way (a resource of the wrong type) is a refusal with the answer for
 * content that cannot be read in full — never taken for our own failure and retried.
 */
async function readBesideText(doc: PDFDocument, fileName: string | undefined): Promise<{ replacements: string[]; shows: AnnotationShows }> {
  try {
    return { replacements: actualTexts(doc, fileName), shows: await annotationShows(doc, fileName) };
  } catch (err) {
    if (isSignrelayError(err)) throw err;
    throw uncheckableContentError(fileName, 'some of its content (its annotations, forms or marked content) could not be read', err);
  }
}

/**
 * Read by position on the page, from what its annotations show (appearance-text.ts), from
 * its replacement texts (actual-text.ts), or by another reader (poppler-text.ts), the text
 * holds no tag but the expected ones: a tag hidden from the drawing-order reading (its `[!`
 * drawn after the rest, to its left; only in a Stamp's appearance; only in a field's value;
 * only where poppler reads) is refused like any other. (Missing tags are
 * not judged here: text drawn in an odd order may read apart by position, and the
 * drawing-order check above already found each.)
 */
function checkOtherReadings(texts: readonly string[], expected: readonly string[], fileName: string | undefined): void {
  const known = new Set(expected);
  const hidden = [...new Set(findTags(texts.join('\n')).map((t) => t.text).filter((t) => !known.has(t)))];
  if (hidden.length > 0) throw mismatchError(fileName, `${describeDifference(hidden, [])} when read in the order it stands on the page, from its annotations, from its replacement texts (/ActualText) or by another PDF reader`);
}

/** The tags each of `texts` holds, one after another. */
function tagTexts(texts: readonly string[]): string[] {
  return texts.flatMap((text) => findTags(text).map((t) => t.text));
}

/** The tags found, together, hold none of the expected ones more often than written. */
function checkTagCounts(found: readonly string[], expected: readonly string[], fileName: string | undefined): void {
  const { unexpected } = tagDifference(found, expected);
  if (unexpected.length > 0) {
    throw mismatchError(fileName, `a tag more often than it is drawn (${unexpected.slice(0, 3).map((t) => quoteOutside(t, 80)).join(', ')}): a copy hidden where another PDF reader, its annotations or its replacement texts (/ActualText) show it`);
  }
}

/**
 * poppler ends each page it read with a form feed: fewer than the pages means it left some out
 * — their text unread by the second reader (a page it could not build; its message is watched
 * for too, poppler-text.ts). More is text that maps a glyph to a form feed, and harmless.
 */
export function checkPopplerPages(text: string, pages: number, fileName: string | undefined): void {
  let read = 0;
  for (let at = text.indexOf('\f'); at !== -1; at = text.indexOf('\f', at + 1)) read++;
  if (read < pages) throw uncheckableContentError(fileName, `a second PDF reader (poppler) read ${read} of its ${pages} pages`);
}

/** The tags found are exactly the expected ones, or the stamp is refused. */
function checkTags(found: readonly string[], expected: readonly string[], fileName: string | undefined): void {
  const { unexpected, missing } = tagDifference(found, expected);
  if (unexpected.length > 0 || missing.length > 0) throw mismatchError(fileName, describeDifference(unexpected, missing));
}

function describeDifference(unexpected: readonly string[], missing: readonly string[]): string {
  return [
    ...(unexpected.length > 0 ? [`tags signrelay did not write (${unexpected.slice(0, 3).map((t) => quoteOutside(t, 80)).join(', ')})`] : []),
    ...(missing.length > 0 ? [`not every tag signrelay wrote (${missing.length} unreadable)`] : []),
  ].join(' and ');
}

function pagesMismatchError(fileName = 'the PDF'): SignrelayError {
  return new SignrelayError('input', 'stamped_pages_mismatch',
    `${fileName} could not be prepared for signing safely: its page tree reads differently to different PDF readers, so it was not sent. Print or export it to PDF again and resend`);
}

function mismatchError(fileName = 'the PDF', what: string): SignrelayError {
  return new SignrelayError('input', 'stamped_tags_mismatch',
    `${fileName} could not be prepared for signing safely: once stamped, its text would hold ${what}, so it was not sent. Check the document for text that looks like a signing tag, remove it, and send it again`);
}

// The request token outside the return address: in the uploaded file's name and in the PDF
// metadata, so a completed document can still be matched when the plus-address is lost
// (DESIGN.md "Matching a completed document"). Writing happens while stamping; reading is
// for the completion path and must never throw on a document it cannot make sense of. The
// reading runs in the PDF worker (run-pdf-worker.ts): a completion mail's PDF is input from
// outside too, and a hostile one must not stall the daemon.
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { PDFDict, PDFName, PDFString, type PDFDocument } from 'pdf-lib';
import { extractPdfText } from './extract-text.ts';
import { MAX_INFLATED_BYTES, measureInflatedSize } from './measure-inflated-size.ts';
import { isRequestToken, REQUEST_TOKEN_PATTERN } from './request-token.ts';
import { runPdfTask, type PdfWorkerLimits } from './run-pdf-worker.ts';
import { isSignrelayError } from '../errors.ts';

/** Custom document-information key carrying the token. */
export const TOKEN_INFO_KEY = 'SignrelayToken';
/** The token's entry among the document keywords. */
export const TOKEN_KEYWORD_PREFIX = 'signrelay-token:';

const KEYWORD_RE = new RegExp(`${TOKEN_KEYWORD_PREFIX}(${REQUEST_TOKEN_PATTERN})`, 'i');
// In the text layer: the recipient tag's plus-address, or the signature page's reference.
const TEXT_RES = [
  new RegExp(`\\+(${REQUEST_TOKEN_PATTERN})@`, 'i'),
  new RegExp(`Reference\\s*(${REQUEST_TOKEN_PATTERN})(?![a-z2-7])`, 'i'),
];
const FILE_NAME_RE = new RegExp(`signrelay-(${REQUEST_TOKEN_PATTERN})(?![a-z2-7])`, 'i');

/** Sets the token in the Info dictionary (own key + a keyword), keeping other keywords. */
export function writeTokenMetadata(doc: PDFDocument, token: string): void {
  if (!isRequestToken(token)) throw new RangeError(`not a request token: "${token}"`);
  const others = (doc.getKeywords() ?? '').replace(new RegExp(`${TOKEN_KEYWORD_PREFIX}\\S*`, 'gi'), '').replace(/\s+/g, ' ').trim();
  doc.setKeywords([others, `${TOKEN_KEYWORD_PREFIX}${token}`].filter(Boolean));
  const info = doc.context.lookup(doc.context.trailerInfo.Info);
  // setKeywords has just created the Info dictionary if there was none.
  if (info instanceof PDFDict) info.set(PDFName.of(TOKEN_INFO_KEY), PDFString.of(token));
}

async function tokenFromMetadata(bytes: Uint8Array): Promise<string | undefined> {
  // pdf.js rather than pdf-lib: it also reads owner-password-encrypted files, which is
  // what some services return once a document is signed.
  const task = getDocument({ data: new Uint8Array(bytes), verbosity: 0, useSystemFonts: false, disableFontFace: true });
  try {
    const doc = await task.promise;
    const { info } = (await doc.getMetadata()) as { info: { Keywords?: string; Custom?: Map<string, unknown> | Record<string, unknown> } };
    const custom = info.Custom instanceof Map ? info.Custom.get(TOKEN_INFO_KEY) : info.Custom?.[TOKEN_INFO_KEY];
    if (typeof custom === 'string' && isRequestToken(custom.trim().toLowerCase())) return custom.trim().toLowerCase();
    return KEYWORD_RE.exec(info.Keywords ?? '')?.[1]?.toLowerCase();
  } finally {
    await task.destroy();
  }
}

/**
 * The token of a document signrelay stamped: metadata first, then the text layer (the
 * return address in the recipient tag, or the signature page's "Reference"). Undefined
 * when none is found or the file cannot be read — also when reading it hits the worker's
 * time or memory limit (an input error). A failure of the worker itself (it could not be
 * started, it crashed) is thrown: the mail is tried again, not matched with a clue missing.
 */
export async function readTokenFromPdf(bytes: Uint8Array, worker: Partial<PdfWorkerLimits> = {}): Promise<string | undefined> {
  try {
    return await runPdfTask<string | undefined>({ op: 'token', bytes }, undefined, worker);
  } catch (err) {
    if (isSignrelayError(err) && err.kind === 'input') return undefined;
    throw err;
  }
}

/** The same in this process, without limits: for the worker itself. */
export async function readTokenFromPdfInProcess(bytes: Uint8Array): Promise<string | undefined> {
  try {
    if ((await measureInflatedSize(bytes, MAX_INFLATED_BYTES)) > MAX_INFLATED_BYTES) return undefined;
    const fromMetadata = await tokenFromMetadata(bytes);
    if (fromMetadata) return fromMetadata;
    const text = (await extractPdfText(bytes)).join('\n');
    for (const re of TEXT_RES) {
      const found = re.exec(text)?.[1];
      if (found) return found.toLowerCase();
    }
    return undefined;
  } catch {
    return undefined;
  }
}

const MAX_BASE_LENGTH = 80;

/**
 * `Vertrag Müller (final).pdf` + token → `Vertrag-Muller-final--signrelay-TOKEN.pdf`.
 * Diacritics are dropped, anything but letters, digits, `.`, `_` and `-` becomes `-`, the
 * base is cut to 80 characters, and an empty base becomes `document`.
 */
export function stampedFileName(originalName: string, token: string): string {
  if (!isRequestToken(token)) throw new RangeError(`not a request token: "${token}"`);
  const base = (originalName.split(/[\\/]/).at(-1) ?? '')
    .replace(/\.pdf$/i, '')
    .replace(/--signrelay-[a-z2-7]+/gi, '') // a re-stamped file keeps one token, the new one
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, MAX_BASE_LENGTH)
    .replace(/^[-.]+|[-.]+$/g, '');
  return `${base || 'document'}--signrelay-${token}.pdf`;
}

/** The token in a file name the provider sends back (it may add words or change case). */
export function tokenFromFileName(fileName: string): string | undefined {
  return FILE_NAME_RE.exec(fileName)?.[1]?.toLowerCase();
}

// The request token in the PDF itself (token-places.ts says where): written into the
// metadata while stamping, read back — metadata first, then the text layer — on the
// completion path, where it must never throw on a document it cannot make sense of. Both
// run in the PDF worker (pdf-tasks.ts): a completion mail's PDF is input from outside too,
// and a hostile one must not stall the daemon.
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { PDFDict, PDFName, PDFString, type PDFDocument } from 'pdf-lib';
import { extractPdfText } from './extract-text.ts';
import { MAX_INFLATED_BYTES, measureInflatedSize } from './measure-inflated-size.ts';
import { isRequestToken, REQUEST_TOKEN_PATTERN } from './request-token.ts';
import { TOKEN_INFO_KEY, TOKEN_KEYWORD_PREFIX } from './token-places.ts';

const KEYWORD_RE = new RegExp(`${TOKEN_KEYWORD_PREFIX}(${REQUEST_TOKEN_PATTERN})`, 'i');
// In the text layer: the recipient tag's plus-address, or the signature page's reference.
const TEXT_RES = [
  new RegExp(`\\+(${REQUEST_TOKEN_PATTERN})@`, 'i'),
  new RegExp(`Reference\\s*(${REQUEST_TOKEN_PATTERN})(?![a-z2-7])`, 'i'),
];

/** Pages read for the token at each end of a document. */
const TOKEN_END_PAGES = 4;

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
 * The token of a document signrelay stamped, read in this process without limits (the PDF
 * worker's side of pdf-tasks.ts readTokenFromPdf). `overlayPage`: the page stamping.overlay
 * draws the tags on (as configured: 1 = the first, -1 = the last), read too.
 */
export async function readTokenFromPdfInProcess(bytes: Uint8Array, overlayPage?: number): Promise<string | undefined> {
  try {
    if ((await measureInflatedSize(bytes, MAX_INFLATED_BYTES)) > MAX_INFLATED_BYTES) return undefined;
    const fromMetadata = await tokenFromMetadata(bytes);
    if (fromMetadata) return fromMetadata;
    // signrelay's signature page is the last, an overlay's the page configured: a completion
    // mail's PDF from outside is not read whole (a page tree naming one page a million times
    // took the worker's whole time limit, PDF after PDF).
    const text = (await extractPdfText(bytes, { endPages: TOKEN_END_PAGES, alsoPage: overlayPage })).join('\n');
    for (const re of TEXT_RES) {
      const found = re.exec(text)?.[1];
      if (found) return found.toLowerCase();
    }
    return undefined;
  } catch {
    return undefined;
  }
}

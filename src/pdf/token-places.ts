// Where a request's token travels besides the return address, so a completed document can
// still be matched when the plus-address is lost (DESIGN.md "Matching a completed
// document"): the uploaded file's name, and two metadata entries of the PDF (pdf-token.ts
// writes and reads those in the PDF worker). Pure.
import { isRequestToken, REQUEST_TOKEN_PATTERN } from './request-token.ts';

/** Custom document-information key carrying the token. */
export const TOKEN_INFO_KEY = 'SignrelayToken';
/** The token's entry among the document keywords. */
export const TOKEN_KEYWORD_PREFIX = 'signrelay-token:';

const FILE_NAME_RE = new RegExp(`signrelay-(${REQUEST_TOKEN_PATTERN})(?![a-z2-7])`, 'i');

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

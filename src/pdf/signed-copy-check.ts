// Whether a PDF from a completion mail is the request's own document, signed — pure: the
// comparison of what was sent (the original and the stamped PDF) with the candidate, page
// by page, from fingerprints (pdf-fingerprint.ts). Used only with
// completion.trust_attachment; the mail's From is forgeable and every signer has the
// token, so a copy counts only when:
// - its metadata carries the request's token (and no other);
// - it has at least the stamped document's pages;
// - every page of the requester's original is there unchanged: the same decoded content,
//   the same resources (fonts, images — a swapped image XObject changes a scanned page
//   without touching its content stream), the same size and rotation, the same
//   annotations;
// - every page signrelay drew on or added (the signature page, an overlay's page) still
//   begins with what was sent and keeps its resources — the signing service may add to it
//   (signatures), not take away or change;
// - something was added (more pages, or more on our pages): the stamped document sent back
//   as it went out is not signed.
// What this cannot tell: signatures drawn by a forger on our signature page or on added
// pages. A copy that does not verify costs nothing — the provider's own copy is downloaded.

export interface PageFingerprint {
  /** The page's content streams, decoded and joined. */
  content: Uint8Array;
  /** `Font/F1`, `XObject/Im0`, `ProcSet`, … → a digest of that resource, deeply. */
  resources: Record<string, string>;
  /** A digest of MediaBox, CropBox, Rotate and UserUnit (inherited ones included). */
  geometry: string;
  /** A digest of the page's annotations. */
  annotations: string;
}

export interface PdfFingerprint {
  pages: PageFingerprint[];
  /** Request tokens found in the metadata (the Info dictionary's own key and keywords). */
  tokens: string[];
}

export type SignedCopyVerdict = { verified: true } | { verified: false; problem: string };

export interface SentDocument {
  original: PdfFingerprint;
  stamped: PdfFingerprint;
  token: string;
}

export function checkSignedCopy(sent: SentDocument, candidate: PdfFingerprint): SignedCopyVerdict {
  const fail = (problem: string): SignedCopyVerdict => ({ verified: false, problem });
  if (!candidate.tokens.includes(sent.token)) return fail('the request\'s token is not in its metadata');
  if (candidate.tokens.some((t) => t !== sent.token)) return fail('its metadata names another request\'s token');
  const { stamped, original } = sent;
  if (candidate.pages.length < stamped.pages.length) {
    return fail(`it has ${candidate.pages.length} page(s), fewer than the ${stamped.pages.length} sent`);
  }
  let added = candidate.pages.length > stamped.pages.length;
  for (const [i, sentPage] of stamped.pages.entries()) {
    const page = candidate.pages[i]!;
    const originalPage = original.pages[i];
    if (originalPage && samePage(originalPage, sentPage)) {
      const differs = pageDifference(sentPage, page);
      if (differs) return fail(`page ${i + 1} differs from the page sent (${differs})`);
      continue;
    }
    // A page signrelay drew on or added: the signing service may add to it.
    if (!startsWith(afterSaves(page.content), afterSaves(sentPage.content))) return fail(`page ${i + 1} differs from the page sent (its content)`);
    if (!includesAll(page.resources, sentPage.resources)) return fail(`page ${i + 1} differs from the page sent (its resources)`);
    if (page.geometry !== sentPage.geometry) return fail(`page ${i + 1} differs from the page sent (its size or rotation)`);
    added ||= page.content.length > sentPage.content.length
      || Object.keys(page.resources).length > Object.keys(sentPage.resources).length
      || page.annotations !== sentPage.annotations;
  }
  if (!added) return fail('nothing was added to the document sent: it is not signed');
  return { verified: true };
}

function samePage(a: PageFingerprint, b: PageFingerprint): boolean {
  return pageDifference(a, b) === undefined;
}

/** What differs between two pages that must be equal, or undefined. */
function pageDifference(sent: PageFingerprint, page: PageFingerprint): string | undefined {
  if (!equalBytes(sent.content, page.content)) return 'its content';
  if (!sameRecord(sent.resources, page.resources)) return 'its resources';
  if (sent.geometry !== page.geometry) return 'its size or rotation';
  if (sent.annotations !== page.annotations) return 'its annotations';
  return undefined;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && startsWith(a, b);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

const WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const SAVE = 0x71; // `q`: saves the graphics state, draws nothing

/**
 * The content after any leading `q` operators: a library that adds to a page (pdf-lib
 * does) may first wrap what is there in q … Q, which changes nothing drawn.
 */
function afterSaves(content: Uint8Array): Uint8Array {
  let i = 0;
  for (;;) {
    while (i < content.length && WHITESPACE.has(content[i]!)) i++;
    if (content[i] === SAVE && (i + 1 === content.length || WHITESPACE.has(content[i + 1]!))) i++;
    else return content.subarray(i);
  }
}

function includesAll(have: Record<string, string>, need: Record<string, string>): boolean {
  return Object.entries(need).every(([key, digest]) => have[key] === digest);
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  return Object.keys(a).length === Object.keys(b).length && includesAll(a, b);
}
